// Git LFS: fetch and pull large files, when git-lfs is installed.
import { OrchdError } from '../errors.js';
import { gitStdout, runGit, type GitOptions } from './exec.js';
import { assertPaths, assertRemoteName } from './refs.js';

/** git-lfs's version line (`git-lfs/3.4.0 (...)`), or null when git-lfs is not installed. */
export async function lfsVersion(path: string, options: GitOptions = {}): Promise<string | null> {
  const out = await runGit(['lfs', 'version'], path, options);
  return out.exitCode === 0 ? out.stdout.trim() : null;
}

export interface LfsOptions extends GitOptions {
  /** `origin` unless given. */
  readonly remote?: string;
  /** Only paths matching these patterns (`--include`). */
  readonly include?: readonly string[];
}

/** Download LFS objects for the current checkout without touching the work tree; `lfsNotInstalled` without git-lfs. */
export async function lfsFetch(path: string, options: LfsOptions = {}): Promise<void> {
  await lfs(path, 'fetch', options);
}

/** Download LFS objects and replace pointer files in the work tree; `lfsNotInstalled` without git-lfs. */
export async function lfsPull(path: string, options: LfsOptions = {}): Promise<void> {
  await lfs(path, 'pull', options);
}

async function lfs(path: string, verb: 'fetch' | 'pull', options: LfsOptions): Promise<void> {
  const remote = assertRemoteName('remote', options.remote ?? 'origin');
  const include = assertPaths('include', options.include ?? []);
  const probe = await runGit(['lfs', 'version'], path, options);
  if (probe.exitCode !== 0) throw OrchdError.lfsNotInstalled(probe.stderr);
  const args = ['lfs', verb];
  if (include.length) args.push(`--include=${include.join(',')}`);
  args.push(remote);
  await gitStdout(args, path, options, { remote });
}
