// Repository (local scope) configuration.
import { gitFailure, gitStdout, runGit, type GitOptions } from './exec.js';
import { assertConfigKey } from './refs.js';

export interface GetConfigOptions extends GitOptions {
  readonly key: string;
  /** `local` reads only the repository's own config (default); `effective` what git would use (system, global, local). */
  readonly scope?: 'local' | 'effective';
}

/** A config value, or null when the key is unset. */
export async function getConfig(path: string, options: GetConfigOptions): Promise<string | null> {
  const key = assertConfigKey('key', options.key);
  const args = ['config'];
  if ((options.scope ?? 'local') === 'local') args.push('--local');
  args.push('--get', '--end-of-options', key);
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return out.stdout.replace(/\n$/, '');
  if (out.exitCode === 1 && !out.stderr.trim()) return null;
  throw gitFailure(args, path, out);
}

export interface SetConfigOptions extends GitOptions {
  readonly key: string;
  readonly value: string;
}

/** Set a key in the repository's own config. */
export async function setConfig(path: string, options: SetConfigOptions): Promise<void> {
  const key = assertConfigKey('key', options.key);
  await gitStdout(['config', '--local', '--replace-all', '--end-of-options', key, String(options.value)], path, options);
}

/** Remove a key from the repository's own config; no error when it was unset. */
export async function unsetConfig(path: string, options: { readonly key: string } & GitOptions): Promise<void> {
  const key = assertConfigKey('key', options.key);
  const args = ['config', '--local', '--unset-all', '--end-of-options', key];
  const out = await runGit(args, path, options);
  // 5: the key was not set.
  if (out.exitCode !== 0 && out.exitCode !== 5) throw gitFailure(args, path, out);
}
