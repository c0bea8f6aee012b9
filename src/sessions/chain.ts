// The action chain of a session and its exit monitor: setup scripts → agent → auto-commit → cleanup scripts, then the
// queued follow-up if there is one, else finalize (task to inReview, a notification). One loop per running session.
import type { Execution } from '../../protocol/execution.js';
import type { ScriptSpec } from '../../protocol/project.js';
import type { Workspace } from '../../protocol/workspace.js';
import type * as v from 'valibot';
import type { Engine } from '../engine.js';
import { transact } from '../events/unit-of-work.js';
import { workspaceEnvironment } from '../executions/environment.js';
import { startExecution, type RunningExecution } from '../executions/runner.js';
import { getExecutor } from '../executors/registry.js';
import { effectiveConfig } from '../config/service.js';
import { resolveEnv } from '../executors/secrets.js';
import type { ResolvedProfile } from '../../protocol/executors.js';
import { updateTaskIn } from '../tasks/service.js';
import { canTransition } from '../tasks/status.js';
import { commitDirtyRepositories, getWorkspace, scopeOf } from '../workspaces/service.js';
import { loadSession, loadSessionProfile, sessionFromRow } from '../executions/store.js';
import { closePendingApprovals, requestApproval, type ApprovalContext } from '../approvals/service.js';
import { OrchdError } from '../errors.js';
import type { Emit } from '../events/unit-of-work.js';
import type { AgentHooks, AgentLaunch, Executor } from '../executors/types.js';
import type { EntryDraft, RawStream, UsageBaseline } from '../normalizers/types.js';
import { newId } from '../util/ids.js';
import { stampEntry } from '../normalizers/replay.js';
import { replayLines } from './entries.js';
import { sessionUsageBaseline } from './usage.js';

type Script = v.InferOutput<typeof ScriptSpec>;
type ScriptReason = 'setupScript' | 'cleanupScript' | 'archiveScript' | 'devServer';

/** Where an agent step picks up a conversation other than "the session's own, at its end". */
export interface ResumeFrom {
  agentSessionId: string;
  /** Copy it into a new agent session. */
  fork: boolean;
  /** As of the end of this agent execution (its turn); null: the end of the conversation. */
  atExecutionId: string | null;
}

export type ChainStep =
  | { kind: 'scripts'; runReason: ScriptReason; scripts: Script[]; parallel: boolean }
  | { kind: 'agent'; prompt: string; followUp: boolean; resume?: ResumeFrom };

export interface SessionRuntime {
  steps: ChainStep[];
  running: Map<string, RunningExecution>;
  stopping: boolean;
  loop: Promise<void> | null;
}

/** The in-memory state of sessions that have a chain running in this process. */
export function runtimeOf(engine: Engine, sessionId: string): SessionRuntime {
  let runtime = engine.sessions.get(sessionId);
  if (!runtime) {
    runtime = { steps: [], running: new Map(), stopping: false, loop: null };
    engine.sessions.set(sessionId, runtime);
  }
  return runtime;
}

/** The working directory of a script: the worktree of the repository it names, else the first repository's. */
export function scriptCwd(workspace: Workspace, script: Script): string {
  if (script.repository !== undefined) {
    const named = workspace.repositories.find((r) => r.name === script.repository);
    // Projects saved before names were checked may still name one that does not exist: never guess another.
    if (!named) {
      const known = workspace.repositories.map((r) => `\`${r.name}\``).join(', ');
      throw OrchdError.invalidState(`Expected the script's \`repository\` to name a repository of the workspace (${known}), got \`${script.repository}\``, { repository: script.repository });
    }
    return named.path;
  }
  const first = workspace.repositories[0];
  return first ? first.path : workspace.path;
}

/** Start the scripts of one kind and wait for them; returns their final executions. */
export async function runScripts(engine: Engine, workspace: Workspace, sessionId: string | null, step: Extract<ChainStep, { kind: 'scripts' }>, runtime?: SessionRuntime): Promise<Execution[]> {
  const env = await workspaceEnvironment(engine, workspace);
  const startOne = async (script: Script, index: number) => {
    const name = script.name ?? `${step.runReason} ${index + 1}`;
    const running = await startExecution(
      engine,
      { workspace, sessionId, runReason: step.runReason, action: { type: 'script', kind: step.runReason, name, command: script.command, repository: script.repository ?? null } },
      { script: script.command, cwd: scriptCwd(workspace, script), env, input: null, keepStdinOpen: false },
    );
    runtime?.running.set(running.id, running);
    try {
      return await running.done;
    } finally {
      runtime?.running.delete(running.id);
    }
  };
  if (step.parallel) return Promise.all(step.scripts.map(startOne));
  const results: Execution[] = [];
  for (const [index, script] of step.scripts.entries()) {
    if (runtime?.stopping) break;
    const execution = await startOne(script, index);
    results.push(execution);
    if (execution.status !== 'completed') break;
  }
  return results;
}

/** The chain for a new session: setup, agent, cleanup. */
export async function initialChain(engine: Engine, workspace: Workspace, prompt: string, skipSetup: boolean): Promise<ChainStep[]> {
  const { scripts } = effectiveConfig(engine, workspace.projectId);
  const steps: ChainStep[] = [];
  if (!skipSetup && scripts.setup.length) steps.push({ kind: 'scripts', runReason: 'setupScript', scripts: scripts.setup, parallel: scripts.setupMode === 'parallel' });
  steps.push({ kind: 'agent', prompt, followUp: false });
  return [...steps, ...(await cleanupSteps(engine, workspace))];
}

/** The chain for a follow-up: agent (resuming), cleanup. */
export async function followUpChain(engine: Engine, workspace: Workspace, prompt: string): Promise<ChainStep[]> {
  return [{ kind: 'agent', prompt, followUp: true }, ...(await cleanupSteps(engine, workspace))];
}

async function cleanupSteps(engine: Engine, workspace: Workspace): Promise<ChainStep[]> {
  const { scripts } = effectiveConfig(engine, workspace.projectId);
  return scripts.cleanup.length ? [{ kind: 'scripts', runReason: 'cleanupScript', scripts: scripts.cleanup, parallel: false }] : [];
}

/** Run the session's chain to its end (and any queued follow-ups after it). Never throws: failures become events. */
export function driveSession(engine: Engine, sessionId: string): void {
  const runtime = runtimeOf(engine, sessionId);
  if (runtime.loop) return;
  // The session counts as running from now (runtime.loop is set), but its first step waits for queued requests.
  const started = new Promise<void>((resolve) => engine.foreground.defer(resolve));
  runtime.loop = started
    .then(() => loop(engine, sessionId, runtime))
    .catch(async (error) => {
      engine.logger.error('session chain failed', { sessionId, error });
      await notify(engine, sessionId, 'error', 'Session failed', `orchd could not continue the session: ${(error as Error).message}`).catch(() => {});
    })
    .finally(async () => {
      runtime.loop = null;
      engine.sessions.delete(sessionId);
      await setSessionStatus(engine, sessionId, 'idle').catch(() => {});
    });
}

async function loop(engine: Engine, sessionId: string, runtime: SessionRuntime): Promise<void> {
  for (;;) {
    const step = runtime.steps.shift();
    if (!step) {
      if (runtime.stopping) return;
      // The chain ended well: a queued follow-up goes next, else the turn is finished.
      const queued = await takeQueuedFollowUp(engine, sessionId);
      if (queued !== null) {
        const workspace = await getWorkspace(engine, (await requireSession(engine, sessionId)).workspaceId);
        runtime.steps.push(...(await followUpChain(engine, workspace, queued)));
        continue;
      }
      await finalize(engine, sessionId);
      return;
    }
    if (runtime.stopping) return;
    const session = await requireSession(engine, sessionId);
    const workspace = await getWorkspace(engine, session.workspaceId);
    if (step.kind === 'scripts') {
      const results = await runScripts(engine, workspace, sessionId, step, runtime);
      const failed = results.find((e) => e.status !== 'completed');
      if (failed || results.length < step.scripts.length) {
        runtime.steps.length = 0;
        if (failed && failed.status !== 'killed') {
          const what = failed.action.type === 'script' ? failed.action.name : failed.runReason;
          const outcome = failed.exitCode !== null ? `exit code ${failed.exitCode}` : `signal ${failed.signal ?? 'unknown'}`;
          const stopped = step.runReason === 'setupScript' ? '; the agent was not started' : '';
          await notify(engine, sessionId, 'error', `${labelOf(step.runReason)} failed`, `\`${what}\` ended with ${outcome}${stopped}`);
        }
        return;
      }
      continue;
    }
    const execution = await runAgent(engine, workspace, sessionId, step, runtime);
    if (execution.status !== 'completed') {
      // A failed or stopped agent ends the chain and leaves the queued follow-up where it is.
      runtime.steps.length = 0;
      if (execution.status === 'failed') {
        await notify(engine, sessionId, 'error', 'Agent failed', `The agent ended with ${execution.exitCode !== null ? `exit code ${execution.exitCode}` : `signal ${execution.signal}`}${execution.reason ? `: ${execution.reason}` : ''}`);
      }
      return;
    }
    await autoCommit(engine, workspace, step.prompt, execution);
  }
}

function labelOf(reason: ScriptReason): string {
  return { setupScript: 'Setup script', cleanupScript: 'Cleanup script', archiveScript: 'Archive script', devServer: 'Dev server' }[reason];
}

async function runAgent(engine: Engine, workspace: Workspace, sessionId: string, step: Extract<ChainStep, { kind: 'agent' }>, runtime: SessionRuntime): Promise<Execution> {
  const session = await requireSession(engine, sessionId);
  const stored = (await loadSessionProfile(engine.store.db, sessionId)) ?? session.profile; // real env values, unlike session.profile
  const executor = getExecutor(session.executor);
  let profile: ResolvedProfile;
  try {
    // `{"env": NAME}` references are read from orchd's environment at every turn: the secret is never stored.
    profile = { ...stored, env: resolveEnv(stored.env, stored.name) };
  } catch (error) {
    if (error instanceof OrchdError) return failedToStart(engine, workspace, sessionId, newId('exe'), executor.id, step, step.resume?.agentSessionId ?? (step.followUp ? session.agentSessionId : null), error.message);
    throw error;
  }
  const config = effectiveConfig(engine, workspace.projectId);
  const env = await workspaceEnvironment(engine, workspace, profile.env);
  const cwd = agentCwd(workspace);
  const resume = step.resume?.agentSessionId ?? (step.followUp ? session.agentSessionId : null);
  const fork = step.resume?.fork ?? false;
  let resumeAt: string | null = null;
  const executionId = newId('exe');
  const scope = { ...scopeOf(workspace), sessionId, executionId };
  const approvals: ApprovalContext = { sessionId, executionId, cwd, policy: config.approvals, scope };
  const hooks: AgentHooks = {
    requestApproval: (ask, signal) => requestApproval(engine, approvals, ask, signal),
    warn: (message, detail) => engine.logger.warn(message, { executionId, ...detail }),
  };
  let launch: AgentLaunch;
  try {
    if (step.resume?.atExecutionId) resumeAt = await resumePointOf(engine, executor, step.resume.atExecutionId);
    launch = executor.prepare({ cwd, prompt: step.prompt, resumeAgentSessionId: resume, fork, resumeAt, env, profile }, hooks);
  } catch (error) {
    if (error instanceof OrchdError) return failedToStart(engine, workspace, sessionId, executionId, executor.id, step, resume, error.message);
    throw error;
  }
  // A resumed turn's normalizer starts from what the earlier turns on that agent session used (src/sessions/usage.ts).
  const live = liveEntries(engine, executor, sessionId, executionId, scope, step.prompt, session.agentSessionId, await sessionUsageBaseline(engine, sessionId, resume));
  const running = await startExecution(
    engine,
    {
      id: executionId,
      workspace,
      sessionId,
      runReason: 'codingAgent',
      action: { type: 'agent', executor: executor.id, prompt: step.prompt, followUp: step.followUp, resumeAgentSessionId: resume, ...(fork ? { fork } : {}), ...(resumeAt ? { resumeAt } : {}) },
    },
    { argv: launch.argv, cwd, env: launch.env, input: null, keepStdinOpen: true, driver: launch.driver, onLine: live.onLine, onBatch: live.onBatch },
  );
  runtime.running.set(running.id, running);
  try {
    return await running.done;
  } finally {
    runtime.running.delete(running.id);
    await closePendingApprovals(engine, { executionId }, 'cancelled', 'The agent process ended before an answer').catch(() => {});
    await live.settled();
  }
}

/** The agent's own id of where an earlier turn ended, from that execution's stdout. */
async function resumePointOf(engine: Engine, executor: Executor, executionId: string): Promise<string> {
  const lines: string[] = [];
  await replayLines(engine, executionId, (line, stream) => void (stream === 'stdout' && lines.push(line)));
  const point = executor.resumePoint?.(lines) ?? null;
  if (!point) throw OrchdError.invalidState(`Expected execution \`${executionId}\` to show where its turn ended, but its output has no message id to resume at`, { executionId });
  return point;
}

/** Where the agent runs: the worktree of a single-repository workspace, else the workspace folder. */
export function agentCwd(workspace: Workspace): string {
  return workspace.repositories.length === 1 ? workspace.repositories[0]!.path : workspace.path;
}

/** An agent execution that could not start (its CLI is missing): recorded as failed, with the reason. */
async function failedToStart(
  engine: Engine,
  workspace: Workspace,
  sessionId: string,
  executionId: string,
  executor: string,
  step: Extract<ChainStep, { kind: 'agent' }>,
  resume: string | null,
  reason: string,
): Promise<Execution> {
  const running = await startExecution(
    engine,
    { id: executionId, workspace, sessionId, runReason: 'codingAgent', action: { type: 'agent', executor, prompt: step.prompt, followUp: step.followUp, resumeAgentSessionId: resume } },
    { argv: [], cwd: agentCwd(workspace), env: {}, input: null, keepStdinOpen: false, failure: reason },
  );
  return running.done;
}

/**
 * Normalize the agent's raw log as it is captured: entries that changed since the last output batch are emitted
 * as `session/entry` events in that batch's transaction (one event per entry per batch, so a streamed message costs
 * one event per batch, not per delta), and the agent's own session id is recorded when it appears.
 */
function liveEntries(
  engine: Engine,
  executor: Executor,
  sessionId: string,
  executionId: string,
  scope: Record<string, string>,
  prompt: string,
  knownAgentSession: string | null,
  usageBaseline: UsageBaseline | null,
) {
  const normalizer = executor.createNormalizer({ usageBaseline });
  const changed = new Map<string, EntryDraft>([['prompt', { id: 'prompt', type: 'userMessage', text: prompt }]]);
  let agentSession = knownAgentSession;
  let recording: Promise<void> = Promise.resolve();
  return {
    onLine(line: string, stream: RawStream) {
      for (const draft of normalizer.push(line, stream)) {
        changed.delete(draft.id); // re-insert: the map keeps first-change order per batch
        changed.set(draft.id, draft);
        if (draft.type === 'agentSession' && draft.agentSessionId !== agentSession) {
          agentSession = draft.agentSessionId;
          const id = draft.agentSessionId;
          recording = recording.then(() => recordAgentSession(engine, sessionId, id)).catch((error) => engine.logger.warn('could not record agent session id', { error }));
        }
      }
    },
    /** The entries changed by the lines of the batch being cut, emitted in that batch's transaction. */
    onBatch() {
      if (!changed.size) return null;
      const entries = [...changed.values()].map((draft) => stampEntry(draft, executionId));
      changed.clear();
      return (emit: Emit) => {
        for (const entry of entries) emit('session/entryUpserted', { sessionId, entry }, scope);
      };
    },
    settled: () => recording,
  };
}

/** Commit what the agent left, when the project wants it and there is something to commit. */
async function autoCommit(engine: Engine, workspace: Workspace, prompt: string, execution: Execution): Promise<void> {
  if (!effectiveConfig(engine, workspace.projectId).autoCommit) return;
  const subject = (prompt.split('\n').find((l) => l.trim()) ?? 'Agent changes').trim().replace(/\s+/g, ' ');
  const message = `${subject.length > 72 ? `${subject.slice(0, 69)}...` : subject}\n\nCommitted by orchd after ${execution.action.type === 'agent' ? execution.action.executor : 'agent'} run ${execution.id}.`;
  const commits = await commitDirtyRepositories(workspace, message);
  if (commits.some((c) => c.oid)) {
    // The commit is part of the agent's turn: its HEADs after include it, so `workspace/reset` undoes the whole turn.
    const headsAfter = (execution.headsAfter ?? []).map((h) => ({ ...h, oid: commits.find((c) => c.repositoryId === h.repositoryId)?.oid ?? h.oid }));
    await transact(engine, async (trx, emit) => {
      await trx.updateTable('executions').set({ heads_after: JSON.stringify(headsAfter) }).where('id', '=', execution.id).execute();
      emit('workspace/committed', { workspaceId: workspace.id, commits, message }, { ...scopeOf(workspace), executionId: execution.id });
    });
  }
}

async function finalize(engine: Engine, sessionId: string): Promise<void> {
  const session = await requireSession(engine, sessionId);
  const workspace = await getWorkspace(engine, session.workspaceId);
  await transact(engine, async (trx, emit) => {
    const task = await trx.selectFrom('tasks').select(['status', 'title']).where('id', '=', workspace.taskId).executeTakeFirst();
    if (task && task.status !== 'inReview' && canTransition(task.status as 'inProgress', 'inReview')) await updateTaskIn(trx, emit, { taskId: workspace.taskId, status: 'inReview' });
    emit('notification', { level: 'info', title: 'Agent finished', body: `${task?.title ?? 'The task'} is ready for review on \`${workspace.branch}\``, sessionId }, { ...scopeOf(workspace), sessionId });
  });
}

async function notify(engine: Engine, sessionId: string, level: 'info' | 'warning' | 'error', title: string, body: string): Promise<void> {
  const session = await requireSession(engine, sessionId);
  const workspace = await getWorkspace(engine, session.workspaceId);
  await transact(engine, async (_trx, emit) => emit('notification', { level, title, body, sessionId }, { ...scopeOf(workspace), sessionId }));
}

async function requireSession(engine: Engine, sessionId: string) {
  const session = await loadSession(engine.store.db, sessionId);
  if (!session) throw new Error(`session ${sessionId} vanished`);
  return session;
}

/** Update a session row and emit `session/updated`. */
export async function updateSessionRow(engine: Engine, sessionId: string, changes: { status?: string; agent_session_id?: string; queued_prompt?: string | null; queued_at?: string | null }): Promise<void> {
  await transact(engine, async (trx, emit) => {
    const row = await trx
      .updateTable('sessions')
      .set({ ...changes, updated_at: new Date().toISOString() })
      .where('id', '=', sessionId)
      .returningAll()
      .executeTakeFirst();
    if (!row) return;
    const session = sessionFromRow(row);
    const workspace = await trx.selectFrom('workspaces').select(['project_id', 'task_id']).where('id', '=', row.workspace_id).executeTakeFirst();
    emit('session/updated', { session }, { projectId: workspace?.project_id, taskId: workspace?.task_id, workspaceId: row.workspace_id, sessionId });
  });
}

function setSessionStatus(engine: Engine, sessionId: string, status: 'running' | 'idle'): Promise<void> {
  return updateSessionRow(engine, sessionId, { status });
}

function recordAgentSession(engine: Engine, sessionId: string, agentSessionId: string): Promise<void> {
  return updateSessionRow(engine, sessionId, { agent_session_id: agentSessionId });
}

async function takeQueuedFollowUp(engine: Engine, sessionId: string): Promise<string | null> {
  const session = await requireSession(engine, sessionId);
  if (!session.queuedFollowUp) return null;
  await updateSessionRow(engine, sessionId, { queued_prompt: null, queued_at: null });
  return session.queuedFollowUp.prompt;
}
