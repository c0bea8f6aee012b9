// Merge bases, merges (with conflicts as a typed result), conflicted files, and aborting a merge.
import { OrchdError, shown } from '../errors.js';
import { gitFailure, gitStdout, runGit, splitNul, type GitOptions } from './exec.js';
import { identityArgs } from './identity.js';
import { assertRevision } from './refs.js';
import { headOid, operationInProgress } from './repo.js';

export type MergeResult =
  | {
      readonly ok: true;
      /** HEAD after the merge (unchanged for a squash, which only stages). */
      readonly oid: string | null;
      readonly fastForward: boolean;
      readonly upToDate: boolean;
      /** A squash merge staged the changes without committing. */
      readonly squashed: boolean;
    }
  | { readonly ok: false; readonly conflicts: string[] };

export interface MergeBaseOptions extends GitOptions {
  readonly a: string;
  readonly b: string;
}

/** The best common ancestor of `a` and `b`, or null when their histories are unrelated. */
export async function mergeBase(path: string, options: MergeBaseOptions): Promise<string | null> {
  const a = assertRevision('a', options.a);
  const b = assertRevision('b', options.b);
  const args = ['merge-base', '--end-of-options', a, b];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return out.stdout.trim();
  if (out.exitCode === 1 && !out.stderr.trim()) return null;
  throw gitFailure(args, path, out, { ref: { field: 'a', value: `${a} ${b}` } });
}

export interface MergeOptions extends GitOptions {
  /** The branch or revision to merge into the current branch. */
  readonly ref: string;
  /**
   * `noFastForward` always records a merge commit; `fastForwardOnly` fails (`invalidState`) unless HEAD can
   * fast-forward; `squash` stages the combined changes without committing; `default` does what git does.
   */
  readonly mode?: 'default' | 'noFastForward' | 'fastForwardOnly' | 'squash';
  /** The merge commit's message; git's default otherwise. */
  readonly message?: string;
}

/** Merge `ref` into the current branch; conflicts come back as `{ok: false, conflicts}` with the merge left stopped. */
export async function merge(path: string, options: MergeOptions): Promise<MergeResult> {
  const ref = assertRevision('ref', options.ref);
  const mode = options.mode ?? 'default';
  const identity = await identityArgs(path, options);
  const args = [...identity, 'merge', '--no-edit', '--no-stat', '--no-progress'];
  if (mode === 'noFastForward') args.push('--no-ff');
  else if (mode === 'fastForwardOnly') args.push('--ff-only');
  else if (mode === 'squash') args.push('--squash');
  if (options.message !== undefined) args.push('-m', options.message);
  args.push('--end-of-options', ref);
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) {
    return {
      ok: true,
      oid: await headOid(path, options),
      fastForward: mode !== 'squash' && /^Fast-forward/m.test(out.stdout),
      upToDate: /Already up to date/.test(out.stdout),
      squashed: mode === 'squash',
    };
  }
  if (out.exitCode === 1) {
    // git stopped on conflicts of this merge.
    const conflicts = await conflictedFiles(path, options);
    if (conflicts.length) return { ok: false, conflicts };
  } else {
    // git refused to start (exit 128), e.g. because an earlier merge, rebase or cherry-pick is still stopped.
    const stopped = await operationInProgress(path, options);
    if (stopped) throw OrchdError.rebaseInProgress(path, stopped);
  }
  if (/Not possible to fast-forward/.test(out.stderr)) {
    throw OrchdError.invalidState(`Expected \`ref\` to be a fast-forward of HEAD, got ${shown(ref)}`, { field: 'ref', ref, reason: 'notFastForward' });
  }
  if (/refusing to merge unrelated histories/.test(out.stderr)) {
    throw OrchdError.invalidState(`Expected \`ref\` to share history with HEAD, got ${shown(ref)}`, { field: 'ref', ref, reason: 'unrelatedHistories' });
  }
  throw gitFailure(args, path, out, { ref: { field: 'ref', value: ref } });
}

/** Paths with unresolved conflicts in the index, relative to the repository root. */
export async function conflictedFiles(path: string, options: GitOptions = {}): Promise<string[]> {
  const out = await gitStdout(['diff', '--name-only', '--diff-filter=U', '--no-relative', '-z', '--no-ext-diff'], path, options);
  return [...new Set(splitNul(out))];
}

/** Abandon a stopped merge (or squash merge), restoring the pre-merge state; `invalidState` when none is stopped. */
export async function abortMerge(path: string, options: GitOptions = {}): Promise<void> {
  const args = ['merge', '--abort'];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return;
  if (/There is no merge to abort/.test(out.stderr)) {
    // A squash merge leaves no MERGE_HEAD; its conflicts are undone the way `merge --abort` would.
    if ((await conflictedFiles(path, options)).length) {
      await gitStdout(['reset', '--merge'], path, options);
      return;
    }
    throw OrchdError.invalidState(`Expected \`path\` to have a merge in progress, got none in ${shown(path)}`, { path, operation: 'merge' });
  }
  throw gitFailure(args, path, out);
}
