// Workspace lifecycle: create (one worktree per repository), list, get, delete, diff, commit, disk use.
import { rm } from 'node:fs/promises';
import type { ProgressValue } from '../../protocol/lifecycle.js';
import type { Workspace, WorkspaceDiffResult, WorkspaceRepository, WorkspaceState } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { isOrchdError, OrchdError } from '../errors.js';
import { transact, type Emit } from '../events/unit-of-work.js';
import { currentBranch } from '../git/branches.js';
import { commitAll } from '../git/commit.js';
import { diffText, diffWorkingTree } from '../git/diff.js';
import { mergeBase } from '../git/merge.js';
import { revParse } from '../git/repo.js';
import { assertBranchName } from '../git/refs.js';
import { status } from '../git/status.js';
import { getProject } from '../projects/service.js';
import { effectiveConfig } from '../config/service.js';
import { getTask, updateTaskIn } from '../tasks/service.js';
import { canTransition } from '../tasks/status.js';
import { newId } from '../util/ids.js';
import { copyConfiguredFiles } from '../worktrees/copy-files.js';
import { diskUsage } from '../worktrees/disk-usage.js';
import { assertInsideWorktrees, repositoryWorktreePath, workspaceBranch, workspaceDir } from '../worktrees/layout.js';
import { createWorktree, deleteWorktree } from '../worktrees/manager.js';
import { withWorkspaceOperation, stopWorkspaceWork } from './busy.js';
import { insertWorkspace, loadWorkspace, loadWorkspaces, saveWorkspace } from './store.js';

export interface OperationContext {
  signal?: AbortSignal | undefined;
  progress?: ((value: ProgressValue) => void) | undefined;
}

/** One workspace, or a notFound error. */
export async function getWorkspace(engine: Engine, workspaceId: string): Promise<Workspace> {
  const workspace = await loadWorkspace(engine.store.db, workspaceId);
  if (!workspace) throw OrchdError.notFound('workspace', workspaceId);
  return workspace;
}

/** Workspaces, oldest first. */
export function listWorkspaces(engine: Engine, filter: { projectId?: string | undefined; taskId?: string | undefined; states?: readonly WorkspaceState[] | undefined }): Promise<Workspace[]> {
  return loadWorkspaces(engine.store.db, filter);
}

/** Move a workspace to a new state inside a transaction, emitting `workspace/updated`. */
export async function setWorkspaceStateIn(trx: Parameters<typeof saveWorkspace>[0], emit: Emit, workspace: Workspace, state: WorkspaceState, changes: Partial<Workspace> = {}): Promise<Workspace> {
  const next: Workspace = { ...workspace, ...changes, state, updatedAt: new Date().toISOString() };
  await saveWorkspace(trx, next);
  emit('workspace/updated', state !== workspace.state ? { workspace: next, previousState: workspace.state } : { workspace: next }, scopeOf(next));
  return next;
}

/** Change a workspace's state in its own transaction. */
export function setWorkspaceState(engine: Engine, workspace: Workspace, state: WorkspaceState, changes: Partial<Workspace> = {}): Promise<Workspace> {
  return transact(engine, (trx, emit) => setWorkspaceStateIn(trx, emit, workspace, state, changes));
}

/** The event scope of a workspace. */
export function scopeOf(workspace: Workspace): { projectId: string; taskId: string; workspaceId: string } {
  return { projectId: workspace.projectId, taskId: workspace.taskId, workspaceId: workspace.id };
}

/** Create a workspace for a task: a worktree per repository on a new branch, configured files copied, task in progress. */
export async function createWorkspace(engine: Engine, params: { taskId: string; baseBranch?: string | undefined }, ctx: OperationContext = {}): Promise<Workspace> {
  const task = await getTask(engine, params.taskId);
  const project = await getProject(engine, task.projectId);
  const config = effectiveConfig(engine, project.id);
  if (params.baseBranch !== undefined) assertBranchName('baseBranch', params.baseBranch);
  const id = newId('ws');
  const branch = workspaceBranch(config.branchPrefix, id, task.title);
  assertBranchName('branch', branch);
  const dir = workspaceDir(engine.dataDir, id, task.title);
  ctx.progress?.({ kind: 'begin', title: `Creating workspace for ${task.title}`, percentage: 0 });
  // The workspace's port block is found while git works, so the first process started in it does not wait for it.
  const ports = engine.ports.blockFor(id).catch((error: unknown) => engine.logger.warn('no port block for the workspace yet', { workspaceId: id, error }));

  const repositories: WorkspaceRepository[] = [];
  for (const [index, repository] of project.repositories.entries()) {
    const worktreePath = repositoryWorktreePath(dir, repository.name, `repositories[${index}].name`);
    const baseBranch = params.baseBranch ?? (await currentBranch(repository.path, { signal: ctx.signal }));
    if (!baseBranch) {
      throw OrchdError.invalidState(`Expected \`baseBranch\` because repository ${'`'}${repository.name}${'`'} has a detached HEAD, got none`, { repositoryId: repository.id });
    }
    const baseOid = await localBranchOid(repository.path, baseBranch, 'baseBranch', repository.name, ctx.signal);
    repositories.push({ repositoryId: repository.id, name: repository.name, path: worktreePath, sourcePath: repository.path, branch, baseBranch, baseOid });
  }

  const now = new Date().toISOString();
  let workspace: Workspace = { id, projectId: project.id, taskId: task.id, state: 'creating', path: dir, branch, repositories, createdAt: now, updatedAt: now, mergedAt: null, archivedAt: null };
  await transact(engine, async (trx, emit) => {
    // git was asked about branches since the task was read: a task/delete (or project/delete) may have won meanwhile.
    await getTaskIn(trx, task.id);
    await insertWorkspace(trx, workspace);
    emit('workspace/created', { workspace }, scopeOf(workspace));
  });

  const deps = { locks: engine.locks, logger: engine.logger, dataDir: engine.dataDir };
  const created: WorkspaceRepository[] = [];
  try {
    let done = 0;
    // Different repositories do not share git's worktree bookkeeping, so they are created in parallel.
    await Promise.all(
      repositories.map(async (repository) => {
        await createWorktree(deps, { sourcePath: repository.sourcePath, worktreePath: repository.path, branch, baseOid: repository.baseOid, signal: ctx.signal });
        created.push(repository);
        await copyConfiguredFiles(repository.sourcePath, repository.path, config.copyFiles);
        done++;
        ctx.progress?.({ kind: 'report', message: `${repository.name} ready`, percentage: Math.round((done / repositories.length) * 100) });
      }),
    );
    if (ctx.signal?.aborted) throw new OrchdError('cancelled', 'Request `workspace/create` was cancelled');
  } catch (error) {
    engine.logger.warn('workspace creation failed; removing what was made', { workspaceId: id, error });
    for (const repository of created) {
      await deleteWorktree(deps, { sourcePath: repository.sourcePath, worktreePath: repository.path, branch, deleteBranch: true }).catch(() => {});
    }
    await rm(dir, { recursive: true, force: true });
    await transact(engine, async (trx, emit) => {
      await trx.deleteFrom('workspaces').where('id', '=', id).execute();
      emit('workspace/deleted', { workspaceId: id, taskId: task.id, projectId: project.id, reason: 'createFailed' }, scopeOf(workspace));
    });
    await ports;
    engine.ports.release(id);
    throw error;
  }

  workspace = await transact(engine, async (trx, emit) => {
    const active = await setWorkspaceStateIn(trx, emit, workspace, 'active');
    const current = await getTaskIn(trx, task.id);
    if (current.status !== 'inProgress' && canTransition(current.status, 'inProgress')) await updateTaskIn(trx, emit, { taskId: task.id, status: 'inProgress' });
    return active;
  });
  await ports;
  ctx.progress?.({ kind: 'end', message: `Workspace ${branch} ready` });
  return workspace;
}

/** The commit a local branch points at; branchNotFound naming the branch as the caller wrote it. */
export async function localBranchOid(path: string, branch: string, field: string, repositoryName: string, signal?: AbortSignal): Promise<string> {
  try {
    return await revParse(path, { ref: `refs/heads/${branch}`, field, signal });
  } catch (error) {
    if (isOrchdError(error, 'branchNotFound')) {
      throw new OrchdError('branchNotFound', `Expected \`${field}\` to name an existing branch in \`${repositoryName}\`, got \`${branch}\``, { field, value: branch, repository: repositoryName });
    }
    throw error;
  }
}

/** The task as of this transaction; notFound when it was deleted since the caller first read it. */
async function getTaskIn(trx: Parameters<typeof saveWorkspace>[0], taskId: string): Promise<{ status: Parameters<typeof canTransition>[0] }> {
  const row = await trx.selectFrom('tasks').select('status').where('id', '=', taskId).executeTakeFirst();
  if (!row) throw OrchdError.notFound('task', taskId);
  return { status: row.status as Parameters<typeof canTransition>[0] };
}

/**
 * Remove a workspace's worktrees (refusing to lose uncommitted work unless forced) and its rows, after stopping its
 * dev servers; refused while a session or another process runs in it unless forced, which stops them first.
 */
export async function deleteWorkspace(engine: Engine, params: { workspaceId: string; force: boolean; deleteBranches: boolean; reason?: 'requested' | 'taskDeleted' | 'projectDeleted' }): Promise<void> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  for (const repository of workspace.repositories) assertInsideWorktrees(engine.dataDir, repository.path, 'workspace.repositories.path');
  await withWorkspaceOperation(engine, workspace.id, 'delete', params.force, async () => {
    const latest = await getWorkspace(engine, workspace.id);
    if (latest.state === 'creating' || latest.state === 'merging') {
      throw OrchdError.invalidState(`Expected workspace \`${latest.id}\` to be \`active\`, \`archived\` or \`cleaning\` to delete it, got \`${latest.state}\``, {
        workspaceId: latest.id,
        state: latest.state,
      });
    }
    if (!params.force) await refuseUncommitted(latest);
    await stopWorkspaceWork(engine, latest.id, { includeDevServers: true, reason: 'workspace deleted' });
    const cleaning = latest.state === 'cleaning' ? latest : await setWorkspaceState(engine, latest, 'cleaning');
    const deps = { locks: engine.locks, logger: engine.logger, dataDir: engine.dataDir };
    for (const repository of cleaning.repositories) {
      await deleteWorktree(deps, { sourcePath: repository.sourcePath, worktreePath: repository.path, branch: repository.branch, deleteBranch: params.deleteBranches });
    }
    await rm(assertInsideWorktrees(engine.dataDir, workspace.path, 'workspace.path'), { recursive: true, force: true });
    await transact(engine, async (trx, emit) => {
      await trx.deleteFrom('workspaces').where('id', '=', workspace.id).execute();
      emit('workspace/deleted', { workspaceId: workspace.id, taskId: workspace.taskId, projectId: workspace.projectId, reason: params.reason ?? 'requested' }, scopeOf(workspace));
    });
    engine.ports.release(workspace.id);
  });
}

/** dirtyWorkingTree naming the repositories whose uncommitted changes a removal would lose. */
export async function refuseUncommitted(workspace: Workspace): Promise<void> {
  const dirty: string[] = [];
  for (const repository of workspace.repositories) {
    const state = await status(repository.path).catch(() => null);
    if (state && !state.isClean) dirty.push(repository.name);
  }
  if (dirty.length) {
    throw new OrchdError('dirtyWorkingTree', `Expected \`force\` to be true because ${dirty.map((n) => `\`${n}\``).join(', ')} of workspace \`${workspace.id}\` has uncommitted changes, got false`, {
      workspaceId: workspace.id,
      repositories: dirty,
    });
  }
}

function pickRepositories(workspace: Workspace, repositoryId: string | undefined): WorkspaceRepository[] {
  if (repositoryId === undefined) return workspace.repositories;
  const repository = workspace.repositories.find((r) => r.repositoryId === repositoryId);
  if (!repository) throw OrchdError.notFound('repository', repositoryId);
  return [repository];
}

/** Changed files per repository against the fork point (`base`) or HEAD (`head`), with totals. */
export async function diffWorkspace(
  engine: Engine,
  params: { workspaceId: string; against: 'base' | 'head'; repositoryId?: string | undefined; path?: string | undefined },
  ctx: OperationContext = {},
): Promise<WorkspaceDiffResult> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  const repositories = await Promise.all(
    pickRepositories(workspace, params.repositoryId).map(async (repository) => {
      const ref = params.against === 'base' ? ((await mergeBase(repository.path, { a: repository.baseBranch, b: 'HEAD', signal: ctx.signal })) ?? repository.baseOid) : 'HEAD';
      const files = (await diffWorkingTree(repository.path, { ref, signal: ctx.signal })).map((f) => ({ ...f }));
      const stats = { files: files.length, additions: sum(files, 'additions'), deletions: sum(files, 'deletions') };
      const entry: WorkspaceDiffResult['repositories'][number] = { repositoryId: repository.repositoryId, name: repository.name, files, stats };
      if (params.path !== undefined) {
        const file = files.find((f) => f.path === params.path);
        entry.text = await diffText(repository.path, { file: params.path, ...(file?.oldPath ? { oldPath: file.oldPath } : {}), from: ref, signal: ctx.signal });
      }
      return entry;
    }),
  );
  return {
    repositories,
    stats: { files: repositories.reduce((n, r) => n + r.stats.files, 0), additions: repositories.reduce((n, r) => n + r.stats.additions, 0), deletions: repositories.reduce((n, r) => n + r.stats.deletions, 0) },
  };
}

function sum<T>(items: readonly T[], key: keyof T): number {
  return items.reduce((n, item) => n + (item[key] as number), 0);
}

export type RepositoryCommit = { repositoryId: string; oid: string | null };

/** Commit every change (untracked files included) in each repository that has any; `oid` is null where none had. */
export async function commitDirtyRepositories(workspace: Workspace, message: string): Promise<RepositoryCommit[]> {
  const commits: RepositoryCommit[] = [];
  for (const repository of workspace.repositories) {
    const current = await status(repository.path);
    const conflicted = current.conflicted.map((entry) => entry.path);
    commits.push({ repositoryId: repository.repositoryId, oid: current.isClean ? null : (await commitAll(repository.path, { message, conflicted })).oid });
  }
  return commits;
}

/** Commit all changes in each repository of the workspace, emitting `workspace/committed` when anything was. */
export async function commitWorkspace(engine: Engine, params: { workspaceId: string; message: string }): Promise<{ commits: RepositoryCommit[] }> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  const commits = await commitDirtyRepositories(workspace, params.message);
  if (commits.some((c) => c.oid)) {
    await transact(engine, async (_trx, emit) => emit('workspace/committed', { workspaceId: workspace.id, commits, message: params.message }, scopeOf(workspace)));
  }
  return { commits };
}

/** Bytes and files in each worktree. */
export async function workspaceDiskUsage(engine: Engine, workspaceId: string): Promise<{ bytes: number; repositories: { repositoryId: string; bytes: number; files: number }[] }> {
  const workspace = await getWorkspace(engine, workspaceId);
  const repositories = await Promise.all(workspace.repositories.map(async (r) => ({ repositoryId: r.repositoryId, ...(await diskUsage(r.path)) })));
  return { bytes: repositories.reduce((n, r) => n + r.bytes, 0), repositories };
}
