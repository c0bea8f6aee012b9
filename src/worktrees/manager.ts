// Create and remove worktrees, one repository at a time (git's worktree bookkeeping is per repository), retrying a
// half-created worktree once after cleaning it up.
import { lstat, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isOrchdError, OrchdError, shown } from '../errors.js';
import { revParse } from '../git/repo.js';
import { addWorktree, pruneWorktrees, removeWorktree } from '../git/worktree.js';
import { deleteBranch } from '../git/branches.js';
import type { Logger } from '../log/logger.js';
import type { KeyedMutex } from '../util/keyed-mutex.js';
import { assertWorktreePath } from './layout.js';

export interface WorktreeDeps {
  locks: KeyedMutex;
  logger: Logger;
  dataDir: string;
}

export interface CreateWorktreeRequest {
  sourcePath: string;
  worktreePath: string;
  branch: string;
  baseOid: string;
  signal?: AbortSignal | undefined;
}

/**
 * Add a worktree on a new branch at `baseOid`, at a path of the worktree layout that does not exist yet. On a failure
 * that is not the caller's (bad name, branch exists, path taken), clean up and retry once.
 */
export async function createWorktree(deps: WorktreeDeps, request: CreateWorktreeRequest): Promise<void> {
  assertWorktreePath(deps.dataDir, request.worktreePath, { plainName: true });
  await deps.locks.run(request.sourcePath, async () => {
    await assertFreshWorktreePath(request.worktreePath);
    const attempt = () =>
      addWorktree(request.sourcePath, { worktreePath: request.worktreePath, newBranch: request.branch, startPoint: request.baseOid, signal: request.signal });
    try {
      await attempt();
    } catch (error) {
      if (isOrchdError(error) && ['invalidRef', 'branchExists', 'alreadyExists', 'cancelled', 'gitNotFound'].includes(error.kind)) throw error;
      deps.logger.warn('worktree add failed; cleaning up and retrying once', { worktreePath: request.worktreePath, error });
      await discardHalfCreated(deps, request);
      await attempt();
    }
  });
}

/** Refuse a worktree path that exists (its removal on a retry would destroy it) or whose workspace directory is a link. */
async function assertFreshWorktreePath(worktreePath: string): Promise<void> {
  if (await lstat(worktreePath).catch(() => null)) throw OrchdError.alreadyExists('worktree', 'worktreePath', worktreePath);
  const parent = await lstat(dirname(worktreePath)).catch(() => null);
  if (parent && !parent.isDirectory()) {
    throw new OrchdError('pathOutsideWorkspace', `Expected \`worktreePath\` to be inside a real workspace directory, got ${shown(worktreePath)}`, {
      field: 'worktreePath',
      path: worktreePath,
      root: dirname(worktreePath),
    });
  }
}

async function discardHalfCreated(deps: WorktreeDeps, request: CreateWorktreeRequest): Promise<void> {
  await removeWorktree(request.sourcePath, { worktreePath: request.worktreePath, force: true }).catch(() => {});
  await rm(request.worktreePath, { recursive: true, force: true });
  await pruneWorktrees(request.sourcePath).catch(() => {});
  const branchOid = await revParse(request.sourcePath, { ref: `refs/heads/${request.branch}`, field: 'branch' }).catch(() => null);
  // A branch left by the failed attempt, still at the base, is ours to remove; anything else is not.
  if (branchOid === request.baseOid) await deleteBranch(request.sourcePath, { name: request.branch, force: true }).catch(() => {});
}

export interface RemoveWorktreeRequest {
  sourcePath: string;
  worktreePath: string;
  branch: string;
  deleteBranch: boolean;
}

/** Remove a worktree (forcefully: the caller has checked for unsaved work), prune, and optionally delete its branch. */
export async function deleteWorktree(deps: WorktreeDeps, request: RemoveWorktreeRequest): Promise<void> {
  assertWorktreePath(deps.dataDir, request.worktreePath);
  await deps.locks.run(request.sourcePath, async () => {
    try {
      await removeWorktree(request.sourcePath, { worktreePath: request.worktreePath, force: true });
    } catch (error) {
      deps.logger.debug('worktree remove failed; removing the directory', { worktreePath: request.worktreePath, error });
    }
    await rm(request.worktreePath, { recursive: true, force: true });
    await pruneWorktrees(request.sourcePath).catch(() => {});
    if (request.deleteBranch) {
      try {
        await deleteBranch(request.sourcePath, { name: request.branch, force: true });
      } catch (error) {
        if (!isOrchdError(error, 'branchNotFound')) throw error;
      }
    }
  });
}

/** Re-create a worktree whose directory vanished, on its existing branch. */
export async function restoreWorktree(deps: WorktreeDeps, request: { sourcePath: string; worktreePath: string; branch: string }): Promise<void> {
  assertWorktreePath(deps.dataDir, request.worktreePath);
  await deps.locks.run(request.sourcePath, async () => {
    await pruneWorktrees(request.sourcePath);
    await addWorktree(request.sourcePath, { worktreePath: request.worktreePath, branch: request.branch, force: true });
  });
}
