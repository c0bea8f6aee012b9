// Polling helpers for tests: wait for a condition or a count, failing with what was awaited.
/** Resolve once `check()` is true; reject naming `what` after the timeout. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolve with `read()` once it has at least `count` items (after a short settle, so extras would show). */
export async function waitForCount<T>(read: () => T[], count: number, timeoutMs = 10_000): Promise<T[]> {
  await waitUntil(() => read().length >= count, `${count} items (have ${read().length})`, timeoutMs);
  await new Promise((r) => setTimeout(r, 30));
  return read();
}
