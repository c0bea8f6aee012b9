// Host requests come first. A request is dispatched in the turn it is read (src/server/rpc-endpoint.ts), so what a
// host waits for is the turn already in progress when its bytes arrive. Two kinds of background work make way:
// - a session chain's start (git and process spawns, which Node does synchronously). Fifty `session/start` requests
//   arrive together; starting each chain in the turn of its request put every later reply behind the spawns of the
//   chains before it (the last of 50 replies came after 3.7 s). A start waits while requests are still being
//   dispatched, one start per turn after that, never longer than MAX_DEFER_MS.
// - the group commit of agent output (src/events/batch-writer.ts), up to 1 ms of writes in one turn. While a host is
//   sending requests (one was dispatched since the commit last looked), the commit steps aside for a turn, so the
//   host's next request, sent as soon as it has its reply, finds a short turn; for at most MAX_YIELD_MS in a row.
//   Under one flooding agent this is the difference between a no-op p50 of 4.4 ms and one of a fraction of a ms.
// Both bounds mean a host that never stops asking cannot starve agents.

import { onNextTurn } from './next-turn.js';

/** The longest a start waits for requests to stop arriving. */
export const MAX_DEFER_MS = 250;
/** The longest a group commit keeps stepping aside for a host that is sending requests. */
export const MAX_YIELD_MS = 20;

export interface ForegroundBounds {
  maxDeferMs?: number;
  maxYieldMs?: number;
}

export class Foreground {
  private readonly queue: { start: () => void; since: number }[] = [];
  private readonly schedule = onNextTurn(() => this.tick());
  private readonly maxDeferMs: number;
  private readonly maxYieldMs: number;
  private dispatchedCount = 0;
  /** `dispatchedCount` when the deferred starts last looked. */
  private seenByTick = 0;

  constructor(bounds: ForegroundBounds = {}) {
    this.maxDeferMs = bounds.maxDeferMs ?? MAX_DEFER_MS;
    this.maxYieldMs = bounds.maxYieldMs ?? MAX_YIELD_MS;
  }

  /** A request was dispatched in this turn. */
  requestDispatched(): void {
    this.dispatchedCount++;
  }

  /** Requests dispatched so far: background work compares it with what it saw last time it looked. */
  get dispatched(): number {
    return this.dispatchedCount;
  }

  /**
   * Should background work that last saw `seen` requests dispatched, and has been stepping aside since `since`
   * (performance.now(), undefined when it has not), step aside once more?
   */
  shouldYield(seen: number, since: number | undefined): boolean {
    return seen !== this.dispatchedCount && (since === undefined || performance.now() - since < this.maxYieldMs);
  }

  /** Run `start` on a later turn in which no request arrived (or once it has waited `maxDeferMs`). */
  defer(start: () => void): void {
    this.queue.push({ start, since: performance.now() });
    this.schedule();
  }

  private tick(): void {
    const next = this.queue[0];
    if (!next) return;
    const busy = this.dispatchedCount !== this.seenByTick;
    this.seenByTick = this.dispatchedCount;
    if (!busy || performance.now() - next.since >= this.maxDeferMs) {
      this.queue.shift();
      next.start();
    }
    if (this.queue.length) this.schedule();
  }
}
