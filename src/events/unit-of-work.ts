// A change and the events that describe it commit in one SQLite transaction; subscribers hear of them after commit.
import type { Kysely } from 'kysely';
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
  // Kysely's one connection is held for the whole transaction, so none of its queries can land inside it; BEGIN, the
  // events and COMMIT go straight to the better-sqlite3 handle that connection wraps (as the batch writer's do).
  const { sqlite } = deps.store;
  const { result, events } = await deps.store.db.connection().execute(async (conn) => {
    sqlite.exec('begin immediate');
    try {
      const result = await work(conn, emit);
      const events = appendEvents(sqlite, pending);
      sqlite.exec('commit');
      return { result, events };
    } catch (error) {
      try {
        if (sqlite.inTransaction) sqlite.exec('rollback');
      } catch {
        // The connection is gone (closed, disk error): the work's own error is the one to report.
      }
      throw error;
    }
  });
  deps.hub.published(events);
  return result;
}
