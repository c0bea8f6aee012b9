// Session operations: start, follow up (or queue), read and cancel the queue, stop, list, get.
import type { Execution, Session } from '../../protocol/execution.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { transact } from '../events/unit-of-work.js';
import { loadExecutions, loadSession, loadSessions, sessionFromRow } from '../executions/store.js';
import { assertNotOption } from '../executors/argv.js';
import { getExecutor } from '../executors/registry.js';
import { effectiveConfig } from '../config/service.js';
import { resolveEnv } from '../executors/secrets.js';
import { newId } from '../util/ids.js';
import { resolveProfile, type SessionStartRequest } from './profile.js';
import { getWorkspace, scopeOf } from '../workspaces/service.js';
import { assertWorkspaceOpen } from '../workspaces/busy.js';
import type { Workspace } from '../../protocol/workspace.js';
import { driveSession, followUpChain, initialChain, runtimeOf, updateSessionRow, type ResumeFrom } from './chain.js';
import type { Executor } from '../executors/types.js';

/** One session, or notFound. */
export async function getSession(engine: Engine, sessionId: string): Promise<Session> {
  const session = await loadSession(engine.store.db, sessionId);
  if (!session) throw OrchdError.notFound('session', sessionId);
  return session;
}

/** Sessions, oldest first. */
export function listSessions(engine: Engine, workspaceId?: string): Promise<Session[]> {
  return loadSessions(engine.store.db, workspaceId);
}

/** Start a session: setup scripts, the agent with the prompt, auto-commit, cleanup. Returns once it is under way. */
export async function startSession(engine: Engine, params: SessionStartRequest): Promise<Session> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  assertWorkspaceOpen(engine, workspace, 'start a session');
  const { executorId, profile } = resolveProfile(effectiveConfig(engine, workspace.projectId).profiles, params);
  const executor = getExecutor(executorId);
  // A reference to a variable orchd's environment lacks fails here, before anything starts (and again at each turn).
  executor.checkProfile?.({ ...profile, env: resolveEnv(profile.env, profile.name) });
  const busy = (await loadSessions(engine.store.db, workspace.id)).find((s) => s.status === 'running');
  if (busy) {
    throw OrchdError.invalidState(`Expected no running session in the workspace, but \`${busy.id}\` is running; use \`session/followUp\` or stop it first`, { sessionId: busy.id });
  }
  const steps = await initialChain(engine, workspace, params.prompt, params.skipSetup);
  if (params.forkFrom) {
    const resume = await forkPoint(engine, executor, params.forkFrom);
    for (const step of steps) if (step.kind === 'agent') step.resume = resume;
  }
  const now = new Date().toISOString();
  const session = await transact(engine, async (trx, emit) => {
    // Checked again where the row is written: a merge or delete that claimed the workspace meanwhile wins.
    const current = await trx.selectFrom('workspaces').select('state').where('id', '=', workspace.id).executeTakeFirst();
    assertWorkspaceOpen(engine, { id: workspace.id, state: (current?.state ?? 'cleaning') as Workspace['state'] }, 'start a session');
    const row = await trx
      .insertInto('sessions')
      .values({
        id: newId('ses'),
        workspace_id: workspace.id,
        executor: executor.id,
        agent_session_id: null,
        status: 'running',
        queued_prompt: null,
        queued_at: null,
        profile: JSON.stringify(profile),
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const created = sessionFromRow(row);
    emit('session/started', { session: created }, { ...scopeOf(workspace), sessionId: created.id });
    return created;
  });
  runtimeOf(engine, session.id).steps.push(...steps);
  driveSession(engine, session.id);
  return session;
}

/** Send a follow-up: queued while the session runs (replacing a queued one), else started at once. */
export async function followUp(engine: Engine, params: { sessionId: string; prompt: string; resetTo?: string | undefined }): Promise<{ queued: boolean; session: Session; execution: Execution | null }> {
  const session = await getSession(engine, params.sessionId);
  checkStoredProfile(session);
  const runtime = engine.sessions.get(session.id);
  if (runtime?.loop || session.status === 'running') {
    if (params.resetTo !== undefined) throw OrchdError.invalidState('Expected the session to be idle to follow up with `resetTo`; stop it first (a reset cannot be queued)', { status: session.status });
    await updateSessionRow(engine, session.id, { queued_prompt: params.prompt, queued_at: new Date().toISOString() });
    return { queued: true, session: await getSession(engine, session.id), execution: null };
  }
  const workspace = await getWorkspace(engine, session.workspaceId);
  assertWorkspaceOpen(engine, workspace, 'follow up');
  const reset = params.resetTo !== undefined ? await resetPoint(engine, session, params.resetTo) : null;
  const steps = await followUpChain(engine, workspace, params.prompt);
  if (reset) for (const step of steps) if (step.kind === 'agent') step.resume = reset;
  await updateSessionRow(engine, session.id, { status: 'running' });
  // An operation that claimed the workspace while the row was written may not have seen it running: yield to it.
  if (engine.workspaceOperations.has(workspace.id)) {
    await updateSessionRow(engine, session.id, { status: 'idle' });
    assertWorkspaceOpen(engine, workspace, 'follow up');
  }
  runtimeOf(engine, session.id).steps.push(...steps);
  driveSession(engine, session.id);
  return { queued: false, session: await getSession(engine, session.id), execution: null };
}

/** A session stored before the argv rule may hold values that would be read as flags: refuse them by name. */
function checkStoredProfile(session: Session): void {
  getExecutor(session.executor).checkProfile?.(session.profile);
  if (session.agentSessionId) assertNotOption('agentSessionId', session.agentSessionId);
}

/** The queued follow-up; with `cancel`, drop it. */
export async function sessionQueue(engine: Engine, params: { sessionId: string; cancel: boolean }): Promise<{ queuedFollowUp: Session['queuedFollowUp'] }> {
  const session = await getSession(engine, params.sessionId);
  if (params.cancel && session.queuedFollowUp) {
    await updateSessionRow(engine, session.id, { queued_prompt: null, queued_at: null });
    return { queuedFollowUp: null };
  }
  return { queuedFollowUp: session.queuedFollowUp };
}

/** Stop the session's chain and every process it runs. */
export async function stopSession(engine: Engine, sessionId: string): Promise<{ stopped: string[] }> {
  await getSession(engine, sessionId);
  const runtime = engine.sessions.get(sessionId);
  if (!runtime) return { stopped: [] };
  runtime.stopping = true;
  runtime.steps.length = 0;
  const running = [...runtime.running.values()];
  await Promise.all(running.map((r) => r.stop('stopped by request')));
  await runtime.loop?.catch(() => {});
  return { stopped: running.map((r) => r.id) };
}

/** Executions of a session or workspace. */
export function listExecutions(engine: Engine, filter: { workspaceId?: string | undefined; sessionId?: string | undefined; status?: readonly string[] | undefined }): Promise<Execution[]> {
  return loadExecutions(engine.store.db, filter);
}

/** A finished agent execution of `sessionId` with the agent's session id, or a clear error naming `field`. */
async function finishedAgentTurn(engine: Engine, sessionId: string, executionId: string, field: string): Promise<Execution> {
  const execution = (await loadExecutions(engine.store.db, { sessionId })).find((e) => e.id === executionId);
  if (!execution) throw OrchdError.notFound('execution', executionId, field);
  if (execution.runReason !== 'codingAgent' || execution.status !== 'completed') {
    throw OrchdError.invalidState(`Expected \`${field}\` to name a completed agent execution, got a ${execution.status} ${execution.runReason} execution`, { executionId, field });
  }
  return execution;
}

/** Where a fork starts: the source session's agent session, as of one of its turns (or its end). */
async function forkPoint(engine: Engine, executor: Executor, from: { sessionId: string; executionId?: string | undefined }): Promise<ResumeFrom> {
  const source = await getSession(engine, from.sessionId);
  if (!executor.capabilities.fork) throw OrchdError.invalidState(`Expected an executor that can fork, but \`${executor.id}\` cannot`, { executor: executor.id, field: 'forkFrom' });
  if (source.executor !== executor.id) {
    throw OrchdError.invalidParams('forkFrom.sessionId', `Expected \`forkFrom.sessionId\` to name a session of executor \`${executor.id}\`, got one of \`${source.executor}\``);
  }
  if (!source.agentSessionId) throw OrchdError.invalidState(`Expected session \`${source.id}\` to have an agent session to fork, but its agent has not started one`, { sessionId: source.id });
  if (from.executionId !== undefined) await finishedAgentTurn(engine, source.id, from.executionId, 'forkFrom.executionId');
  return { agentSessionId: source.agentSessionId, fork: true, atExecutionId: from.executionId ?? null };
}

/** Where a reset continues: the session's own agent session, as of an earlier turn. */
async function resetPoint(engine: Engine, session: Session, executionId: string): Promise<ResumeFrom> {
  const executor = getExecutor(session.executor);
  if (!executor.capabilities.reset) throw OrchdError.invalidState(`Expected an executor that can reset its conversation, but \`${executor.id}\` cannot`, { executor: executor.id, field: 'resetTo' });
  if (!session.agentSessionId) throw OrchdError.invalidState(`Expected session \`${session.id}\` to have an agent session to reset`, { sessionId: session.id });
  await finishedAgentTurn(engine, session.id, executionId, 'resetTo');
  return { agentSessionId: session.agentSessionId, fork: false, atExecutionId: executionId };
}
