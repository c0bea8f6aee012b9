// Read an execution's output chunks back from the event log (the same chunks live subscribers received).
import { sql } from 'kysely';
import type { LogChunk } from '../../protocol/execution.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { loadExecution } from './store.js';

/** Chunks with seq > sinceSeq, at most `limit`; `done` once the process has exited and nothing more is left. */
export async function readExecutionLogs(engine: Engine, params: { executionId: string; sinceSeq: number; limit: number }): Promise<{ chunks: LogChunk[]; nextSeq: number; done: boolean }> {
  const execution = await loadExecution(engine.store.db, params.executionId);
  if (!execution) throw OrchdError.notFound('execution', params.executionId);
  const rows = await engine.store.db
    .selectFrom('events')
    .select(['at', 'data'])
    .where('execution_id', '=', params.executionId)
    .where('kind', '=', 'execution/output')
    .where(sql<number>`json_extract(data, '$.seq')`, '>', params.sinceSeq)
    .orderBy('seq')
    .limit(params.limit + 1)
    .execute();
  const more = rows.length > params.limit;
  const chunks = rows.slice(0, params.limit).map((row) => {
    const data = JSON.parse(row.data) as { seq: number; stream: 'stdout' | 'stderr'; text: string };
    return { seq: data.seq, stream: data.stream, text: data.text, at: row.at };
  });
  const nextSeq = chunks.length ? chunks[chunks.length - 1]!.seq : params.sinceSeq;
  return { chunks, nextSeq, done: execution.status !== 'running' && !more };
}
