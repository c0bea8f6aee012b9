// The fallback author identity for commits orchd makes in repositories where none is configured.
import { runGit, type GitOptions } from './exec.js';

export const FALLBACK_NAME = 'orchd';
export const FALLBACK_EMAIL = 'orchd@localhost';

/**
 * `-c user.name=… -c user.email=…` to put before a committing subcommand when `git config user.email` is empty (and
 * just the name when only the name is missing); no arguments when the repository, user or system config has an identity.
 */
export async function identityArgs(cwd: string, options: GitOptions = {}): Promise<string[]> {
  // One process for both keys (each commit orchd makes starts here): `-z` prints `key\nvalue\0` per value, in the
  // order git reads its files, so the last value of a key is the one `git config --get` would print. Exit code 1: none.
  const out = await runGit(['config', '-z', '--get-regexp', '^user\\.(name|email)$'], cwd, options);
  const values = new Map<string, string>();
  if (out.exitCode === 0) {
    for (const record of out.stdout.split('\0')) {
      const newline = record.indexOf('\n');
      // A key set with no value (`[user] email`) prints no newline: it counts as empty.
      const [key, value] = newline < 0 ? [record, ''] : [record.slice(0, newline), record.slice(newline + 1)];
      if (key) values.set(key.toLowerCase(), value);
    }
  }
  const hasEmail = (values.get('user.email') ?? '').trim() !== '';
  const hasName = (values.get('user.name') ?? '').trim() !== '';
  if (!hasEmail) return ['-c', `user.name=${FALLBACK_NAME}`, '-c', `user.email=${FALLBACK_EMAIL}`];
  if (!hasName) return ['-c', `user.name=${FALLBACK_NAME}`];
  return [];
}
