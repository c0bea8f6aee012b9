// Cherry-pick, with conflicts as a typed result, and its continue and abort.
import { OrchdError, shown } from '../errors.js';
import { gitFailure, runGit, type GitOptions, type GitOutput } from './exec.js';
import { identityArgs } from './identity.js';
import { conflictedFiles } from './merge.js';
import { assertRevision } from './refs.js';
import { headOid, operationInProgress } from './repo.js';

export type CherryPickResult =
  | {
      readonly ok: true;
      readonly oid: string;
      /** Commits dropped because their changes were already present (without `keepRedundant`). */
      readonly skipped: number;
    }
  | { readonly ok: false; readonly conflicts: string[] };

export interface CherryPickOptions extends GitOptions {
  /** Commits to apply, oldest first. */
  readonly commits: readonly string[];
  /** Keep commits that become empty instead of dropping them. */
  readonly keepRedundant?: boolean;
  /** Add a `(cherry picked from commit …)` line to each message. */
  readonly recordOrigin?: boolean;
}

/** Apply `commits` onto the current branch; conflicts come back as `{ok: false, conflicts}` with the pick stopped. */
export async function cherryPick(path: string, options: CherryPickOptions): Promise<CherryPickResult> {
  if (!options.commits.length) {
    throw OrchdError.invalidState('Expected `commits` to list at least one commit, got `[]`', { field: 'commits' });
  }
  const commits = options.commits.map((c, i) => assertRevision(`commits[${i}]`, c));
  const identity = await identityArgs(path, options);
  const args = [...identity, 'cherry-pick', '--allow-empty'];
  if (options.keepRedundant) args.push('--keep-redundant-commits');
  if (options.recordOrigin) args.push('-x');
  args.push('--end-of-options', ...commits);
  const out = await runGit(args, path, options);
  if (out.exitCode > 1) {
    // git refused to start, e.g. because an earlier merge, rebase or cherry-pick is still stopped.
    const stopped = await operationInProgress(path, options);
    if (stopped) throw OrchdError.rebaseInProgress(path, stopped);
  }
  return settle(path, args, out, identity, options, commits.join(' '));
}

/** Continue a stopped cherry-pick after its conflicts were resolved and staged. */
export async function continueCherryPick(path: string, options: GitOptions = {}): Promise<CherryPickResult> {
  const identity = await identityArgs(path, options);
  const args = [...identity, 'cherry-pick', '--continue'];
  const out = await runGit(args, path, options);
  if (out.exitCode !== 0 && /no cherry-pick or revert in progress/.test(out.stderr)) throw noPick(path);
  return settle(path, args, out, identity, options, 'HEAD');
}

/** Abandon a stopped cherry-pick, restoring the branch as it was before it started. */
export async function abortCherryPick(path: string, options: GitOptions = {}): Promise<void> {
  const args = ['cherry-pick', '--abort'];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return;
  if (/no cherry-pick or revert in progress/.test(out.stderr)) throw noPick(path);
  throw gitFailure(args, path, out);
}

/** Turn git's exit into a result, skipping picks that came out empty (git stops on those and waits). */
async function settle(
  path: string,
  args: string[],
  first: GitOutput,
  identity: string[],
  options: GitOptions,
  refs: string,
): Promise<CherryPickResult> {
  let out = first;
  let skipped = 0;
  for (;;) {
    if (out.exitCode === 0) return { ok: true, oid: (await headOid(path, options))!, skipped };
    if (/already in progress|You have not concluded your cherry-pick/.test(out.stderr)) throw OrchdError.rebaseInProgress(path, 'cherry-pick');
    if ((await operationInProgress(path, options)) !== 'cherry-pick') throw gitFailure(args, path, out, { ref: { field: 'commits', value: refs } });
    const conflicts = await conflictedFiles(path, options);
    if (conflicts.length || !/is now empty|nothing to commit/.test(`${out.stderr}\n${out.stdout}`)) return { ok: false, conflicts };
    skipped++;
    out = await runGit([...identity, 'cherry-pick', '--skip'], path, options);
  }
}

function noPick(path: string): OrchdError {
  return OrchdError.invalidState(`Expected \`path\` to have a cherry-pick in progress, got none in ${shown(path)}`, { path, operation: 'cherry-pick' });
}
