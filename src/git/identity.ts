// The fallback author identity for commits orchd makes in repositories where none is configured.
import { runGit, type GitOptions } from './exec.js';

export const FALLBACK_NAME = 'orchd';
export const FALLBACK_EMAIL = 'orchd@localhost';

/**
 * `-c user.name=… -c user.email=…` to put before a committing subcommand when `git config user.email` is empty (and
 * just the name when only the name is missing); no arguments when the repository, user or system config has an identity.
 */
export async function identityArgs(cwd: string, options: GitOptions = {}): Promise<string[]> {
  const [email, name] = await Promise.all([
    runGit(['config', '--get', 'user.email'], cwd, options),
    runGit(['config', '--get', 'user.name'], cwd, options),
  ]);
  const hasEmail = email.exitCode === 0 && email.stdout.trim() !== '';
  const hasName = name.exitCode === 0 && name.stdout.trim() !== '';
  if (!hasEmail) return ['-c', `user.name=${FALLBACK_NAME}`, '-c', `user.email=${FALLBACK_EMAIL}`];
  if (!hasName) return ['-c', `user.name=${FALLBACK_NAME}`];
  return [];
}
