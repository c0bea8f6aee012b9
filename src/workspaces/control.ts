// Workspace-level process control: stop everything, run scripts of one kind now, reset to before an execution, archive.
import type { Execution } from '../../protocol/execution.js';
import type { Workspace } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { reset } from '../git/commit.js';
import { status } from '../git/status.js';
import { getProject } from '../projects/service.js';
import { loadExecution } from '../executions/store.js';
import { startExecution } from '../executions/runner.js';
import { workspaceEnvironment } from '../executions/environment.js';
import { runScripts, scriptCwd } from '../sessions/chain.js';
import { getWorkspace, setWorkspaceState } from './service.js';

/** Stop every process of the workspace this daemon owns (dev servers only when asked). */
export async function stopWorkspace(engine: Engine, params: { workspaceId: string; includeDevServers: boolean }): Promise<{ stopped: string[] }> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  const stopped: string[] = [];
  for (const [sessionId, runtime] of engine.sessions) {
    const session = await engine.store.db.selectFrom('sessions').select('workspace_id').where('id', '=', sessionId).executeTakeFirst();
    if (session?.workspace_id !== workspace.id) continue;
    runtime.stopping = true;
    runtime.steps.length = 0;
  }
  const rows = await engine.store.db.selectFrom('executions').select(['id', 'run_reason']).where('workspace_id', '=', workspace.id).where('status', '=', 'running').execute();
  await Promise.all(
    rows
      .filter((row) => params.includeDevServers || row.run_reason !== 'devServer')
      .map(async (row) => {
        const running = engine.running.get(row.id);
        if (!running) return;
        await running.stop('workspace stopped');
        stopped.push(row.id);
      }),
  );
  return { stopped };
}

/** Run the project's scripts of one kind in the workspace now. A dev server is started and returned while it runs. */
export async function runWorkspaceScript(engine: Engine, params: { workspaceId: string; kind: 'setupScript' | 'cleanupScript' | 'archiveScript' | 'devServer' }): Promise<{ executions: Execution[] }> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  const project = await getProject(engine, workspace.projectId);
  if (params.kind === 'devServer') {
    const server = project.scripts.devServer;
    if (!server) throw OrchdError.invalidState('Expected the project to have a `scripts.devServer`, got none', { projectId: project.id });
    const running = await startExecution(
      engine,
      { workspace, sessionId: null, runReason: 'devServer', action: { type: 'script', kind: 'devServer', name: server.name ?? 'dev server', command: server.command, repository: server.repository ?? null } },
      { script: server.command, cwd: scriptCwd(workspace, server), env: await workspaceEnvironment(workspace), input: null, keepStdinOpen: false },
    );
    const execution = await loadExecution(engine.store.db, running.id);
    return { executions: execution ? [execution] : [] };
  }
  const scripts = { setupScript: project.scripts.setup, cleanupScript: project.scripts.cleanup, archiveScript: project.scripts.archive }[params.kind];
  if (!scripts.length) throw OrchdError.invalidState(`Expected the project to have ${params.kind} scripts, got none`, { projectId: project.id });
  const parallel = params.kind === 'setupScript' && project.scripts.setupMode === 'parallel';
  return { executions: await runScripts(engine, workspace, null, { kind: 'scripts', runReason: params.kind, scripts, parallel }) };
}

/** Restore every worktree to the HEAD it had before an execution (undo a turn). */
export async function resetWorkspace(engine: Engine, params: { workspaceId: string; toExecutionId: string; force: boolean }): Promise<{ heads: { repositoryId: string; oid: string | null }[] }> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  const execution = await loadExecution(engine.store.db, params.toExecutionId);
  if (!execution || execution.workspaceId !== workspace.id) throw OrchdError.notFound('execution', params.toExecutionId, 'toExecutionId');
  const busy = await engine.store.db.selectFrom('executions').select('id').where('workspace_id', '=', workspace.id).where('status', '=', 'running').where('run_reason', '!=', 'devServer').executeTakeFirst();
  if (busy) throw OrchdError.invalidState(`Expected nothing running in the workspace, but execution \`${busy.id}\` is; stop it first`, { executionId: busy.id });
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
  await setWorkspaceState(engine, workspace, workspace.state);
  return { heads };
}

/** Stop the workspace's processes, run its archive scripts, and mark it archived. */
export async function archiveWorkspace(engine: Engine, workspaceId: string): Promise<Workspace> {
  const workspace = await getWorkspace(engine, workspaceId);
  if (workspace.state === 'archived') return workspace;
  if (workspace.state !== 'active') throw OrchdError.invalidState(`Expected the workspace to be \`active\` to archive it, got \`${workspace.state}\``, { state: workspace.state });
  await stopWorkspace(engine, { workspaceId, includeDevServers: true });
  const project = await getProject(engine, workspace.projectId);
  if (project.scripts.archive.length) await runScripts(engine, workspace, null, { kind: 'scripts', runReason: 'archiveScript', scripts: project.scripts.archive, parallel: false });
  return setWorkspaceState(engine, await getWorkspace(engine, workspaceId), 'archived', { archivedAt: new Date().toISOString() });
}
