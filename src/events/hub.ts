// The live side of the event log: a bounded ring of recent events, subscriptions that page through the log,
// and a watch for commits by other orchd processes sharing the same database.
import type { EventFilter } from '../../protocol/events.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/database.js';
import { newId } from '../util/ids.js';
import { scopeMatches } from './filter.js';
import { currentSeq, PAGE_BYTES, readEvents, type EventPage, type EventScope } from './log.js';
import { Subscription, type EventSink } from './subscription.js';
import type { LiveEvent, WireEvent } from './wire.js';

export interface EventHubOptions {
  /** Events kept in memory for live delivery without a database read. */
  ringCapacity?: number;
  /** ...and at most about this many bytes of them (output chunks can be 64 KB each). */
  ringBytes?: number;
  /** How often to look for commits made by another process (ms). */
  foreignPollMs?: number;
  /** Rows per page when reading from the database. */
  pageSize?: number;
}

export class EventHub {
  // The ring is a deque: `ring[ringHead..]` are live, oldest first; the dead prefix is compacted now and then.
  private ring: LiveEvent[] = [];
  private ringHead = 0;
  private ringSizes: number[] = [];
  private ringBytesUsed = 0;
  private knownMax = 0;
  private readonly subscriptions = new Map<string, Subscription>();
  private foreignTimer: NodeJS.Timeout | undefined;
  private lastDataVersion = -1;
  private closed = false;
  readonly ringCapacity: number;
  readonly ringBytes: number;
  readonly pageSize: number;
  private readonly foreignPollMs: number;

  private constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    options: EventHubOptions,
  ) {
    // 4,096: a ring of 65,536 small events doubled the fuzzer daemon's peak RSS (248 -> 485 MB, same seed), and with
    // subscriptions pausing at 64 KB unread a lagging one is a few hundred events behind, well inside 4,096.
    this.ringCapacity = options.ringCapacity ?? 4096;
    this.ringBytes = options.ringBytes ?? 8 * 1024 * 1024;
    this.pageSize = options.pageSize ?? 1000;
    this.foreignPollMs = options.foreignPollMs ?? 500;
  }

  /** A hub over the store's event log, starting at its newest sequence number. */
  static async open(store: Store, logger: Logger, options: EventHubOptions = {}): Promise<EventHub> {
    const hub = new EventHub(store, logger, options);
    hub.knownMax = currentSeq(store.sqlite);
    return hub;
  }

  /** The newest sequence number this process knows of. */
  get currentSeq(): number {
    return this.knownMax;
  }

  /** Recent events held in memory for subscriptions that lag (tests and diagnostics). */
  get cachedEvents(): number {
    return this.ringLength();
  }

  /** Record events just committed by this process and wake subscribers. */
  published(events: readonly LiveEvent[]): void {
    for (const event of events) this.remember(event);
    this.wakeAll();
    this.forgetDelivered();
  }

  /**
   * Drop from the ring what every subscription has passed (live delivery happens within wakeAll). The ring is for
   * subscribers that lag; kept whole, it held every event for its last 4,096, long enough that each one outlived two
   * young-generation collections and was promoted: with one subscriber keeping up, the entries bench ran 15 full GCs
   * instead of 9 and spent 30% more time in GC. Nothing depends on the ring: what it lacks is read from the log.
   */
  private forgetDelivered(): void {
    let passed = Infinity;
    for (const subscription of this.subscriptions.values()) if (subscription.cursor < passed) passed = subscription.cursor;
    while (this.ringLength() > 0 && this.ring[this.ringHead]!.seq <= passed) this.dropOldest();
    this.compactRing();
  }

  private dropOldest(): void {
    this.ringBytesUsed -= this.ringSizes[this.ringHead]!;
    this.ring[this.ringHead] = undefined as unknown as LiveEvent;
    this.ringHead++;
  }

  private compactRing(): void {
    if (this.ringLength() === 0) this.clearRing();
    else if (this.ringHead > 1024 && this.ringHead * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.ringHead);
      this.ringSizes = this.ringSizes.slice(this.ringHead);
      this.ringHead = 0;
    }
  }

  private remember(event: LiveEvent): void {
    // The ring must stay contiguous: a gap means another process committed in between, so start afresh.
    if (this.ringLength() > 0 && event.seq !== this.ringLastSeq() + 1) this.clearRing();
    const size = 256 + event.json.length;
    this.ring.push(event);
    this.ringSizes.push(size);
    this.ringBytesUsed += size;
    while (this.ringLength() > 1 && (this.ringLength() > this.ringCapacity || this.ringBytesUsed > this.ringBytes)) this.dropOldest();
    this.compactRing();
    if (event.seq > this.knownMax) this.knownMax = event.seq;
  }

  /**
   * Stored events were rewritten in place (maintenance/compact turns dropped output into tombstones): forget the
   * in-memory copies, so every later read sees the log as it now is.
   */
  forgetCached(): void {
    this.clearRing();
  }

  private clearRing(): void {
    this.ring = [];
    this.ringSizes = [];
    this.ringHead = 0;
    this.ringBytesUsed = 0;
  }

  private ringLength(): number {
    return this.ring.length - this.ringHead;
  }

  private ringFirstSeq(): number {
    return this.ringLength() ? this.ring[this.ringHead]!.seq : 0;
  }

  private ringLastSeq(): number {
    return this.ringLength() ? this.ring[this.ring.length - 1]!.seq : 0;
  }

  /**
   * The next events after `afterSeq` passing `filter` (about `maxBytes` of them, at least one): from memory when the ring
   * covers them, else from the database.
   */
  read(afterSeq: number, filter: EventFilter, maxBytes = PAGE_BYTES, limit = this.pageSize): EventPage {
    const first = this.ringFirstSeq();
    const last = this.ringLastSeq();
    if (this.ringLength() && afterSeq + 1 >= first && (afterSeq < last || this.knownMax <= last)) {
      const events: WireEvent[] = [];
      let upTo = afterSeq;
      let bytes = 0;
      for (let seq = afterSeq + 1; seq <= last; seq++) {
        const event = this.ring[this.ringHead + (seq - first)]!;
        upTo = seq;
        if (scopeMatches(event.kind, event.scope, filter)) {
          events.push(event);
          bytes += event.json.length;
          if (events.length >= limit || bytes >= maxBytes) break;
        }
      }
      return { events, upTo, more: upTo < this.knownMax };
    }
    return readEvents(this.store.sqlite, afterSeq, this.knownMax, filter, limit, maxBytes);
  }

  /** Create a subscription; it delivers nothing until `start()`, so the caller can reply first. */
  subscribe(filter: EventFilter, sinceSeq: number | undefined, sink: EventSink): Subscription {
    const id = newId('sub');
    const cursor = sinceSeq ?? this.knownMax;
    const subscription = new Subscription(id, filter, cursor, sink, this, this.logger);
    this.subscriptions.set(id, subscription);
    this.watchForeignWrites();
    return subscription;
  }

  /** Stop and forget a subscription; false when the id is unknown. */
  unsubscribe(id: string): boolean {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return false;
    subscription.close();
    this.subscriptions.delete(id);
    if (this.subscriptions.size === 0) this.stopWatchingForeignWrites();
    return true;
  }

  /**
   * The subscriptions an event of this kind and scope would reach: how many, and how many of them wait for their
   * client to read (a terminal stops reading its PTY when every one of them waits).
   */
  audience(kind: string, scope: EventScope): { total: number; paused: number } {
    let total = 0;
    let paused = 0;
    for (const subscription of this.subscriptions.values()) {
      if (!scopeMatches(kind, scope, subscription.filter)) continue;
      total++;
      if (subscription.isPaused) paused++;
    }
    return { total, paused };
  }

  /** The subscription with this id, if any. */
  get(id: string): Subscription | undefined {
    return this.subscriptions.get(id);
  }

  private wakeAll(): void {
    for (const subscription of this.subscriptions.values()) subscription.wake();
  }

  private watchForeignWrites(): void {
    if (this.foreignTimer || this.closed) return;
    this.foreignTimer = setInterval(() => this.checkForeignWrites(), this.foreignPollMs);
    this.foreignTimer.unref();
  }

  private stopWatchingForeignWrites(): void {
    if (this.foreignTimer) clearInterval(this.foreignTimer);
    this.foreignTimer = undefined;
  }

  /** `PRAGMA data_version` changes only when another connection commits: then refresh the known maximum. */
  private checkForeignWrites(): void {
    try {
      const version = this.store.sqlite.pragma('data_version', { simple: true }) as number;
      if (version === this.lastDataVersion) return;
      // Another process committed: it may have compacted rows this ring still holds (orchd gc), so drop the copies.
      if (this.lastDataVersion !== -1) this.clearRing();
      this.lastDataVersion = version;
      const max = currentSeq(this.store.sqlite);
      if (max > this.knownMax) {
        this.knownMax = max;
        this.wakeAll();
      }
    } catch (error) {
      if (!this.closed) this.logger.warn('event poll failed', { error });
    }
  }

  /** Stop all subscriptions and timers. */
  close(): void {
    this.closed = true;
    this.stopWatchingForeignWrites();
    for (const subscription of this.subscriptions.values()) subscription.close();
    this.subscriptions.clear();
  }
}

