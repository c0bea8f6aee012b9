// Group commit for the hot write path (agent output and what is derived from it). Work queued during one turn of the
// event loop is written on the next, all of it in one transaction, synchronously: BEGIN IMMEDIATE, each piece of work
// in its own savepoint, COMMIT, then publish. The transaction never spans an await, so a host's read waits at most
// for one batch's CPU time, and no other query can land inside it.
import type { Logger } from '../log/logger.js';
import type { Foreground } from '../util/foreground.js';
import type { Store } from '../store/database.js';
import type { EventHub } from './hub.js';
import { appendEvents, type NewEvent } from './log.js';
import type { Emit } from './unit-of-work.js';
import type { LiveEvent } from './wire.js';
import { onNextTurn } from '../util/next-turn.js';

/**
 * A batch stops taking more work after this long; the rest commits on the next turn. A host request waits at most
 * about this much (plus the commit and the delivery of what it committed) behind agent output, however many agents
 * flood. 1 ms rather than 4: under eight flooding agents the no-op p99 fell from 34-44 to 17-22 ms at the same events
 * per second (a COMMIT costs little next to a millisecond of inserts; docs/benchmarks.md, fifth pass).
 */
const TURN_BUDGET_MS = 1;

interface Pending {
  work: (emit: Emit) => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class BatchWriter {
  private queue: Pending[] = [];
  private readonly schedule = onNextTurn(() => this.flush());
  /** When this commit began stepping aside for a host sending requests, and how many requests it had seen then. */
  private yieldingSince: number | undefined;
  private seenRequests = 0;
  /** Asked the checkpointer to say when commits are free again (once per hold). */
  private waitingForCheckpoint = false;
  private readonly statements: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', { run(): unknown }>;

  constructor(
    private readonly store: Store,
    private readonly hub: EventHub,
    private readonly logger: Logger,
    private readonly foreground?: Foreground,
    /**
     * Told after each commit (src/store/wal-checkpointer.ts checkpoints the WAL it grew, off this thread); it holds
     * commits while a checkpoint that lets the WAL restart runs.
     */
    private readonly checkpointer?: { committed(bytes: number): void; readonly holdsCommits: boolean; whenCommitsFree(listener: () => void): void },
  ) {
    const sqlite = store.sqlite;
    this.statements = {
      begin: sqlite.prepare('begin immediate'),
      commit: sqlite.prepare('commit'),
      rollback: sqlite.prepare('rollback'),
      savepoint: sqlite.prepare('savepoint batch_item'),
      release: sqlite.prepare('release batch_item'),
      rollbackTo: sqlite.prepare('rollback to batch_item'),
    };
  }

  /** Queue `work` (it only emits events) for the next group commit; resolves once committed and published. */
  write(work: (emit: Emit) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      this.schedule();
    });
  }

  /** Pieces of work waiting for the next commit. */
  get pending(): number {
    return this.queue.length;
  }


  private flush(): void {
    if (this.queue.length === 0) return;
    // A host is sending requests: let its next one find a short turn (see src/util/foreground.ts).
    if (this.foreground) {
      const yieldNow = this.foreground.shouldYield(this.seenRequests, this.yieldingSince);
      this.seenRequests = this.foreground.dispatched;
      if (yieldNow) {
        this.yieldingSince ??= performance.now();
        this.schedule();
        return;
      }
    }
    this.yieldingSince = undefined;
    // The WAL is being copied back so that it can restart: wait for that checkpoint (tens of ms at most).
    if (this.checkpointer?.holdsCommits) {
      if (!this.waitingForCheckpoint) {
        this.waitingForCheckpoint = true;
        this.checkpointer.whenCommitsFree(() => {
          this.waitingForCheckpoint = false;
          this.schedule();
        });
      }
      return;
    }
    // Kysely transactions finish within microtasks (their work awaits only the database), so this never happens
    // in practice; if one is open after all, joining it would tie this batch to its fate: wait a turn instead.
    if (this.store.sqlite.inTransaction) {
      this.logger.debug('batch writer found a transaction open; retrying next turn');
      this.schedule();
      return;
    }
    const started = performance.now();
    const batch: Pending[] = [];
    const failed = new Map<Pending, unknown>();
    const published: LiveEvent[] = [];
    const s = this.statements;
    try {
      s.begin.run();
      try {
        while (this.queue.length > 0 && (batch.length === 0 || performance.now() - started < TURN_BUDGET_MS)) {
          const item = this.queue.shift()!;
          batch.push(item);
          const events: NewEvent[] = [];
          const emit: Emit = (kind, data, scope) => {
            events.push({ kind, data, scope } as NewEvent);
          };
          s.savepoint.run();
          try {
            item.work(emit);
            const appended = appendEvents(this.store.sqlite, events);
            s.release.run();
            for (const event of appended) published.push(event);
          } catch (error) {
            s.rollbackTo.run();
            s.release.run();
            failed.set(item, error);
          }
        }
        s.commit.run();
      } catch (error) {
        if (this.store.sqlite.inTransaction) s.rollback.run();
        throw error;
      }
    } catch (error) {
      // The whole batch is lost to the database (disk full, database closed): every writer hears of it.
      for (const item of batch) item.reject(error);
      if (this.queue.length > 0) this.schedule();
      return;
    }
    if (this.queue.length > 0) this.schedule();
    if (this.checkpointer) {
      let bytes = 0;
      for (const event of published) bytes += event.json.length;
      this.checkpointer.committed(bytes);
    }
    this.hub.published(published);
    for (const item of batch) {
      if (failed.has(item)) item.reject(failed.get(item));
      else item.resolve();
    }
  }
}
