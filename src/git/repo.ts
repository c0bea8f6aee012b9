// Repository discovery and revision resolution.
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OrchdError } from '../errors.js';
import { gitFailure, gitStdout, runGit, type GitOptions } from './exec.js';
import { readHeadFromFiles } from './head-file.js';
import { assertBranchName, assertRevision } from './refs.js';

/** An operation that leaves the repository mid-way until continued or aborted. */
export type OperationInProgress = 'rebase' | 'merge' | 'cherry-pick' | 'revert';

export interface InitOptions extends GitOptions {
  /** The first branch's name; `main` unless given. */
  readonly initialBranch?: string;
  readonly bare?: boolean;
}

/** Create a repository at `path` (created if missing) and return its absolute path. */
export async function initRepository(path: string, options: InitOptions = {}): Promise<string> {
  const branch = assertBranchName('initialBranch', options.initialBranch ?? 'main');
  await mkdir(path, { recursive: true });
  const args = ['init', '--quiet', `--initial-branch=${branch}`];
  if (options.bare) args.push('--bare');
  await gitStdout(args, path, options);
  return (await gitStdout(['rev-parse', '--path-format=absolute', options.bare ? '--git-dir' : '--show-toplevel'], path, options)).trim();
}

/** The top directory of the work tree containing `path`. */
export async function repositoryRoot(path: string, options: GitOptions = {}): Promise<string> {
  requireDirectory(path);
  const out = await runGit(['rev-parse', '--show-toplevel'], path, options);
  if (out.exitCode !== 0 || !out.stdout.trim()) throw OrchdError.notAGitRepository('path', path);
  return out.stdout.trim();
}

/** True when `path` is inside a git work tree or is a git directory. */
export async function isGitRepository(path: string, options: GitOptions = {}): Promise<boolean> {
  if (!isDirectory(path)) return false;
  const out = await runGit(['rev-parse', '--git-dir'], path, options);
  return out.exitCode === 0;
}

/** The absolute path of the repository's git directory (`.git`, or the per-worktree one). */
export async function gitDirectory(path: string, options: GitOptions = {}): Promise<string> {
  requireDirectory(path);
  const out = await runGit(['rev-parse', '--absolute-git-dir'], path, options);
  if (out.exitCode !== 0) throw OrchdError.notAGitRepository('path', path);
  return out.stdout.trim();
}

export interface RevParseOptions extends GitOptions {
  readonly ref: string;
  /** Peel to this object type (`commit` turns a tag into the commit it points at). */
  readonly peel?: 'commit' | 'tree';
  /** The caller's field name for error messages; `ref` unless given. */
  readonly field?: string;
}

/** The full object id `ref` names; `branchNotFound` when it names nothing. */
export async function revParse(path: string, options: RevParseOptions): Promise<string> {
  const field = options.field ?? 'ref';
  const ref = assertRevision(field, options.ref);
  const spec = options.peel ? `${ref}^{${options.peel}}` : ref;
  const args = ['rev-parse', '--verify', '--quiet', '--end-of-options', spec];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return out.stdout.trim();
  if (out.exitCode === 1 && !out.stderr.trim()) throw OrchdError.branchNotFound(field, ref);
  throw gitFailure(args, path, out, { ref: { field, value: ref } });
}

/** The object id `ref` names, or null when it names nothing. */
export async function resolveRef(path: string, options: RevParseOptions): Promise<string | null> {
  try {
    return await revParse(path, options);
  } catch (error) {
    if (error instanceof OrchdError && error.kind === 'branchNotFound') return null;
    throw error;
  }
}

/** The commit HEAD points at, or null on an unborn branch. Read from the files when the layout is plain (head-file.ts). */
export async function headOid(path: string, options: GitOptions = {}): Promise<string | null> {
  const fromFiles = await readHeadFromFiles(path);
  if (fromFiles !== undefined) return fromFiles;
  const args = ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return out.stdout.trim();
  if (out.exitCode === 1 && !out.stderr.trim()) return null;
  throw gitFailure(args, path, out);
}

/** Which rebase, merge, cherry-pick or revert the repository is stopped in, or null. */
export async function operationInProgress(path: string, options: GitOptions = {}): Promise<OperationInProgress | null> {
  const dir = await gitDirectory(path, options);
  if (existsSync(join(dir, 'rebase-merge')) || existsSync(join(dir, 'rebase-apply'))) return 'rebase';
  if (existsSync(join(dir, 'MERGE_HEAD'))) return 'merge';
  if (existsSync(join(dir, 'CHERRY_PICK_HEAD'))) return 'cherry-pick';
  if (existsSync(join(dir, 'REVERT_HEAD'))) return 'revert';
  return null;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Throw `pathNotFound` unless `path` is an existing directory. */
export function requireDirectory(path: string, field = 'path'): void {
  if (!isDirectory(path)) throw OrchdError.pathNotFound(field, path);
}
