// The durable event log: append inside a transaction, read pages after a sequence number.
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

/** Insert events inside the caller's transaction; returns them with their sequence numbers. */
export async function appendEvents(trx: Kysely<Database>, events: readonly NewEvent[]): Promise<Event[]> {
  const at = new Date().toISOString();
  const appended: Event[] = [];
  for (const event of events) {
    const row = await trx
      .insertInto('events')
      .values({
        kind: event.kind,
        at,
        project_id: event.scope.projectId ?? null,
        task_id: event.scope.taskId ?? null,
        workspace_id: event.scope.workspaceId ?? null,
        session_id: event.scope.sessionId ?? null,
        execution_id: event.scope.executionId ?? null,
        data: JSON.stringify(event.data),
      })
      .returning('seq')
      .executeTakeFirstOrThrow();
    appended.push(toEvent({ ...row, kind: event.kind, at, data: event.data, scope: event.scope }));
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
