// Merge a workspace into its base branches without ever leaving a main checkout half-merged: every merge is
// computed first with `git merge-tree` (nothing on disk changes); only when every repository merges cleanly are the
// base branches moved, by compare-and-swap, or by a fast-forward of the checkout that has the base branch out.
import type { RepositoryConflicts, Workspace, WorkspaceMergeResult, WorkspaceRebaseResult, WorkspaceRepository } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { transact } from '../events/unit-of-work.js';
import { merge as gitMerge, mergeBase } from '../git/merge.js';
import { commitTree, isAncestor, mergeTree, updateBranchRef } from '../git/plumbing.js';
import { abortRebase, rebase as gitRebase } from '../git/rebase.js';
import { headOid, revParse } from '../git/repo.js';
import { status } from '../git/status.js';
import { listWorktrees } from '../git/worktree.js';
import { updateTaskIn } from '../tasks/service.js';
import { canTransition } from '../tasks/status.js';
import { withWorkspaceOperation } from './busy.js';
import { getWorkspace, localBranchOid, scopeOf, setWorkspaceState, setWorkspaceStateIn, type OperationContext } from './service.js';

type Strategy = 'merge' | 'squash' | 'rebase';

interface Plan {
  repository: WorkspaceRepository;
  baseTip: string;
  /** The commit the base branch should point at; equal to baseTip when there is nothing to merge. */
  target: string;
}

async function requireClean(repository: WorkspaceRepository, field: string): Promise<void> {
  const state = await status(repository.path);
  if (!state.isClean) {
    throw new OrchdError('dirtyWorkingTree', `Expected \`${field}\` to have no uncommitted changes in \`${repository.name}\`; commit them first with \`workspace/commit\``, {
      repositoryId: repository.repositoryId,
    });
  }
}

/** Plan one repository's merge; conflicts come back instead of a plan. */
async function planRepository(repository: WorkspaceRepository, strategy: Strategy, message: string, ctx: OperationContext): Promise<Plan | RepositoryConflicts> {
  const signal = ctx.signal;
  const baseTip = await revParse(repository.sourcePath, { ref: `refs/heads/${repository.baseBranch}`, field: 'baseBranch', signal });
  const branchTip = await headOid(repository.path, { signal });
  if (!branchTip || (await isAncestor(repository.sourcePath, { ancestor: branchTip, descendant: baseTip, signal }))) {
    return { repository, baseTip, target: baseTip };
  }
  if (strategy === 'rebase') {
    const result = await gitRebase(repository.path, { onto: repository.baseBranch, signal });
    if (!result.ok) {
      await abortRebase(repository.path).catch(() => {});
      return { repositoryId: repository.repositoryId, name: repository.name, files: result.conflicts };
    }
    return { repository, baseTip, target: result.oid };
  }
  const merged = await mergeTree(repository.sourcePath, { ours: baseTip, theirs: branchTip, signal });
  if (!merged.clean) return { repositoryId: repository.repositoryId, name: repository.name, files: merged.conflicts };
  const parents = strategy === 'merge' ? [baseTip, branchTip] : [baseTip];
  const target = await commitTree(repository.sourcePath, { tree: merged.tree, parents, message, signal });
  return { repository, baseTip, target };
}

/** Move the base branch to the planned commit: fast-forward the checkout that has it out, or update the ref. */
async function applyPlan(plan: Plan): Promise<void> {
  const { repository, baseTip, target } = plan;
  if (target === baseTip) return;
  const worktrees = await listWorktrees(repository.sourcePath);
  const checkout = worktrees.find((w) => w.branch === repository.baseBranch);
  if (checkout) {
    const result = await gitMerge(checkout.path, { ref: target, mode: 'fastForwardOnly' });
    if (!result.ok) throw OrchdError.invalidState(`Expected the checkout of \`${repository.baseBranch}\` at \`${checkout.path}\` to fast-forward, got conflicts`, { files: result.conflicts });
    return;
  }
  await updateBranchRef(repository.sourcePath, { branch: repository.baseBranch, newOid: target, expectedOid: baseTip, reason: `orchd: merge ${repository.branch}` });
}

/** Merge the workspace into its base branches; conflicts are a typed result and change nothing. */
export async function mergeWorkspace(
  engine: Engine,
  params: { workspaceId: string; strategy: Strategy; message?: string | undefined; force?: boolean | undefined },
  ctx: OperationContext = {},
): Promise<WorkspaceMergeResult> {
  await getWorkspace(engine, params.workspaceId);
  return withWorkspaceOperation(engine, params.workspaceId, 'merge', params.force ?? false, () => mergeWhileHeld(engine, params, ctx));
}

async function mergeWhileHeld(engine: Engine, params: { workspaceId: string; strategy: Strategy; message?: string | undefined }, ctx: OperationContext): Promise<WorkspaceMergeResult> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  if (workspace.state !== 'active') throw OrchdError.invalidState(`Expected the workspace to be \`active\` to merge, got \`${workspace.state}\``, { state: workspace.state });
  for (const repository of workspace.repositories) await requireClean(repository, 'workspaceId');
  const title = (await engine.store.db.selectFrom('tasks').select('title').where('id', '=', workspace.taskId).executeTakeFirst())?.title ?? workspace.branch;
  const message = params.message ?? (params.strategy === 'merge' ? `Merge branch '${workspace.branch}'\n\n${title}` : title);
  const merging = await setWorkspaceState(engine, workspace, 'merging');
  ctx.progress?.({ kind: 'begin', title: `Merging ${workspace.branch}`, percentage: 0 });
  try {
    const plans: Plan[] = [];
    const conflicts: RepositoryConflicts[] = [];
    for (const repository of merging.repositories) {
      await engine.locks.run(repository.sourcePath, async () => {
        const planned = await planRepository(repository, params.strategy, message, ctx);
        if ('files' in planned) conflicts.push(planned);
        else plans.push(planned);
      });
    }
    if (conflicts.length) {
      await transact(engine, async (trx, emit) => {
        await setWorkspaceStateIn(trx, emit, merging, 'active');
        emit('workspace/mergeConflicted', { workspaceId: workspace.id, strategy: params.strategy, conflicts }, scopeOf(workspace));
      });
      ctx.progress?.({ kind: 'end', message: 'Merge would conflict; nothing changed' });
      return { merged: false, conflicts };
    }
    if (ctx.signal?.aborted) throw new OrchdError('cancelled', 'Request `workspace/merge` was cancelled');
    for (const plan of plans) await engine.locks.run(plan.repository.sourcePath, () => applyPlan(plan));
    const repositories = plans.map((p) => ({ repositoryId: p.repository.repositoryId, baseBranch: p.repository.baseBranch, oid: p.target, upToDate: p.target === p.baseTip }));
    await transact(engine, async (trx, emit) => {
      await setWorkspaceStateIn(trx, emit, merging, 'active', { mergedAt: new Date().toISOString() });
      emit('workspace/merged', { workspaceId: workspace.id, strategy: params.strategy, repositories }, scopeOf(workspace));
      const task = await trx.selectFrom('tasks').select('status').where('id', '=', workspace.taskId).executeTakeFirst();
      let current = task?.status as Parameters<typeof canTransition>[0] | undefined;
      if (current === 'inProgress') {
        await updateTaskIn(trx, emit, { taskId: workspace.taskId, status: 'inReview' });
        current = 'inReview';
      }
      if (current && canTransition(current, 'done')) await updateTaskIn(trx, emit, { taskId: workspace.taskId, status: 'done' });
    });
    ctx.progress?.({ kind: 'end', message: 'Merged' });
    return { merged: true, repositories };
  } catch (error) {
    const latest = await getWorkspace(engine, workspace.id).catch(() => null);
    if (latest?.state === 'merging') await setWorkspaceState(engine, latest, 'active').catch(() => {});
    throw error;
  }
}

/** Rebase each repository's workspace branch onto its base branch (or `onto`); conflicts are aborted and returned. */
export async function rebaseWorkspace(engine: Engine, params: { workspaceId: string; onto?: string | undefined; force?: boolean | undefined }, ctx: OperationContext = {}): Promise<WorkspaceRebaseResult> {
  await getWorkspace(engine, params.workspaceId);
  return withWorkspaceOperation(engine, params.workspaceId, 'rebase', params.force ?? false, () => rebaseWhileHeld(engine, params, ctx));
}

async function rebaseWhileHeld(engine: Engine, params: { workspaceId: string; onto?: string | undefined }, ctx: OperationContext): Promise<WorkspaceRebaseResult> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  for (const repository of workspace.repositories) await requireClean(repository, 'workspaceId');
  const conflicts: RepositoryConflicts[] = [];
  const rebased: { repositoryId: string; oid: string }[] = [];
  const updated: Workspace['repositories'] = [];
  for (const repository of workspace.repositories) {
    const onto = params.onto ?? repository.baseBranch;
    await localBranchOid(repository.sourcePath, onto, 'onto', repository.name, ctx.signal);
    const result = await gitRebase(repository.path, { onto, signal: ctx.signal });
    if (!result.ok) {
      await abortRebase(repository.path).catch(() => {});
      conflicts.push({ repositoryId: repository.repositoryId, name: repository.name, files: result.conflicts });
      updated.push(repository);
      continue;
    }
    rebased.push({ repositoryId: repository.repositoryId, oid: result.oid });
    const baseOid = (await mergeBase(repository.path, { a: onto, b: 'HEAD' })) ?? repository.baseOid;
    updated.push({ ...repository, baseBranch: onto, baseOid });
  }
  // Repositories that did rebase keep it (and their new base) even when another one conflicted.
  if (rebased.length) {
    await transact(engine, async (trx, emit) => {
      await setWorkspaceStateIn(trx, emit, workspace, workspace.state, { repositories: updated });
      emit('workspace/rebased', { workspaceId: workspace.id, repositories: rebased }, scopeOf(workspace));
    });
  }
  if (conflicts.length) return { rebased: false, conflicts };
  return { rebased: true, repositories: rebased };
}
