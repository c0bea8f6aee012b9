// Terminal rows to protocol shapes, and the reads of a terminal's output chunks (terminal/output events).
import type { Kysely } from 'kysely';
import type { Terminal } from '../../protocol/terminal.js';
import type { Database, TerminalsTable } from '../store/schema.js';
import type { Store } from '../store/database.js';
import { cachedStatement } from '../store/statement-cache.js';

export function terminalFromRow(row: TerminalsTable, live?: { outputSeq: number; pid: number | null }): Terminal {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    repositoryId: row.repository_id,
    name: row.name,
    cwd: row.cwd,
    command: row.command,
    args: JSON.parse(row.args) as string[],
    cols: row.cols,
    rows: row.rows,
    status: row.status,
    pid: live?.pid ?? row.pid,
    exitCode: row.exit_code,
    signal: row.signal,
    reason: row.reason,
    outputSeq: live?.outputSeq ?? row.output_seq,
    scrollbackBytes: row.scrollback_bytes,
    createdAt: row.created_at,
    endedAt: row.ended_at,
  };
}

export async function loadTerminalRow(db: Kysely<Database>, terminalId: string): Promise<TerminalsTable | undefined> {
  return db.selectFrom('terminals').selectAll().where('id', '=', terminalId).executeTakeFirst();
}

/** One terminal's output chunks after `afterChunk`, in order, as stored (`terminal/output` events). */
export function readChunks(store: Store, terminalId: string, afterChunk: number): { seq: number; data: string }[] {
  const statement = cachedStatement(
    store.sqlite,
    `select json_extract(data, '$.seq') as seq, json_extract(data, '$.data') as data from events
     where kind = 'terminal/output' and json_extract(data, '$.terminalId') = ? and json_extract(data, '$.seq') > ?
     order by json_extract(data, '$.seq')`,
  );
  return statement.all(terminalId, afterChunk) as { seq: number; data: string }[];
}

/**
 * Drop one terminal's chunks up to `throughChunk` from the log, in the caller's transaction: the first becomes the
 * `terminal/trimmed` tombstone, the others are deleted. Returns how many were dropped.
 */
export function trimChunks(store: Store, terminalId: string, throughChunk: number): number {
  const rows = cachedStatement(
    store.sqlite,
    `select seq, length(data) as bytes from events
     where kind = 'terminal/output' and json_extract(data, '$.terminalId') = ? and json_extract(data, '$.seq') <= ?
     order by seq`,
  ).all(terminalId, throughChunk) as { seq: number; bytes: number }[];
  if (rows.length === 0) return 0;
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const tombstone = {
    terminalId,
    fromSeq: first.seq,
    toSeq: last.seq,
    throughChunk,
    count: rows.length,
    bytes: rows.reduce((sum, row) => sum + row.bytes, 0),
  };
  cachedStatement(store.sqlite, `update events set kind = 'terminal/trimmed', data = ? where seq = ?`).run(JSON.stringify(tombstone), first.seq);
  cachedStatement(
    store.sqlite,
    `delete from events where kind = 'terminal/output' and json_extract(data, '$.terminalId') = ? and json_extract(data, '$.seq') <= ?`,
  ).run(terminalId, throughChunk);
  return rows.length;
}
