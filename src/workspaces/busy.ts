// Keeps workspace operations that rewrite or remove a worktree (merge, rebase, reset, delete, archive) apart from
// sessions and processes running in it: refused while something runs, or preceded by a stop when forced, and no
// session may start while such an operation holds the workspace.
import type { Workspace, WorkspaceState } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import type { SessionRuntime } from '../sessions/chain.js';

interface RunningWork {
  /** Sessions in `running` state, oldest first. */
  sessionIds: string[];
  /** Running processes other than dev servers, with their session when they have one. */
  executions: { id: string; runReason: string; sessionId: string | null }[];
}

/** What runs in the workspace now, by the database (so another orchd's sessions count too); dev servers apart. */
async function runningWork(engine: Engine, workspaceId: string): Promise<RunningWork> {
  const db = engine.store.db;
  const sessions = await db.selectFrom('sessions').select('id').where('workspace_id', '=', workspaceId).where('status', '=', 'running').orderBy('created_at').execute();
  const executions = await db
    .selectFrom('executions')
    .select(['id', 'run_reason', 'session_id'])
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'running')
    .where('run_reason', '!=', 'devServer')
    .orderBy('started_at')
    .execute();
  return { sessionIds: sessions.map((s) => s.id), executions: executions.map((e) => ({ id: e.id, runReason: e.run_reason, sessionId: e.session_id })) };
}

/** Refuse with invalidState, naming the running session (or process), unless nothing but dev servers runs. */
async function assertNothingRunning(engine: Engine, workspaceId: string, forced: boolean): Promise<void> {
  const work = await runningWork(engine, workspaceId);
  const how = forced ? 'it is not run by this orchd process, so `force` cannot stop it' : 'stop it first or pass `force`';
  const sessionId = work.sessionIds[0] ?? work.executions.find((e) => e.sessionId)?.sessionId;
  if (sessionId) {
    throw OrchdError.invalidState(`Expected workspace \`${workspaceId}\` to have no running session, got session \`${sessionId}\` running; ${how}`, { workspaceId, sessionId });
  }
  const execution = work.executions[0];
  if (execution) {
    throw OrchdError.invalidState(`Expected workspace \`${workspaceId}\` to have no running process, got execution \`${execution.id}\` (\`${execution.runReason}\`) running; ${how}`, {
      workspaceId,
      executionId: execution.id,
    });
  }
}

/** Refuse while an operation holds the workspace or a session or process (dev servers apart) runs in it. */
export async function assertWorkspaceIdle(engine: Engine, workspaceId: string): Promise<void> {
  refuseHeld(engine, workspaceId);
  await assertNothingRunning(engine, workspaceId, false);
}

function refuseHeld(engine: Engine, workspaceId: string): void {
  const operation = engine.workspaceOperations.get(workspaceId);
  if (operation !== undefined) {
    throw OrchdError.invalidState(`Expected workspace \`${workspaceId}\` to have no operation in progress, got \`${operation}\``, { workspaceId, operation });
  }
}

/** Stop a session's chain and its processes, and wait until the chain has ended (its session is idle again). */
async function stopRuntime(runtime: SessionRuntime, reason: string): Promise<void> {
  runtime.stopping = true;
  runtime.steps.length = 0;
  const loop = runtime.loop;
  for (;;) {
    await Promise.all([...runtime.running.values()].map((running) => running.stop(reason).catch(() => {})));
    if (!loop) return;
    // A step that was starting when the stop came may still launch a process: stop that too, until the chain ends.
    const ended = await Promise.race([loop.then(() => true, () => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 100))]);
    if (ended) return;
  }
}

/** Stop every session chain and process of the workspace this daemon owns (dev servers only when asked); their ids. */
export async function stopWorkspaceWork(engine: Engine, workspaceId: string, options: { includeDevServers: boolean; reason: string }): Promise<string[]> {
  const db = engine.store.db;
  const sessions = await db.selectFrom('sessions').select('id').where('workspace_id', '=', workspaceId).execute();
  const runtimes = sessions.map((s) => engine.sessions.get(s.id)).filter((r): r is SessionRuntime => r !== undefined);
  for (const runtime of runtimes) {
    runtime.stopping = true;
    runtime.steps.length = 0;
  }
  const rows = await db.selectFrom('executions').select(['id', 'run_reason']).where('workspace_id', '=', workspaceId).where('status', '=', 'running').execute();
  const stopped: string[] = [];
  await Promise.all(
    rows
      .filter((row) => options.includeDevServers || row.run_reason !== 'devServer')
      .map(async (row) => {
        const running = engine.running.get(row.id);
        if (!running) return;
        await running.stop(options.reason);
        stopped.push(row.id);
      }),
  );
  await Promise.all(runtimes.map((runtime) => stopRuntime(runtime, options.reason)));
  // Terminals end with their workspace's stop, archive and delete (dev servers are opt-in; terminals are not).
  await engine.processes.stopWhere({ workspaceId, kind: 'terminal' }, options.reason);
  return stopped;
}

/**
 * Run `work` as the workspace's one operation. It is refused while another operation holds the workspace, and while
 * a session or a process (dev servers apart) runs in it, unless `force`, which stops them first. While `work` runs,
 * no session can start in the workspace (see `assertWorkspaceOpen`).
 */
export async function withWorkspaceOperation<T>(engine: Engine, workspaceId: string, operation: string, force: boolean, work: () => Promise<T>): Promise<T> {
  refuseHeld(engine, workspaceId);
  // Claimed before the check below reads the database: a session that starts after this is refused by
  // `assertWorkspaceOpen`; one that started before it is `running` in the database by the time the check reads it.
  engine.workspaceOperations.set(workspaceId, operation);
  try {
    if (force) await stopWorkspaceWork(engine, workspaceId, { includeDevServers: false, reason: `workspace ${operation} was forced` });
    await assertNothingRunning(engine, workspaceId, force);
    return await work();
  } finally {
    engine.workspaceOperations.delete(workspaceId);
  }
}

/** Refuse to start a session or process in a workspace that is not `active` (or one of `states`) or that an operation holds. */
export function assertWorkspaceOpen(engine: Engine, workspace: Pick<Workspace, 'id' | 'state'>, what: string, states: readonly WorkspaceState[] = ['active']): void {
  const operation = engine.workspaceOperations.get(workspace.id);
  if (!states.includes(workspace.state) || operation !== undefined) {
    const got = operation !== undefined ? `\`${operation}\` in progress` : `\`${workspace.state}\``;
    const wanted = states.map((state) => `\`${state}\``).join(' or ');
    throw OrchdError.invalidState(`Expected workspace \`${workspace.id}\` to be ${wanted} with no operation in progress to ${what}, got ${got}`, {
      workspaceId: workspace.id,
      state: workspace.state,
      ...(operation !== undefined ? { operation } : {}),
    });
  }
}
