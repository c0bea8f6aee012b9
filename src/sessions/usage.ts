// What a session's agent turns used. Every `usage` entry counts only its own turn (the normalizers turn agents' running
// totals into per-turn figures), so a session's totals are the sum of its usage entries, and the baseline a resumed
// turn's normalizer needs (what the earlier turns of the same agent session used) is the sum over those turns.
// Both are read from what is stored: the `session/entryUpserted` events (the latest state of each entry), which exist
// for every execution, even one whose raw output retention dropped. One indexed query per call.
import { sql } from 'kysely';
import type { NormalizedEntry } from '../../protocol/entries.js';
import type { SessionUsage } from '../../protocol/execution.js';
import type { Engine } from '../engine.js';
import type { UsageBaseline, UsageFigures } from '../normalizers/types.js';

type UsageEntry = Extract<NormalizedEntry, { type: 'usage' }>;

/** One agent execution's usage entries (latest state of each) and the agent session it ran in. */
export interface ExecutionUsage {
  executionId: string;
  agentSessionId: string | null;
  usage: UsageEntry[];
}

/** The sum of usage entries; a field is null when no entry reported it. */
export function sumUsage(entries: Iterable<UsageEntry>): UsageFigures {
  const total: UsageFigures = { inputTokens: null, outputTokens: null, cacheReadTokens: null, costUsd: null };
  for (const entry of entries) {
    for (const field of ['inputTokens', 'outputTokens', 'cacheReadTokens', 'costUsd'] as const) {
      const value = entry[field];
      if (typeof value === 'number') total[field] = (total[field] ?? 0) + value;
    }
  }
  return total;
}

/** What the earlier executions on `agentSessionId` used, for the normalizer of a turn that resumes it; null when none
 * of them reported usage. */
export function usageBaselineOf(executions: Iterable<ExecutionUsage>, agentSessionId: string): UsageBaseline | null {
  const entries = [...executions].filter((e) => e.agentSessionId === agentSessionId).flatMap((e) => e.usage);
  return entries.length ? { agentSessionId, ...sumUsage(entries) } : null;
}

/** Group entries by execution (the usage entries and the agent session id of each), in order of first appearance. */
export function executionUsageOf(entries: Iterable<NormalizedEntry>): ExecutionUsage[] {
  const byExecution = new Map<string, ExecutionUsage>();
  for (const entry of entries) {
    if (entry.type !== 'usage' && entry.type !== 'agentSession') continue;
    let execution = byExecution.get(entry.executionId);
    if (!execution) byExecution.set(entry.executionId, (execution = { executionId: entry.executionId, agentSessionId: null, usage: [] }));
    if (entry.type === 'agentSession') execution.agentSessionId = entry.agentSessionId;
    else execution.usage.push(entry);
  }
  return [...byExecution.values()];
}

/** The usage and agent-session entries of the session's agent executions, as stored (latest state of each entry). */
async function storedUsageEntries(engine: Engine, sessionId: string): Promise<NormalizedEntry[]> {
  const rows = await engine.store.db
    .selectFrom('events')
    .select('data')
    .where('execution_id', 'in', engine.store.db.selectFrom('executions').select('id').where('session_id', '=', sessionId).where('run_reason', '=', 'codingAgent'))
    .where('kind', '=', 'session/entryUpserted')
    .where(sql<string>`json_extract(data, '$.entry.type')`, 'in', ['usage', 'agentSession'])
    .orderBy('seq')
    .execute();
  const latest = new Map<string, NormalizedEntry>();
  for (const row of rows) {
    const { entry } = JSON.parse(row.data) as { entry: NormalizedEntry };
    latest.set(entry.id, entry);
  }
  return [...latest.values()];
}

/** The baseline for a turn of `sessionId` that resumes `agentSessionId` in a new process (the live path). */
export async function sessionUsageBaseline(engine: Engine, sessionId: string, agentSessionId: string | null): Promise<UsageBaseline | null> {
  if (!agentSessionId) return null;
  return usageBaselineOf(executionUsageOf(await storedUsageEntries(engine, sessionId)), agentSessionId);
}

/** The session's totals for `session/get`: null when no turn reported usage. */
export async function sessionUsage(engine: Engine, sessionId: string): Promise<SessionUsage | null> {
  const usage = (await storedUsageEntries(engine, sessionId)).filter((e): e is UsageEntry => e.type === 'usage');
  if (!usage.length) return null;
  const total = sumUsage(usage);
  return { inputTokens: total.inputTokens, outputTokens: total.outputTokens, cachedTokens: total.cacheReadTokens, costUsd: total.costUsd === null ? null : roundCost(total.costUsd) };
}

/** Dollar sums of many small floats: rounded to a billionth so 0.1 + 0.2 reads 0.3. */
function roundCost(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
