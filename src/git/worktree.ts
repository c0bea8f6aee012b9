// Worktree plumbing for the worktree manager: add, remove, prune, list.
import { resolve } from 'node:path';
import { OrchdError, shown } from '../errors.js';
import { gitFailure, gitStdout, runGit, splitNul, type GitOptions } from './exec.js';
import { assertBranchName, assertPath, assertRevision } from './refs.js';
import { headOid, revParse } from './repo.js';

export interface Worktree {
  /** Absolute path of the worktree's top directory. */
  readonly path: string;
  /** Its HEAD commit; null for a bare repository or an unborn branch. */
  readonly head: string | null;
  /** The checked-out branch (short name); null when detached or bare. */
  readonly branch: string | null;
  readonly detached: boolean;
  readonly bare: boolean;
  /** The lock reason (possibly empty) when locked; null when not locked. */
  readonly locked: string | null;
  /** Why git considers it prunable (its directory is gone); null otherwise. */
  readonly prunable: string | null;
}

export interface AddWorktreeOptions extends GitOptions {
  /** Where to create it; must not exist (or be an empty directory). */
  readonly worktreePath: string;
  /** Create this new branch for it (`-b`), at `startPoint`. */
  readonly newBranch?: string;
  /** Check out this existing branch instead. */
  readonly branch?: string;
  /** With `newBranch`, where it starts; with neither branch option, the commit to check out detached. HEAD by default. */
  readonly startPoint?: string;
  /** Allow a branch already checked out elsewhere, or a registered-but-missing path. */
  readonly force?: boolean;
}

/** Create a worktree at `worktreePath` on a new branch, an existing branch, or a detached commit. */
export async function addWorktree(path: string, options: AddWorktreeOptions): Promise<{ path: string; head: string | null; branch: string | null }> {
  const target = resolve(path, assertPath('worktreePath', options.worktreePath));
  if (options.newBranch !== undefined && options.branch !== undefined) {
    throw OrchdError.invalidState('Expected only one of `newBranch` and `branch`, got both', { fields: ['newBranch', 'branch'] });
  }
  const args = ['worktree', 'add', '--quiet'];
  if (options.force) args.push('--force');
  let branch: string | null = null;
  if (options.newBranch !== undefined) {
    branch = assertBranchName('newBranch', options.newBranch);
    args.push('--no-track', '-b', branch, '--end-of-options', target);
    if (options.startPoint !== undefined) args.push(assertRevision('startPoint', options.startPoint));
  } else if (options.branch !== undefined) {
    branch = assertBranchName('branch', options.branch);
    // git would read a name that is not a local branch as a commit (detaching) or a remote branch to copy; refuse.
    await revParse(path, { ref: `refs/heads/${branch}`, field: 'branch', signal: options.signal });
    args.push('--end-of-options', target, branch);
  } else {
    args.push('--detach', '--end-of-options', target);
    if (options.startPoint !== undefined) args.push(assertRevision('startPoint', options.startPoint));
  }
  const out = await runGit(args, path, options);
  if (out.exitCode !== 0) {
    if (/is already (?:checked out|used by worktree) at/.test(out.stderr)) {
      throw OrchdError.invalidState(`Expected \`branch\` to be free of other worktrees, got ${shown(branch ?? '')}`, {
        field: 'branch',
        branch,
        reason: 'checkedOut',
      });
    }
    if (/already exists/.test(out.stderr) && !/branch named/.test(out.stderr)) {
      throw OrchdError.alreadyExists('worktree', 'worktreePath', target);
    }
    throw gitFailure(args, path, out, {
      created: { field: 'newBranch', value: options.newBranch ?? '', entity: 'branch' },
      ref: options.branch !== undefined ? { field: 'branch', value: options.branch } : { field: 'startPoint', value: options.startPoint ?? 'HEAD' },
    });
  }
  return { path: target, head: await headOid(target, options), branch };
}

/** Delete a worktree's directory and registration; `dirtyWorkingTree` when it has changes (unless `force`). */
export async function removeWorktree(path: string, options: { readonly worktreePath: string; readonly force?: boolean } & GitOptions): Promise<void> {
  const target = resolve(path, assertPath('worktreePath', options.worktreePath));
  const args = ['worktree', 'remove'];
  // Twice: also removes a locked worktree.
  if (options.force) args.push('--force', '--force');
  args.push('--end-of-options', target);
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return;
  if (/contains modified or untracked files/.test(out.stderr)) throw OrchdError.dirtyWorkingTree(target);
  if (/is not a working tree/.test(out.stderr)) throw OrchdError.notFound('worktree', target, 'worktreePath');
  if (/cannot remove a locked working tree|is locked/.test(out.stderr)) {
    throw OrchdError.invalidState(`Expected \`worktreePath\` to be unlocked or \`force\` to be set, got locked ${shown(target)}`, {
      field: 'worktreePath',
      reason: 'locked',
    });
  }
  throw gitFailure(args, path, out);
}

/** Forget worktrees whose directories no longer exist. */
export async function pruneWorktrees(path: string, options: GitOptions = {}): Promise<void> {
  await gitStdout(['worktree', 'prune'], path, options);
}

/** All worktrees of the repository, the main one first. */
export async function listWorktrees(path: string, options: GitOptions = {}): Promise<Worktree[]> {
  return parseWorktreeList(await gitStdout(['worktree', 'list', '--porcelain', '-z'], path, options));
}

/** Parse `worktree list --porcelain -z`: NUL-terminated attribute lines, an empty one ending each worktree. */
export function parseWorktreeList(out: string): Worktree[] {
  const result: Worktree[] = [];
  let current: { -readonly [K in keyof Worktree]: Worktree[K] } | null = null;
  for (const line of splitNul(out)) {
    if (line === '') {
      if (current) result.push(current);
      current = null;
      continue;
    }
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    if (key === 'worktree') {
      if (current) result.push(current);
      current = { path: value, head: null, branch: null, detached: false, bare: false, locked: null, prunable: null };
    } else if (!current) {
      continue;
    } else if (key === 'HEAD') current.head = /^0+$/.test(value) ? null : value;
    else if (key === 'branch') current.branch = value.startsWith('refs/heads/') ? value.slice('refs/heads/'.length) : value;
    else if (key === 'detached') current.detached = true;
    else if (key === 'bare') current.bare = true;
    else if (key === 'locked') current.locked = value;
    else if (key === 'prunable') current.prunable = value;
  }
  if (current) result.push(current);
  return result;
}
