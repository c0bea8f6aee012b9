// The durable event log: append inside a transaction, read pages after a sequence number.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Event, EventData, EventFilter, EventKind } from '../../protocol/events.js';
import type { Database, EventsTable } from '../store/schema.js';
import { filterCondition, isEmptyFilter } from './filter.js';

export interface EventScope {
  projectId?: string | undefined;
  taskId?: string | undefined;
  workspaceId?: string | undefined;
  sessionId?: string | undefined;
  executionId?: string | undefined;
}

export interface NewEvent<K extends EventKind = EventKind> {
  kind: K;
  data: EventData<K>;
  scope: EventScope;
}

const INSERT_EVENT =
  'insert into events (kind, at, project_id, task_id, workspace_id, session_id, execution_id, data) values (?, ?, ?, ?, ?, ?, ?, ?)';
const insertStatements = new WeakMap<BetterSqlite3.Database, BetterSqlite3.Statement>();

/**
 * Insert events inside the caller's open transaction; returns them with their sequence numbers.
 * Synchronous, on one prepared statement: this is the hottest write in orchd (every output batch), and building and
 * compiling a Kysely query per event cost more than the insert itself. `seq` is the rowid, so no RETURNING is needed.
 */
export function appendEvents(sqlite: BetterSqlite3.Database, events: readonly NewEvent[]): Event[] {
  if (events.length === 0) return [];
  let insert = insertStatements.get(sqlite);
  if (!insert) {
    insert = sqlite.prepare(INSERT_EVENT);
    insertStatements.set(sqlite, insert);
  }
  const at = new Date().toISOString();
  const appended: Event[] = [];
  for (const event of events) {
    const { projectId, taskId, workspaceId, sessionId, executionId } = event.scope;
    const info = insert.run(event.kind, at, projectId ?? null, taskId ?? null, workspaceId ?? null, sessionId ?? null, executionId ?? null, JSON.stringify(event.data));
    appended.push(toEvent({ seq: Number(info.lastInsertRowid), kind: event.kind, at, data: event.data, scope: event.scope }));
  }
  return appended;
}

function toEvent(parts: { seq: number; kind: string; at: string; data: unknown; scope: EventScope }): Event {
  const event: Event = { seq: parts.seq, kind: parts.kind, at: parts.at, data: parts.data };
  const { projectId, taskId, workspaceId, sessionId, executionId } = parts.scope;
  if (projectId) event.projectId = projectId;
  if (taskId) event.taskId = taskId;
  if (workspaceId) event.workspaceId = workspaceId;
  if (sessionId) event.sessionId = sessionId;
  if (executionId) event.executionId = executionId;
  return event;
}

/** Convert a stored row to the wire event. */
export function rowToEvent(row: Omit<EventsTable, 'seq'> & { seq: number }): Event {
  return toEvent({
    seq: row.seq,
    kind: row.kind,
    at: row.at,
    data: JSON.parse(row.data),
    scope: {
      projectId: row.project_id ?? undefined,
      taskId: row.task_id ?? undefined,
      workspaceId: row.workspace_id ?? undefined,
      sessionId: row.session_id ?? undefined,
      executionId: row.execution_id ?? undefined,
    },
  });
}

/** The newest sequence number in the log (0 when empty). */
export async function currentSeq(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('events').select((eb) => eb.fn.max('seq').as('max')).executeTakeFirst();
  return Number(row?.max ?? 0);
}

export interface EventPage {
  events: Event[];
  /** Every event with seq <= upTo has been considered; the next page starts after it. */
  upTo: number;
}

/** A page stops once it holds about this many bytes of event data, however small `limit` rows would be. */
export const PAGE_BYTES = 4 * 1024 * 1024;

/** Events after `afterSeq` and at most `maxSeq` that pass the filter: at most `limit` of them and about PAGE_BYTES. */
export async function readEvents(db: Kysely<Database>, afterSeq: number, maxSeq: number, filter: EventFilter, limit: number): Promise<EventPage> {
  if (maxSeq <= afterSeq) return { events: [], upTo: afterSeq };
  let query = db.selectFrom('events').selectAll().where('seq', '>', afterSeq).where('seq', '<=', maxSeq);
  if (!isEmptyFilter(filter)) query = query.where((eb) => filterCondition(eb, filter));
  // Streamed row by row, so a page of large events (64 KB output chunks) is cut by size, not only by count.
  const events: Event[] = [];
  let bytes = 0;
  let full = false;
  for await (const row of query.orderBy('seq').limit(limit).stream(64)) {
    events.push(rowToEvent(row));
    bytes += row.data.length;
    if (events.length >= limit || bytes >= PAGE_BYTES) {
      full = true;
      break;
    }
  }
  const upTo = full ? events[events.length - 1]!.seq : maxSeq;
  return { events, upTo };
}
