// Rebase, with conflicts as a typed result, and its continue and abort.
import { OrchdError, shown } from '../errors.js';
import { gitFailure, runGit, type GitOptions } from './exec.js';
import { identityArgs } from './identity.js';
import { conflictedFiles } from './merge.js';
import { assertBranchName, assertRevision } from './refs.js';
import { headOid, operationInProgress } from './repo.js';

export type RebaseResult =
  | { readonly ok: true; readonly oid: string }
  | {
      readonly ok: false;
      /** Unresolved paths; empty when the rebase stopped for another reason (e.g. a resolution left a commit empty). */
      readonly conflicts: string[];
      /** The commit being replayed when it stopped. */
      readonly stoppedAt: string | null;
    };

export interface RebaseOptions extends GitOptions {
  /** The new base. Alone, `git rebase <onto>`: replay the commits not in `onto` on top of it. */
  readonly onto: string;
  /** Replay only the commits after `upstream` (`git rebase --onto <onto> <upstream>`). */
  readonly upstream?: string;
  /** Check out this branch first; the current one otherwise. */
  readonly branch?: string;
  /** Stash local changes before and reapply them after. */
  readonly autostash?: boolean;
}

/** Rebase the current branch (or `branch`) onto `onto`; conflicts come back as `{ok: false}` with the rebase stopped. */
export async function rebase(path: string, options: RebaseOptions): Promise<RebaseResult> {
  const onto = assertRevision('onto', options.onto);
  const identity = await identityArgs(path, options);
  const args = [...identity, 'rebase'];
  args.push(options.autostash ? '--autostash' : '--no-autostash');
  if (options.upstream !== undefined) args.push('--onto', onto, '--end-of-options', assertRevision('upstream', options.upstream));
  else args.push('--end-of-options', onto);
  if (options.branch !== undefined) args.push(assertBranchName('branch', options.branch));
  const out = await runGit(args, path, options);
  return outcome(path, args, out, options, options.upstream !== undefined ? 'upstream' : 'onto', options.upstream ?? onto);
}

/** Continue a stopped rebase after its conflicts were resolved and staged. */
export async function continueRebase(path: string, options: GitOptions = {}): Promise<RebaseResult> {
  const identity = await identityArgs(path, options);
  const args = [...identity, 'rebase', '--continue'];
  const out = await runGit(args, path, options);
  if (out.exitCode !== 0 && /No rebase in progress/.test(out.stderr)) throw noRebase(path);
  return outcome(path, args, out, options, 'path', path);
}

/** Abandon a stopped rebase, restoring the branch as it was. */
export async function abortRebase(path: string, options: GitOptions = {}): Promise<void> {
  const args = ['rebase', '--abort'];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return;
  if (/No rebase in progress/.test(out.stderr)) throw noRebase(path);
  throw gitFailure(args, path, out);
}

async function outcome(
  path: string,
  args: string[],
  out: { stdout: string; stderr: string; exitCode: number },
  options: GitOptions,
  field: string,
  value: string,
): Promise<RebaseResult> {
  if (out.exitCode === 0) return { ok: true, oid: (await headOid(path, options))! };
  // A rebase that was already under way when we started is an error, not our stop.
  if (/already a rebase-(?:merge|apply) directory/.test(out.stderr)) throw OrchdError.rebaseInProgress(path, 'rebase');
  if ((await operationInProgress(path, options)) === 'rebase') {
    const [conflicts, stopped] = await Promise.all([
      conflictedFiles(path, options),
      runGit(['rev-parse', '--verify', '--quiet', 'REBASE_HEAD'], path, options),
    ]);
    return { ok: false, conflicts, stoppedAt: stopped.exitCode === 0 ? stopped.stdout.trim() : null };
  }
  throw gitFailure(args, path, out, { ref: { field, value } });
}

function noRebase(path: string): OrchdError {
  return OrchdError.invalidState(`Expected \`path\` to have a rebase in progress, got none in ${shown(path)}`, { path, operation: 'rebase' });
}
