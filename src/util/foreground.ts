// Host requests come first. Two kinds of background work yield to the requests a host has already sent:
// - a session chain's start (git and process spawns, which Node does synchronously). Fifty `session/start` requests
//   arrive together; starting each chain in the turn of its request put every later reply behind the spawns of the
//   chains before it (the last of 50 replies came after 3.7 s). A start waits while requests are still arriving or
//   being dispatched, one start per turn after that, never longer than MAX_DEFER_MS.
// - the group commit of agent output (src/events/batch-writer.ts). vscode-jsonrpc dispatches a parsed request on a
//   later turn (setImmediate), behind the commit already scheduled for that turn, so under one flooding agent a no-op
//   request waited 3.6 ms (p50) between being read and being dispatched. A commit now steps aside for one turn while
//   a request waits for dispatch, for at most MAX_YIELD_MS in a row.
// Both bounds mean a host that never stops asking cannot starve agents.

import { onNextTurn } from './next-turn.js';

/** The longest a start waits for requests to stop arriving. */
export const MAX_DEFER_MS = 250;
/** The longest a group commit keeps stepping aside for waiting requests. */
export const MAX_YIELD_MS = 20;

export interface ForegroundBounds {
  maxDeferMs?: number;
  maxYieldMs?: number;
}

export class Foreground {
  private readonly queue: { start: () => void; since: number }[] = [];
  private requestSeen = false;
  private readonly schedule = onNextTurn(() => this.tick());
  private waitingCount = 0;
  private readonly maxDeferMs: number;
  private readonly maxYieldMs: number;

  constructor(bounds: ForegroundBounds = {}) {
    this.maxDeferMs = bounds.maxDeferMs ?? MAX_DEFER_MS;
    this.maxYieldMs = bounds.maxYieldMs ?? MAX_YIELD_MS;
  }

  /** A transport read a request that is not dispatched yet. */
  requestArrived(): void {
    this.waitingCount++;
  }

  /** A request was dispatched in this turn (arrived or not: in-process callers dispatch directly). */
  requestDispatched(): void {
    if (this.waitingCount > 0) this.waitingCount--;
    this.requestSeen = true;
  }

  /** A connection closed with `count` requests read and never dispatched. */
  requestsDropped(count: number): void {
    this.waitingCount = Math.max(0, this.waitingCount - count);
  }

  /** Requests read and not yet dispatched. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Should background work that has been stepping aside since `since` (performance.now()) step aside once more? */
  shouldYield(since: number): boolean {
    return this.waitingCount > 0 && performance.now() - since < this.maxYieldMs;
  }

  /** Run `start` on a later turn in which no request arrived (or once it has waited `maxDeferMs`). */
  defer(start: () => void): void {
    this.queue.push({ start, since: performance.now() });
    this.schedule();
  }


  private tick(): void {
    const next = this.queue[0];
    if (!next) return;
    const busy = this.requestSeen || this.waitingCount > 0;
    this.requestSeen = false;
    if (!busy || performance.now() - next.since >= this.maxDeferMs) {
      this.queue.shift();
      next.start();
    }
    if (this.queue.length) this.schedule();
  }
}
