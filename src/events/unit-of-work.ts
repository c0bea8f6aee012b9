// A change and the events that describe it commit in one SQLite transaction; subscribers hear of them after commit.
import { sql, type Kysely } from 'kysely';
import type { EventData, EventKind } from '../../protocol/events.js';
import type { Store } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { EventHub } from './hub.js';
import { appendEvents, type EventScope, type NewEvent } from './log.js';

export type Emit = <K extends EventKind>(kind: K, data: EventData<K>, scope: EventScope) => void;

export interface UnitOfWorkDeps {
  store: Store;
  hub: EventHub;
}

/**
 * Run `work` in a write transaction (BEGIN IMMEDIATE, so concurrent orchd processes queue instead of failing),
 * append the events it emitted, commit, then publish them to live subscribers.
 */
export async function transact<T>(deps: UnitOfWorkDeps, work: (trx: Kysely<Database>, emit: Emit) => Promise<T>): Promise<T> {
  const pending: NewEvent[] = [];
  const emit: Emit = (kind, data, scope) => {
    pending.push({ kind, data, scope } as NewEvent);
  };
  const { result, events } = await deps.store.db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await work(conn, emit);
      // On the same connection Kysely holds for this transaction (one better-sqlite3 handle), inside BEGIN IMMEDIATE.
      const events = appendEvents(deps.store.sqlite, pending);
      await sql`commit`.execute(conn);
      return { result, events };
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw error;
    }
  });
  deps.hub.published(events);
  return result;
}
