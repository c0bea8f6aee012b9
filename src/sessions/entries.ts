// session/entries: the conversation, derived by replaying each agent execution's raw output through its executor's
// normalizer. Raw output is the source of truth, so the same output always yields the same entries. Where retention
// dropped an execution's raw output (maintenance/compact), its entries come from the `session/entryUpserted` events
// written live from that same output: the latest state of each entry, in order of first appearance.
import { sql } from 'kysely';
import type { NormalizedEntry } from '../../protocol/entries.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { loadExecutions } from '../executions/store.js';
import { getExecutor } from '../executors/registry.js';
import { createLineSplitter, replayEntries, stampEntry } from '../normalizers/replay.js';
import type { RawStream } from '../normalizers/types.js';
import { getSession } from './service.js';
import { executionUsageOf, usageBaselineOf } from './usage.js';

/** Feed one execution's stored output, line by line per stream, to `onLine`; invalidState when retention dropped it. */
export async function replayLines(engine: Engine, executionId: string, onLine: (line: string, stream: RawStream) => void): Promise<void> {
  const marked = await engine.store.db.selectFrom('executions').select('output_compacted_at').where('id', '=', executionId).executeTakeFirst();
  if (marked?.output_compacted_at) {
    throw OrchdError.invalidState(
      `Expected execution \`${executionId}\` to still have its raw output, but retention dropped it at ${marked.output_compacted_at} (maintenance/compact)`,
      { executionId, outputCompactedAt: marked.output_compacted_at },
    );
  }
  const lines = createLineSplitter(onLine);
  const rows = engine.store.db
    .selectFrom('events')
    .select('data')
    .where('execution_id', '=', executionId)
    .where('kind', '=', 'execution/output')
    .orderBy(sql`json_extract(data, '$.seq')`)
    .stream(64);
  for await (const row of rows) {
    const chunk = JSON.parse(row.data) as { stream: RawStream; text: string };
    lines.push(chunk.text, chunk.stream);
  }
  lines.end();
}

/** Every entry of the session in order of first appearance, each in its latest state. */
export async function sessionEntries(
  engine: Engine,
  params: { sessionId: string; sinceIndex: number; sinceSeq?: number | undefined },
): Promise<{ entries: { index: number; entry: NormalizedEntry }[]; unknownLines: number; seq: number }> {
  // Read the position first: an upsert after it may already show in the replay (harmless: upserts are idempotent),
  // and a subscription from it cannot miss one.
  const seq = engine.hub.currentSeq;
  const session = await getSession(engine, params.sessionId);
  const executor = getExecutor(session.executor);
  const executions = (await loadExecutions(engine.store.db, { sessionId: session.id })).filter((e) => e.runReason === 'codingAgent');
  const compacted = await compactedExecutions(engine, session.id);
  const byId = new Map<string, NormalizedEntry>();
  let unknownLines = 0;
  for (const execution of executions) {
    if (execution.action.type === 'agent') byId.set(`${execution.id}/prompt`, stampEntry({ id: 'prompt', type: 'userMessage', text: execution.action.prompt }, execution.id));
    if (compacted.has(execution.id)) {
      unknownLines += await upsertedEntries(engine, execution.id, byId);
      continue;
    }
    // A turn that resumed the agent's session starts from what the earlier turns on it used (see src/sessions/usage.ts);
    // the live path passes the same baseline, read from the stored entries.
    const resumed = execution.action.type === 'agent' ? execution.action.resumeAgentSessionId : null;
    const usageBaseline = resumed ? usageBaselineOf(executionUsageOf(byId.values()), resumed) : null;
    const replay = replayEntries(executor.createNormalizer({ usageBaseline }), execution.id, byId);
    await replayLines(engine, execution.id, (line, stream) => void replay.push(line, stream));
    unknownLines += replay.unknownLines;
  }
  const entries = [...byId.values()].map((entry, position) => ({ index: position + 1, entry }));
  const changed = params.sinceSeq === undefined ? null : await entriesChangedSince(engine, executions.map((e) => e.id), params.sinceSeq);
  return { entries: entries.filter((e) => e.index > params.sinceIndex && (!changed || changed.has(e.entry.id))), unknownLines, seq };
}

/** The session's executions whose raw output retention dropped. */
async function compactedExecutions(engine: Engine, sessionId: string): Promise<Set<string>> {
  const rows = await engine.store.db.selectFrom('executions').select('id').where('session_id', '=', sessionId).where('output_compacted_at', 'is not', null).execute();
  return new Set(rows.map((r) => r.id));
}

/** Set each entry of the execution to its latest `session/entryUpserted` state (a new id takes the next position);
 * returns how many are `raw` entries of lines the normalizer did not understand (stderr diagnostics not counted). */
async function upsertedEntries(engine: Engine, executionId: string, byId: Map<string, NormalizedEntry>): Promise<number> {
  const rows = engine.store.db
    .selectFrom('events')
    .select('data')
    .where('execution_id', '=', executionId)
    .where('kind', '=', 'session/entryUpserted')
    .orderBy('seq')
    .stream(256);
  const raw = new Set<string>();
  for await (const row of rows) {
    const { entry } = JSON.parse(row.data) as { entry: NormalizedEntry };
    byId.set(entry.id, entry);
    if (entry.type === 'raw' && entry.kind !== 'diagnostic') raw.add(entry.id);
  }
  return raw.size;
}

/** Ids of the entries a `session/entryUpserted` event after `sinceSeq` touched (the prompt entry counts with its execution). */
async function entriesChangedSince(engine: Engine, executionIds: string[], sinceSeq: number): Promise<Set<string>> {
  if (!executionIds.length) return new Set();
  const rows = await engine.store.db
    .selectFrom('events')
    .select(sql<string>`json_extract(data, '$.entry.id')`.as('entryId'))
    .where('execution_id', 'in', executionIds)
    .where('kind', '=', 'session/entryUpserted')
    .where('seq', '>', sinceSeq)
    .execute();
  return new Set(rows.map((r) => r.entryId));
}
