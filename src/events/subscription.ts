// One subscriber's cursor over the event log. Delivery always reads "after my cursor", from the ring or the
// database, so catch-up and live events join with no gap and no duplicate, and a slow reader costs one number.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EventFilter } from '../../protocol/events.js';
import type { Logger } from '../log/logger.js';
import type { EventPage } from './log.js';
import type { WireEvent } from './wire.js';

export interface EventSink {
  /** Deliver one event. Return false when the consumer is saturated; call `resume()` once it drains. */
  send(event: WireEvent): boolean;
  /** About how many bytes it can take before it is saturated: pages are read no larger, so none is read twice. */
  room?(): number;
}

export interface EventSource {
  read(afterSeq: number, filter: EventFilter, maxBytes?: number): EventPage;
}

export class Subscription {
  private running = false;
  private wanted = false;
  private paused = false;
  private started = false;
  private closed = false;

  constructor(
    readonly id: string,
    readonly filter: EventFilter,
    private cursorSeq: number,
    private readonly sink: EventSink,
    private readonly source: EventSource,
    private readonly logger: Logger,
  ) {}

  /** The seq of the last event delivered or passed over. */
  get cursor(): number {
    return this.cursorSeq;
  }

  /** True while it waits for the sink to drain. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Begin delivering (catch-up first, then live). */
  start(): void {
    this.started = true;
    this.wake();
  }

  /** There may be new events: deliver them unless paused. */
  wake(): void {
    this.wanted = true;
    if (!this.running && this.started && !this.paused && !this.closed) void this.pump();
  }

  /** The sink drained: carry on. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.wake();
  }

  /** Deliver nothing more. */
  close(): void {
    this.closed = true;
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.wanted && !this.paused && !this.closed) {
        this.wanted = false;
        for (;;) {
          const page = this.source.read(this.cursorSeq, this.filter, this.sink.room?.());
          for (const event of page.events) {
            this.cursorSeq = event.seq;
            if (!this.sink.send(event)) {
              this.paused = true;
              break;
            }
          }
          if (this.paused) {
            // Events passed over after the last delivered one are read again on resume; none is lost.
            return;
          }
          if (page.upTo > this.cursorSeq) this.cursorSeq = page.upTo;
          // Everything up to the newest known seq was considered. Live events are delivered in the same turn as
          // their commit, so a client sees the events of a change before the reply to the request that made it.
          if (!page.more) break;
          // A catch-up reads page after page: let requests and other subscribers run in between.
          await nextTurn();
          if (this.closed) return;
        }
      }
    } catch (error) {
      this.logger.error('subscription delivery failed', { subscriptionId: this.id, error });
    } finally {
      this.running = false;
      // A wake that raced with the end of the loop must not be lost.
      if (this.wanted && !this.paused && !this.closed && this.started) void this.pump();
    }
  }
}
