// maintenance/compact: apply each project's retention to the event log. Each dropped execution's raw output leaves one
// `events/compacted` tombstone, rewritten in place of its first output event, so a replay from seq 0 still explains
// every seq it no longer sees; then the freed pages go back to the file system (incremental vacuum).
import { sql, type Kysely } from 'kysely';
import type { Compaction, OutputCompaction, ProjectCompaction } from '../../protocol/maintenance.js';
import type { Project } from '../../protocol/project.js';
import type { Engine } from '../engine.js';
import { transact } from '../events/unit-of-work.js';
import { getProject, listProjects } from '../projects/service.js';
import type { Database } from '../store/schema.js';
import { hasRetention, planRetention, type OutputRun, type PlannedDrop } from './retention.js';
import { databaseBytes, reclaimFreePages } from './vacuum.js';

export interface CompactOptions {
  projectId?: string | undefined;
  dryRun: boolean;
  /** The clock `maxAgeDays` is measured against (tests pass their own). */
  now?: Date;
}

/** Apply retention to one project or all, then vacuum; a dry run reports the plan and changes nothing. */
export async function compactEventLog(engine: Engine, options: CompactOptions): Promise<Compaction> {
  const now = options.now ?? new Date();
  const projects: Project[] = options.projectId !== undefined ? [await getProject(engine, options.projectId)] : listProjects(engine).filter((p) => hasRetention(p.retention));
  const bytesBefore = databaseBytes(engine.store.sqlite);
  const summaries: ProjectCompaction[] = [];
  for (const project of projects) summaries.push(await compactProject(engine, project, now, options.dryRun));
  // Rows were rewritten in place: replay must no longer be served from the hub's in-memory copies of them.
  if (!options.dryRun) engine.hub.forgetCached();
  const vacuum = options.dryRun ? 'none' : await reclaimFreePages(engine);
  const total = (key: 'executions' | 'eventsDropped' | 'bytesDropped') => summaries.reduce((sum, s) => sum + s[key], 0);
  return {
    dryRun: options.dryRun,
    projects: summaries,
    executions: total('executions'),
    eventsDropped: total('eventsDropped'),
    bytesDropped: total('bytesDropped'),
    tombstones: options.dryRun ? 0 : total('executions'),
    vacuum,
    bytesBefore,
    bytesAfter: databaseBytes(engine.store.sqlite),
  };
}

async function compactProject(engine: Engine, project: Project, now: Date, dryRun: boolean): Promise<ProjectCompaction> {
  const runs = await outputRuns(engine, project.id);
  const plan = planRetention(runs, project.retention, now);
  const summary: ProjectCompaction = { projectId: project.id, retention: project.retention, executions: 0, eventsDropped: 0, bytesDropped: 0, outputBytesKept: plan.bytesKept };
  let notDropped = 0;
  for (const drop of plan.drops) {
    const dropped = dryRun ? drop : await dropOutput(engine, drop, now.toISOString());
    if (!dropped) {
      notDropped += drop.bytes;
      continue;
    }
    summary.executions++;
    summary.eventsDropped += dropped.count;
    summary.bytesDropped += dropped.bytes;
  }
  summary.outputBytesKept += notDropped;
  return summary;
}

interface OutputRow {
  executionId: string;
  fromSeq: number;
  toSeq: number;
  count: number;
  bytes: number;
  lastAt: string;
  status: string | null;
  endedAt: string | null;
  sessionId: string | null;
  sessionStatus: string | null;
  runningInSession: number;
}

/** Every execution with raw output in the project's log, with whether it may be dropped. */
async function outputRuns(engine: Engine, projectId: string): Promise<OutputRun[]> {
  const { rows } = await sql<OutputRow>`
    select o.execution_id as executionId, o.from_seq as fromSeq, o.to_seq as toSeq, o.count as count, o.bytes as bytes, o.last_at as lastAt,
      x.status as status, x.ended_at as endedAt, x.session_id as sessionId, s.status as sessionStatus,
      (select count(*) from executions r where r.session_id = x.session_id and r.status = 'running') as runningInSession
    from (
      select execution_id, min(seq) as from_seq, max(seq) as to_seq, count(*) as count, sum(octet_length(data)) as bytes, max(at) as last_at
      from events where project_id = ${projectId} and kind = 'execution/output' and execution_id is not null
      group by execution_id
    ) o
    left join executions x on x.id = o.execution_id
    left join sessions s on s.id = x.session_id`.execute(engine.store.db);
  return rows.map((row) => {
    // No row: its workspace was deleted, so it ended long ago; its newest chunk dates it.
    if (row.status === null) return { ...runOf(row), endedAt: row.lastAt, finished: true };
    const finished = row.status !== 'running' && !engine.running.has(row.executionId) && (row.sessionId === null || sessionIdle(engine, row));
    return { ...runOf(row), endedAt: row.status === 'running' ? null : (row.endedAt ?? row.lastAt), finished };
  });
}

function runOf(row: OutputRow): Omit<OutputRun, 'endedAt' | 'finished'> {
  return { executionId: row.executionId, fromSeq: Number(row.fromSeq), toSeq: Number(row.toSeq), count: Number(row.count), bytes: Number(row.bytes) };
}

/** The session is idle in the database, nothing of it runs, and no chain of it is under way in this process. */
function sessionIdle(engine: Engine, row: Pick<OutputRow, 'sessionId' | 'sessionStatus' | 'runningInSession'>): boolean {
  if (row.sessionStatus === 'running' || Number(row.runningInSession) > 0) return false;
  const runtime = row.sessionId === null ? undefined : engine.sessions.get(row.sessionId);
  return !runtime || (runtime.loop === null && runtime.running.size === 0 && runtime.steps.length === 0);
}

/**
 * Drop one execution's raw output in one write transaction: its first output event becomes the tombstone, the others
 * are deleted, and the execution is marked. Checked again inside the transaction; null when it no longer qualifies.
 */
async function dropOutput(engine: Engine, drop: PlannedDrop, compactedAt: string): Promise<{ count: number; bytes: number } | null> {
  return transact(engine, async (trx) => {
    if (!(await stillFinished(engine, trx, drop.executionId))) return null;
    const { rows } = await sql<{ fromSeq: number | null; toSeq: number | null; count: number; bytes: number | null }>`
      select min(seq) as fromSeq, max(seq) as toSeq, count(*) as count, sum(octet_length(data)) as bytes
      from events where execution_id = ${drop.executionId} and kind = 'execution/output'`.execute(trx);
    const found = rows[0];
    if (!found || found.fromSeq === null || Number(found.count) === 0) return null;
    const tombstone: OutputCompaction = {
      executionId: drop.executionId,
      droppedKind: 'execution/output',
      fromSeq: Number(found.fromSeq),
      toSeq: Number(found.toSeq),
      count: Number(found.count),
      bytes: Number(found.bytes ?? 0),
      reason: drop.reason,
      compactedAt,
    };
    await trx.updateTable('events').set({ kind: 'events/compacted', data: JSON.stringify(tombstone) }).where('seq', '=', tombstone.fromSeq).execute();
    await trx.deleteFrom('events').where('execution_id', '=', drop.executionId).where('kind', '=', 'execution/output').execute();
    await trx.updateTable('executions').set({ output_compacted_at: compactedAt }).where('id', '=', drop.executionId).execute();
    return { count: tombstone.count, bytes: tombstone.bytes };
  });
}

/** The execution (if its row still exists) has ended and its session is idle, as of this transaction. */
async function stillFinished(engine: Engine, trx: Kysely<Database>, executionId: string): Promise<boolean> {
  if (engine.running.has(executionId)) return false;
  const { rows } = await sql<{ status: string; sessionId: string | null; sessionStatus: string | null; runningInSession: number }>`
    select x.status as status, x.session_id as sessionId, s.status as sessionStatus,
      (select count(*) from executions r where r.session_id = x.session_id and r.status = 'running') as runningInSession
    from executions x left join sessions s on s.id = x.session_id where x.id = ${executionId}`.execute(trx);
  const row = rows[0];
  if (!row) return true;
  return row.status !== 'running' && (row.sessionId === null || sessionIdle(engine, row));
}

/** The tombstone of an execution whose output was dropped, or undefined (one key lookup when it was not). */
export async function outputCompaction(db: Kysely<Database>, executionId: string): Promise<OutputCompaction | undefined> {
  const marked = await db.selectFrom('executions').select('output_compacted_at').where('id', '=', executionId).executeTakeFirst();
  if (!marked?.output_compacted_at) return undefined;
  const row = await db.selectFrom('events').select('data').where('execution_id', '=', executionId).where('kind', '=', 'events/compacted').orderBy('seq').executeTakeFirst();
  return row ? (JSON.parse(row.data) as OutputCompaction) : undefined;
}
