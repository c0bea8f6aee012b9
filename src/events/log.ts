// The durable event log: append inside a transaction, read pages after a sequence number.
import type BetterSqlite3 from 'better-sqlite3';
import type { EventData, EventFilter, EventKind } from '../../protocol/events.js';
import { cachedStatement } from '../store/statement-cache.js';
import { filterSql } from './filter.js';
import { eventHead, eventJsonFrom, LiveEvent, WireEvent } from './wire.js';

export interface EventScope {
  projectId?: string | null | undefined;
  taskId?: string | null | undefined;
  workspaceId?: string | null | undefined;
  sessionId?: string | null | undefined;
  executionId?: string | null | undefined;
}

export interface NewEvent<K extends EventKind = EventKind> {
  kind: K;
  data: EventData<K>;
  scope: EventScope;
}

const INSERT_EVENT =
  'insert into events (kind, at, project_id, task_id, workspace_id, session_id, execution_id, data) values (?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * Insert events inside the caller's open transaction; returns them with their sequence numbers, ready to deliver.
 * Synchronous, on one prepared statement: this is the hottest write in orchd (every output batch), and building and
 * compiling a Kysely query per event cost more than the insert itself. `seq` is the rowid, so no RETURNING is needed.
 * The data is serialized once, for the row and for the event's wire JSON.
 */
export function appendEvents(sqlite: BetterSqlite3.Database, events: readonly NewEvent[]): LiveEvent[] {
  if (events.length === 0) return [];
  const insert = cachedStatement(sqlite, INSERT_EVENT);
  const at = new Date().toISOString();
  const appended: LiveEvent[] = [];
  // The JSON between seq and data is the same for every event of one kind in this call.
  let headKind = '';
  let head = '';
  for (const event of events) {
    const { scope } = event;
    const data = JSON.stringify(event.data);
    const info = insert.run(event.kind, at, scope.projectId ?? null, scope.taskId ?? null, scope.workspaceId ?? null, scope.sessionId ?? null, scope.executionId ?? null, data);
    const seq = Number(info.lastInsertRowid);
    if (event.kind !== headKind) {
      headKind = event.kind;
      head = eventHead(event.kind, at);
    }
    appended.push(new LiveEvent(seq, event.kind, scope, eventJsonFrom(seq, head, data, scope)));
  }
  return appended;
}

/** The newest sequence number in the log (0 when empty). */
export function currentSeq(sqlite: BetterSqlite3.Database): number {
  const row = cachedStatement(sqlite, 'select max(seq) as max from events').get() as { max: number | null } | undefined;
  return Number(row?.max ?? 0);
}

export interface EventPage {
  events: WireEvent[];
  /** Every event with seq <= upTo has been considered; the next page starts after it. */
  upTo: number;
  /** The page was cut (by count or bytes) before the newest known event: read again from `upTo`. */
  more: boolean;
}

/** A page stops once it holds about this many bytes of event JSON, however small `limit` rows would be. */
export const PAGE_BYTES = 4 * 1024 * 1024;

/** A scope column as `,"<key>":<JSON string>`, or nothing when it is null (as `eventJson` leaves unset ids out). */
const scopeJson = (column: string, key: string) => `case when ${column} is not null then ',"${key}":' || json_quote(${column}) else '' end`;

/**
 * The event's wire JSON, built by SQLite from the columns: the same text `eventJson` makes (held equal by
 * test/unit/event-wire.test.ts), about 40% cheaper per row than building it in JS from a row array.
 */
const EVENT_JSON_SQL = [
  `'{"seq":' || seq || ',"kind":' || json_quote(kind) || ',"at":' || json_quote(at) || ',"data":' || data`,
  scopeJson('project_id', 'projectId'),
  scopeJson('task_id', 'taskId'),
  scopeJson('workspace_id', 'workspaceId'),
  scopeJson('session_id', 'sessionId'),
  scopeJson('execution_id', 'executionId'),
  `'}'`,
].join(' || ');

/**
 * Events after `afterSeq` and at most `maxSeq` that pass the filter: at most `limit` of them and about `maxBytes` of
 * JSON (at least one event).
 * Synchronous and straight from the columns to wire JSON (built by SQLite, `data` spliced in as stored, never parsed):
 * replay is bound by this loop. Kysely is bypassed here for that reason.
 */
export function readEvents(sqlite: BetterSqlite3.Database, afterSeq: number, maxSeq: number, filter: EventFilter, limit: number, maxBytes = PAGE_BYTES): EventPage {
  if (maxSeq <= afterSeq) return { events: [], upTo: afterSeq, more: false };
  const { where, params } = filterSql(filter);
  const select = cachedStatement(sqlite, `select seq, ${EVENT_JSON_SQL} from events where seq > ? and seq <= ? and ${where} order by seq limit ?`, true);
  const events: WireEvent[] = [];
  let bytes = 0;
  let full = false;
  // Iterated, so a page stops reading at its byte budget (64 KB output chunks; a client that can take little now),
  // not only after `limit` rows.
  for (const [seq, json] of select.iterate(afterSeq, maxSeq, ...params, limit) as IterableIterator<[number, string]>) {
    events.push(new WireEvent(seq, json));
    bytes += json.length;
    if (events.length >= limit || bytes >= maxBytes) {
      full = true;
      break;
    }
  }
  const upTo = full ? events[events.length - 1]!.seq : maxSeq;
  return { events, upTo, more: full && upTo < maxSeq };
}
