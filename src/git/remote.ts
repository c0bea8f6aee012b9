// Remotes: add, remove, list, fetch, pull, push, and deleting a branch on a remote.
import { OrchdError, shown } from '../errors.js';
import { currentBranch } from './branches.js';
import { gitFailure, gitStdout, runGit, splitLines, type GitOptions } from './exec.js';
import { identityArgs } from './identity.js';
import { conflictedFiles, type MergeResult } from './merge.js';
import { assertBranchName, assertRemoteName, assertRemoteUrl, assertRevision } from './refs.js';
import { headOid } from './repo.js';

export interface Remote {
  readonly name: string;
  readonly fetchUrl: string;
  readonly pushUrl: string;
}

/** Add a remote; `alreadyExists` when the name is taken. */
export async function addRemote(path: string, options: { readonly name: string; readonly url: string } & GitOptions): Promise<void> {
  const name = assertRemoteName('name', options.name);
  const url = assertRemoteUrl('url', options.url);
  const args = ['remote', 'add', '--end-of-options', name, url];
  const out = await runGit(args, path, options);
  if (out.exitCode !== 0) throw gitFailure(args, path, out, { created: { field: 'name', value: name, entity: 'remote' } });
}

/** Remove a remote and its remote-tracking branches. */
export async function removeRemote(path: string, options: { readonly name: string } & GitOptions): Promise<void> {
  const name = assertRemoteName('name', options.name);
  const args = ['remote', 'remove', '--end-of-options', name];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return;
  if (/No such remote/.test(out.stderr)) throw OrchdError.notFound('remote', name, 'name');
  throw gitFailure(args, path, out);
}

/** Configured remotes with their fetch and push URLs. */
export async function listRemotes(path: string, options: GitOptions = {}): Promise<Remote[]> {
  const out = await gitStdout(['remote', '--verbose'], path, options);
  const remotes = new Map<string, { name: string; fetchUrl: string; pushUrl: string }>();
  for (const line of splitLines(out)) {
    const match = /^([^\t]+)\t(.*) \((fetch|push)\)$/.exec(line);
    if (!match) continue;
    const [, name = '', url = '', kind] = match;
    const remote = remotes.get(name) ?? { name, fetchUrl: '', pushUrl: '' };
    if (kind === 'fetch') remote.fetchUrl = url;
    else remote.pushUrl = url;
    remotes.set(name, remote);
  }
  return [...remotes.values()];
}

export interface FetchOptions extends GitOptions {
  /** `origin` unless given. */
  readonly remote?: string;
  /** Only this branch (updating `refs/remotes/<remote>/<branch>`); every configured refspec otherwise. */
  readonly branch?: string;
  /** Remove remote-tracking branches that no longer exist on the remote. */
  readonly prune?: boolean;
  /** Fetch all tags too (`--tags`). */
  readonly tags?: boolean;
}

/** Fetch from a remote; `remoteFailed` when it cannot be reached or refuses. */
export async function fetch(path: string, options: FetchOptions = {}): Promise<void> {
  const remote = assertRemoteName('remote', options.remote ?? 'origin');
  const args = ['fetch', '--quiet', '--no-progress'];
  if (options.prune) args.push('--prune');
  if (options.tags) args.push('--tags');
  args.push('--end-of-options', remote);
  if (options.branch !== undefined) {
    const branch = assertBranchName('branch', options.branch);
    args.push(`+refs/heads/${branch}:refs/remotes/${remote}/${branch}`);
  }
  const out = await runGit(args, path, options);
  if (out.exitCode !== 0) throw remoteFailure(args, path, out, remote, options.branch);
}

export interface PullOptions extends GitOptions {
  /** `origin` unless given. */
  readonly remote?: string;
  /** The remote branch to integrate; the current branch's upstream otherwise. */
  readonly branch?: string;
  /** `merge` (default), `rebase`, or `fastForwardOnly` (`invalidState` when HEAD has diverged). */
  readonly mode?: 'merge' | 'rebase' | 'fastForwardOnly';
}

/** Fetch and integrate a remote branch; conflicts come back as `{ok: false, conflicts}` with the merge or rebase stopped. */
export async function pull(path: string, options: PullOptions = {}): Promise<MergeResult> {
  const mode = options.mode ?? 'merge';
  const identity = await identityArgs(path, options);
  // Not --quiet: its "Fast-forward" line tells a fast-forward from a merge.
  const args = [...identity, 'pull', '--no-progress', '--no-stat', '--no-edit'];
  if (mode === 'rebase') args.push('--rebase');
  else args.push('--no-rebase', mode === 'fastForwardOnly' ? '--ff-only' : '--ff');
  const explicit = options.remote !== undefined || options.branch !== undefined;
  const remote = assertRemoteName('remote', options.remote ?? 'origin');
  if (explicit) {
    args.push('--end-of-options', remote);
    if (options.branch !== undefined) args.push(`refs/heads/${assertBranchName('branch', options.branch)}`);
  }
  const before = await headOid(path, options);
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) {
    const oid = await headOid(path, options);
    return { ok: true, oid, fastForward: before !== oid && /Fast-forward/.test(out.stdout), upToDate: before === oid, squashed: false };
  }
  const conflicts = await conflictedFiles(path, options);
  if (conflicts.length) return { ok: false, conflicts };
  if (/Not possible to fast-forward/.test(out.stderr)) {
    throw OrchdError.invalidState(`Expected \`branch\` to be a fast-forward of HEAD, got ${shown(options.branch ?? 'the upstream')}`, {
      field: 'branch',
      reason: 'notFastForward',
    });
  }
  throw remoteFailure(args, path, out, remote, options.branch);
}

export interface PushOptions extends GitOptions {
  /** `origin` unless given. */
  readonly remote?: string;
  /** The local branch to push (to the same name on the remote); the current branch unless given. */
  readonly branch?: string;
  /** Record the pushed branch as the local branch's upstream. */
  readonly setUpstream?: boolean;
  /**
   * Overwrite the remote branch only if it is where we last saw it: `true` compares with our remote-tracking
   * branch, `{ expect }` with that commit.
   */
  readonly forceWithLease?: boolean | { readonly expect: string };
}

/** Push a branch; `remoteFailed` (with `details.reason`, e.g. `nonFastForward`, `staleLease`) when the remote refuses. */
export async function push(path: string, options: PushOptions = {}): Promise<void> {
  const remote = assertRemoteName('remote', options.remote ?? 'origin');
  const branch = options.branch !== undefined ? assertBranchName('branch', options.branch) : await currentBranch(path, options);
  if (branch === null) {
    throw OrchdError.invalidState('Expected `branch` to be given when HEAD is detached, got `undefined`', { field: 'branch' });
  }
  const ref = `refs/heads/${branch}`;
  const args = ['push', '--quiet', '--no-progress', '--porcelain'];
  if (options.setUpstream) args.push('--set-upstream');
  if (options.forceWithLease === true) args.push(`--force-with-lease=${ref}`);
  else if (options.forceWithLease) args.push(`--force-with-lease=${ref}:${assertRevision('forceWithLease.expect', options.forceWithLease.expect)}`);
  // A full `src:dst` refspec: a branch named `+x` cannot turn into a forced push.
  args.push('--end-of-options', remote, `${ref}:${ref}`);
  const out = await runGit(args, path, options);
  if (out.exitCode !== 0) throw remoteFailure(args, path, out, remote, branch);
}

/** Delete branch `branch` on `remote` (and the local remote-tracking branch); `branchNotFound` if the remote has none. */
export async function deleteRemoteBranch(path: string, options: { readonly remote?: string; readonly branch: string } & GitOptions): Promise<void> {
  const remote = assertRemoteName('remote', options.remote ?? 'origin');
  const branch = assertBranchName('branch', options.branch);
  // Deleting a full ref name that the remote lacks "succeeds" with a warning; ask the remote first.
  const probeArgs = ['ls-remote', '--exit-code', '--heads', '--end-of-options', remote, `refs/heads/${branch}`];
  const probe = await runGit(probeArgs, path, options);
  if (probe.exitCode === 2) throw OrchdError.branchNotFound('branch', branch);
  if (probe.exitCode !== 0) throw remoteFailure(probeArgs, path, probe, remote, branch);
  const args = ['push', '--quiet', '--no-progress', '--porcelain', '--end-of-options', remote, `:refs/heads/${branch}`];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return;
  if (/remote ref does not exist/.test(out.stderr)) throw OrchdError.branchNotFound('branch', branch);
  throw remoteFailure(args, path, out, remote, branch);
}

function remoteFailure(args: string[], path: string, out: { stdout: string; stderr: string; exitCode: number }, remote: string, branch?: string | null): OrchdError {
  // `--porcelain` puts the per-ref verdicts on stdout; keep them with stderr for the reason.
  const merged = { ...out, stderr: [out.stderr, out.stdout].filter(Boolean).join('\n') };
  if (/No such remote/.test(out.stderr)) return OrchdError.notFound('remote', remote, 'remote');
  if (/couldn't find remote ref|src refspec .* does not match any/.test(out.stderr)) {
    return OrchdError.branchNotFound('branch', branch ?? '');
  }
  return gitFailure(args, path, merged, { remote });
}
