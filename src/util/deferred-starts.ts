// Work that may wait a few turns (starting a session's chain: git and process spawns, which Node does synchronously)
// goes after the requests hosts have already sent. Fifty `session/start` requests arrive together; starting each chain
// in the turn of its request put every later reply behind the spawns of the chains before it (the last of 50 replies
// came after 3.7 s). Now a start waits while requests are still being dispatched, one start per turn after that, and
// never longer than MAX_DEFER_MS, so a host that never stops asking cannot starve it.

/** The longest a start waits for requests to stop arriving. */
export const MAX_DEFER_MS = 250;

export class DeferredStarts {
  private readonly queue: { start: () => void; since: number }[] = [];
  private requestSeen = false;
  private scheduled = false;

  constructor(private readonly maxDeferMs = MAX_DEFER_MS) {}

  /** A host request was dispatched in this turn: starts wait one more turn. */
  noteRequest(): void {
    this.requestSeen = true;
  }

  /** Run `start` on a later turn in which no request arrived (or once it has waited `maxDeferMs`). */
  defer(start: () => void): void {
    this.queue.push({ start, since: performance.now() });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.tick();
    });
  }

  private tick(): void {
    const next = this.queue[0];
    if (!next) return;
    const busy = this.requestSeen;
    this.requestSeen = false;
    if (!busy || performance.now() - next.since >= this.maxDeferMs) {
      this.queue.shift();
      next.start();
    }
    if (this.queue.length) this.schedule();
  }
}
