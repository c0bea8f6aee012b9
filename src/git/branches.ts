// Local and remote-tracking branches: create, check out, delete, list, upstreams.
import { OrchdError, shown } from '../errors.js';
import { gitFailure, gitStdout, runGit, splitLines, type GitOptions } from './exec.js';
import { assertBranchName, assertRevision } from './refs.js';
import { revParse } from './repo.js';

export interface Branch {
  /** Short name: `feature` for a local branch, `origin/feature` for a remote-tracking one. */
  readonly name: string;
  /** Full ref: `refs/heads/feature` or `refs/remotes/origin/feature`. */
  readonly ref: string;
  readonly oid: string;
  /** For a remote-tracking branch, its remote; null for a local branch. */
  readonly remote: string | null;
  /** A local branch's upstream (`origin/feature`), null when none is set. */
  readonly upstream: string | null;
  /** Commits ahead of and behind the upstream (0 without one). */
  readonly ahead: number;
  readonly behind: number;
  /** True when the upstream is configured but its ref no longer exists. */
  readonly upstreamGone: boolean;
  /** True for the branch checked out in this work tree. */
  readonly current: boolean;
}

export interface CreateBranchOptions extends GitOptions {
  readonly name: string;
  /** Where the branch starts; HEAD unless given. */
  readonly startPoint?: string;
  /** Move the branch if it already exists (never the checked-out one). */
  readonly force?: boolean;
}

/** Create branch `name` at `startPoint` (HEAD by default) without checking it out; returns its commit. */
export async function createBranch(path: string, options: CreateBranchOptions): Promise<{ name: string; oid: string }> {
  const name = assertBranchName('name', options.name);
  const args = ['branch', '--no-track'];
  if (options.force) args.push('--force');
  args.push('--end-of-options', name);
  if (options.startPoint !== undefined) args.push(assertRevision('startPoint', options.startPoint));
  const out = await runGit(args, path, options);
  if (out.exitCode !== 0) {
    throw gitFailure(args, path, out, {
      created: { field: 'name', value: name, entity: 'branch' },
      ref: { field: 'startPoint', value: options.startPoint ?? 'HEAD' },
    });
  }
  return { name, oid: await revParse(path, { ref: `refs/heads/${name}`, field: 'name', signal: options.signal }) };
}

export interface CheckoutOptions extends GitOptions {
  /** The branch to switch to, or with `detach` any revision. */
  readonly ref: string;
  /** Check out `ref` as a detached HEAD instead of a branch. */
  readonly detach?: boolean;
  /** Throw away local changes that would block the switch. */
  readonly force?: boolean;
  /** Create branch `ref` at this revision and switch to it. */
  readonly createFrom?: string;
}

/** Switch the work tree at `path` to branch `ref` (or a detached revision); `dirtyWorkingTree` if local changes block it. */
export async function checkout(path: string, options: CheckoutOptions): Promise<void> {
  const args = ['switch', '--no-guess', '--quiet'];
  if (options.force) args.push('--discard-changes');
  let ref: string;
  if (options.detach) {
    ref = assertRevision('ref', options.ref);
    args.push('--detach', '--end-of-options', ref);
  } else if (options.createFrom !== undefined) {
    ref = assertBranchName('ref', options.ref);
    args.push('--no-track', '--create', ref, '--end-of-options', assertRevision('createFrom', options.createFrom));
  } else {
    ref = assertBranchName('ref', options.ref);
    args.push('--end-of-options', ref);
  }
  const out = await runGit(args, path, options);
  if (out.exitCode !== 0) {
    throw gitFailure(args, path, out, {
      ref: { field: options.createFrom !== undefined ? 'createFrom' : 'ref', value: options.createFrom ?? ref },
      created: { field: 'ref', value: ref, entity: 'branch' },
    });
  }
}

export interface DeleteBranchOptions extends GitOptions {
  readonly name: string;
  /** Delete even when not merged into its upstream or HEAD (`-D`). */
  readonly force?: boolean;
}

/** Delete local branch `name`; `invalidState` when it is unmerged (without `force`) or checked out. */
export async function deleteBranch(path: string, options: DeleteBranchOptions): Promise<void> {
  const name = assertBranchName('name', options.name);
  const args = ['branch', options.force ? '-D' : '-d', '--end-of-options', name];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return;
  if (/is not fully merged/.test(out.stderr)) {
    throw OrchdError.invalidState(`Expected \`name\` to be merged before deleting it without \`force\`, got ${shown(name)}`, {
      field: 'name',
      name,
      reason: 'notMerged',
    });
  }
  if (/Cannot delete branch '.*' checked out at/.test(out.stderr)) {
    throw OrchdError.invalidState(`Expected \`name\` to be a branch not checked out in any worktree, got ${shown(name)}`, {
      field: 'name',
      name,
      reason: 'checkedOut',
    });
  }
  throw gitFailure(args, path, out, { ref: { field: 'name', value: name } });
}

export interface ListBranchesOptions extends GitOptions {
  /** `local` (default), `remote` (remote-tracking) or `all`. */
  readonly scope?: 'local' | 'remote' | 'all';
}

/** Branches with their commit, upstream and ahead/behind counts. */
export async function listBranches(path: string, options: ListBranchesOptions = {}): Promise<Branch[]> {
  const scope = options.scope ?? 'local';
  const patterns = scope === 'local' ? ['refs/heads'] : scope === 'remote' ? ['refs/remotes'] : ['refs/heads', 'refs/remotes'];
  const format = ['%(refname)', '%(objectname)', '%(upstream:short)', '%(upstream:track,nobracket)', '%(HEAD)', '%(symref)'].join('%00');
  const [refsOut, remotesOut] = await Promise.all([
    gitStdout(['for-each-ref', `--format=${format}`, '--end-of-options', ...patterns], path, options),
    scope === 'local' ? Promise.resolve('') : gitStdout(['remote'], path, options),
  ]);
  // Longest first, so `a/b` wins over `a` for refs/remotes/a/b/x.
  const remotes = splitLines(remotesOut).sort((a, b) => b.length - a.length);
  const branches: Branch[] = [];
  for (const line of splitLines(refsOut)) {
    const [ref = '', oid = '', upstream = '', track = '', head = '', symref = ''] = line.split('\0');
    if (symref) continue; // refs/remotes/origin/HEAD
    const local = ref.startsWith('refs/heads/');
    const short = local ? ref.slice('refs/heads/'.length) : ref.slice('refs/remotes/'.length);
    const remote = local ? null : (remotes.find((r) => short.startsWith(`${r}/`)) ?? short.split('/')[0] ?? null);
    const ahead = Number(/ahead (\d+)/.exec(track)?.[1] ?? 0);
    const behind = Number(/behind (\d+)/.exec(track)?.[1] ?? 0);
    branches.push({
      name: short,
      ref,
      oid,
      remote,
      upstream: upstream || null,
      ahead,
      behind,
      upstreamGone: track === 'gone',
      current: head === '*',
    });
  }
  return branches;
}

/** The branch checked out at `path` (also on an unborn branch), or null when HEAD is detached. */
export async function currentBranch(path: string, options: GitOptions = {}): Promise<string | null> {
  const args = ['symbolic-ref', '--quiet', '--short', 'HEAD'];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return out.stdout.trim();
  if (out.exitCode === 1) return null;
  throw gitFailure(args, path, out);
}

export interface SetUpstreamOptions extends GitOptions {
  /** The local branch; the current one unless given. */
  readonly branch?: string;
  /** The remote-tracking branch to follow (`origin/feature`), or null to unset. */
  readonly upstream: string | null;
}

/** Set (or with `upstream: null` unset) the upstream of a local branch. */
export async function setUpstream(path: string, options: SetUpstreamOptions): Promise<void> {
  const args = ['branch'];
  if (options.upstream === null) args.push('--unset-upstream');
  else args.push(`--set-upstream-to=${assertRevision('upstream', options.upstream)}`);
  if (options.branch !== undefined) args.push('--end-of-options', assertBranchName('branch', options.branch));
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return;
  if (options.upstream !== null && /upstream branch '.*' does not exist|not a valid ref|requested upstream branch/i.test(out.stderr)) {
    throw OrchdError.branchNotFound('upstream', options.upstream);
  }
  throw gitFailure(args, path, out, { ref: { field: 'branch', value: options.branch ?? 'HEAD' } });
}
