// Host requests come first: a session chain's start (git and process spawns, which Node does synchronously) yields to
// the requests a host has already sent. Fifty `session/start` requests arrive together; starting each chain in the
// turn of its request put every later reply behind the spawns of the chains before it (the last of 50 replies came
// after 3.7 s). A start waits while requests are still being dispatched, one start per turn after that, never longer
// than MAX_DEFER_MS, so a host that never stops asking cannot starve agents.
// (Group commits used to step aside too, while vscode-jsonrpc held a read request for a later turn. orchd's own
// endpoint (src/server/rpc-endpoint.ts) dispatches a request in the turn it is read, so no request waits behind a
// commit that has not begun.)

import { onNextTurn } from './next-turn.js';

/** The longest a start waits for requests to stop arriving. */
export const MAX_DEFER_MS = 250;

export interface ForegroundBounds {
  maxDeferMs?: number;
}

export class Foreground {
  private readonly queue: { start: () => void; since: number }[] = [];
  private requestSeen = false;
  private readonly schedule = onNextTurn(() => this.tick());
  private readonly maxDeferMs: number;

  constructor(bounds: ForegroundBounds = {}) {
    this.maxDeferMs = bounds.maxDeferMs ?? MAX_DEFER_MS;
  }

  /** A request was dispatched in this turn. */
  requestDispatched(): void {
    this.requestSeen = true;
  }

  /** Run `start` on a later turn in which no request arrived (or once it has waited `maxDeferMs`). */
  defer(start: () => void): void {
    this.queue.push({ start, since: performance.now() });
    this.schedule();
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
