// Read an execution's output chunks back from the event log (the same chunks live subscribers received).
import { sql } from 'kysely';
import type { LogChunk } from '../../protocol/execution.js';
import type { OutputCompaction } from '../../protocol/maintenance.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { outputCompaction } from '../maintenance/compact.js';
import { loadExecution } from './store.js';

/** A page stops early once it holds this many bytes of text, so one response stays small. */
const PAGE_BYTES = 4 * 1024 * 1024;

/** Chunks with seq > sinceSeq, at most `limit` (and about 4 MB); `done` once the process has exited and nothing more is left.
 * When retention dropped the output, no chunks and `compacted`: the tombstone saying what was dropped and why. */
export async function readExecutionLogs(
  engine: Engine,
  params: { executionId: string; sinceSeq: number; limit: number },
): Promise<{ chunks: LogChunk[]; nextSeq: number; done: boolean; compacted?: OutputCompaction }> {
  const execution = await loadExecution(engine.store.db, params.executionId);
  if (!execution) throw OrchdError.notFound('execution', params.executionId);
  const compacted = await outputCompaction(engine.store.db, params.executionId);
  if (compacted) return { chunks: [], nextSeq: params.sinceSeq, done: execution.status !== 'running', compacted };
  const query = engine.store.db
    .selectFrom('events')
    .select(['at', 'data'])
    .where('execution_id', '=', params.executionId)
    .where('kind', '=', 'execution/output')
    .where(sql<number>`json_extract(data, '$.seq')`, '>', params.sinceSeq)
    .orderBy('seq')
    .limit(params.limit + 1);
  // Streamed, and cut at PAGE_BYTES: chunks can be 64 KB each, so `limit` alone could mean a huge page.
  const chunks: LogChunk[] = [];
  let bytes = 0;
  let more = false;
  for await (const row of query.stream(64)) {
    if (chunks.length >= params.limit || bytes >= PAGE_BYTES) {
      more = true;
      break;
    }
    const data = JSON.parse(row.data) as { seq: number; stream: 'stdout' | 'stderr'; text: string };
    chunks.push({ seq: data.seq, stream: data.stream, text: data.text, at: row.at });
    bytes += data.text.length;
  }
  const nextSeq = chunks.length ? chunks[chunks.length - 1]!.seq : params.sinceSeq;
  return { chunks, nextSeq, done: execution.status !== 'running' && !more };
}
