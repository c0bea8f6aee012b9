// Workspace-level process control: stop everything, run scripts of one kind now, reset to before an execution, archive.
import type { Execution } from '../../protocol/execution.js';
import type { Workspace } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { reset } from '../git/commit.js';
import { status } from '../git/status.js';
import { effectiveConfig } from '../config/service.js';
import { loadExecution } from '../executions/store.js';
import { startExecution } from '../executions/runner.js';
import { workspaceEnvironment } from '../executions/environment.js';
import { runScripts, scriptCwd } from '../sessions/chain.js';
import { assertWorkspaceOpen, stopWorkspaceWork, withWorkspaceOperation } from './busy.js';
import { getWorkspace, setWorkspaceState } from './service.js';

/** Stop every session and process of the workspace this daemon owns (dev servers only when asked). */
export async function stopWorkspace(engine: Engine, params: { workspaceId: string; includeDevServers: boolean }): Promise<{ stopped: string[] }> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  return { stopped: await stopWorkspaceWork(engine, workspace.id, { includeDevServers: params.includeDevServers, reason: 'workspace stopped' }) };
}

/** Run the project's scripts of one kind in the workspace now. A dev server is started and returned while it runs. */
export async function runWorkspaceScript(engine: Engine, params: { workspaceId: string; kind: 'setupScript' | 'cleanupScript' | 'archiveScript' | 'devServer' }): Promise<{ executions: Execution[] }> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  assertWorkspaceOpen(engine, workspace, `run \`${params.kind}\``, ['active', 'archived']);
  const { scripts: configured } = effectiveConfig(engine, workspace.projectId);
  if (params.kind === 'devServer') {
    const server = configured.devServer;
    if (!server) throw OrchdError.invalidState('Expected the project to have a `scripts.devServer`, got none', { projectId: workspace.projectId });
    const running = await startExecution(
      engine,
      { workspace, sessionId: null, runReason: 'devServer', action: { type: 'script', kind: 'devServer', name: server.name ?? 'dev server', command: server.command, repository: server.repository ?? null } },
      { script: server.command, cwd: scriptCwd(workspace, server), env: await workspaceEnvironment(engine, workspace), input: null, keepStdinOpen: false },
    );
    const execution = await loadExecution(engine.store.db, running.id);
    return { executions: execution ? [execution] : [] };
  }
  const scripts = { setupScript: configured.setup, cleanupScript: configured.cleanup, archiveScript: configured.archive }[params.kind];
  if (!scripts.length) throw OrchdError.invalidState(`Expected the project to have ${params.kind} scripts, got none`, { projectId: workspace.projectId });
  const parallel = params.kind === 'setupScript' && configured.setupMode === 'parallel';
  return { executions: await runScripts(engine, workspace, null, { kind: 'scripts', runReason: params.kind, scripts, parallel }) };
}

/** Restore every worktree to the HEAD it had before an execution (undo a turn). */
export async function resetWorkspace(engine: Engine, params: { workspaceId: string; toExecutionId: string; force: boolean }): Promise<{ heads: { repositoryId: string; oid: string | null }[] }> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  const execution = await loadExecution(engine.store.db, params.toExecutionId);
  if (!execution || execution.workspaceId !== workspace.id) throw OrchdError.notFound('execution', params.toExecutionId, 'toExecutionId');
  return withWorkspaceOperation(engine, workspace.id, 'reset', params.force, async () => {
    if (!params.force) {
      for (const repository of workspace.repositories) {
        if (!(await status(repository.path)).isClean) {
          throw new OrchdError('dirtyWorkingTree', `Expected \`force\` to be true because \`${repository.name}\` has uncommitted changes, got false`, { repositoryId: repository.repositoryId });
        }
      }
    }
    const heads: { repositoryId: string; oid: string | null }[] = [];
    for (const repository of workspace.repositories) {
      const before = execution.headsBefore.find((h) => h.repositoryId === repository.repositoryId)?.oid ?? null;
      if (before) await engine.locks.run(repository.sourcePath, () => reset(repository.path, { mode: 'hard', ref: before }));
      heads.push({ repositoryId: repository.repositoryId, oid: before });
    }
    await setWorkspaceState(engine, await getWorkspace(engine, workspace.id), workspace.state);
    return { heads };
  });
}

/** Stop the workspace's processes (a running session only with `force`), run its archive scripts, mark it archived. */
export async function archiveWorkspace(engine: Engine, params: { workspaceId: string; force?: boolean | undefined }): Promise<Workspace> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  if (workspace.state === 'archived') return workspace;
  if (workspace.state !== 'active') throw OrchdError.invalidState(`Expected the workspace to be \`active\` to archive it, got \`${workspace.state}\``, { state: workspace.state });
  return withWorkspaceOperation(engine, workspace.id, 'archive', params.force ?? false, async () => {
    await stopWorkspaceWork(engine, workspace.id, { includeDevServers: true, reason: 'workspace archived' });
    const { archive } = effectiveConfig(engine, workspace.projectId).scripts;
    if (archive.length) await runScripts(engine, workspace, null, { kind: 'scripts', runReason: 'archiveScript', scripts: archive, parallel: false });
    const archived = await setWorkspaceState(engine, await getWorkspace(engine, workspace.id), 'archived', { archivedAt: new Date().toISOString() });
    // Nothing runs in an archived workspace: its ports go back to the pool (a later script gets a block again).
    engine.ports.release(workspace.id);
    return archived;
  });
}
