// Work that runs on the next turn of the event loop (setImmediate), once however often it is asked for before then.

/** A function that schedules `run` for the next turn, unless that is already scheduled. */
export function onNextTurn(run: () => void): () => void {
  let scheduled = false;
  const fire = () => {
    scheduled = false;
    run();
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(fire);
  };
}
