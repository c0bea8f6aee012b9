// The stash: push, list, apply, pop and drop.
import { OrchdError, shown } from '../errors.js';
import { gitFailure, gitStdout, runGit, splitNul, type GitOptions, type GitOutput } from './exec.js';
import { identityArgs } from './identity.js';
import { assertPaths } from './refs.js';
import { conflictedFiles } from './merge.js';

export interface StashEntry {
  /** 0 is the newest; `stash@{index}`. */
  readonly index: number;
  readonly ref: string;
  readonly oid: string;
  /** The reflog subject: `On main: <message>` or `WIP on main: <commit>`. */
  readonly message: string;
  /** When it was stashed (ISO 8601). */
  readonly date: string;
}

export type StashApplyResult = { readonly ok: true } | { readonly ok: false; readonly conflicts: string[] };

export interface StashPushOptions extends GitOptions {
  readonly message?: string;
  /** Stash untracked files too. */
  readonly includeUntracked?: boolean;
  /** Only these paths. */
  readonly paths?: readonly string[];
}

/** Stash local changes; `created: false` when there were none. */
export async function stashPush(path: string, options: StashPushOptions = {}): Promise<{ created: boolean; oid: string | null }> {
  const identity = await identityArgs(path, options);
  // --literal-pathspecs only with paths: stash's internal clean of untracked files breaks under it.
  const args = [...identity, ...(options.paths ? ['--literal-pathspecs'] : []), 'stash', 'push', '--quiet'];
  if (options.includeUntracked) args.push('--include-untracked');
  if (options.message !== undefined) args.push('--message', options.message);
  if (options.paths) args.push('--', ...assertPaths('paths', options.paths));
  const before = await topOid(path, options);
  await gitStdout(args, path, options);
  const after = await topOid(path, options);
  return after !== null && after !== before ? { created: true, oid: after } : { created: false, oid: null };
}

/** Stash entries, newest first. */
export async function stashList(path: string, options: GitOptions = {}): Promise<StashEntry[]> {
  const out = await gitStdout(['stash', 'list', '-z', '--format=%gd%x00%H%x00%gs%x00%cI'], path, options);
  const parts = splitNul(out);
  const entries: StashEntry[] = [];
  for (let i = 0; i + 4 <= parts.length; i += 4) {
    const ref = parts[i]!;
    entries.push({
      index: Number(/\{(\d+)\}/.exec(ref)?.[1] ?? entries.length),
      ref,
      oid: parts[i + 1]!,
      message: parts[i + 2]!,
      date: parts[i + 3]!,
    });
  }
  return entries;
}

export interface StashApplyOptions extends GitOptions {
  /** Which entry; 0 (the newest) unless given. */
  readonly index?: number;
  /** Restore the staged state too, not just the work tree. */
  readonly restoreIndex?: boolean;
}

/** Apply a stash entry and keep it; conflicts come back as `{ok: false}`. */
export async function stashApply(path: string, options: StashApplyOptions = {}): Promise<StashApplyResult> {
  return applyLike(path, 'apply', options);
}

/** Apply a stash entry and drop it; on conflicts the entry is kept and `{ok: false}` comes back. */
export async function stashPop(path: string, options: StashApplyOptions = {}): Promise<StashApplyResult> {
  return applyLike(path, 'pop', options);
}

/** Delete a stash entry. */
export async function stashDrop(path: string, options: { readonly index?: number } & GitOptions = {}): Promise<void> {
  const ref = stashRef(options.index);
  const args = ['stash', 'drop', '--quiet', ref];
  const out = await runGit(args, path, options);
  if (out.exitCode !== 0) throw stashFailure(args, path, out, ref);
}

async function applyLike(path: string, verb: 'apply' | 'pop', options: StashApplyOptions): Promise<StashApplyResult> {
  const ref = stashRef(options.index);
  const args = ['stash', verb, '--quiet'];
  if (options.restoreIndex) args.push('--index');
  args.push(ref);
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return { ok: true };
  if (/CONFLICT|Merge conflict/.test(`${out.stdout}\n${out.stderr}`)) {
    const conflicts = await conflictedFiles(path, options);
    if (conflicts.length) return { ok: false, conflicts };
  }
  throw stashFailure(args, path, out, ref);
}

function stashFailure(args: string[], path: string, out: GitOutput, ref: string): OrchdError {
  if (/is not a valid reference|is not a stash-like commit|No stash entries found|log for 'refs\/stash' only has/.test(out.stderr)) {
    return OrchdError.notFound('stash entry', ref, 'index');
  }
  return gitFailure(args, path, out);
}

function stashRef(index: number | undefined): string {
  const n = index ?? 0;
  if (!Number.isInteger(n) || n < 0) throw OrchdError.invalidState(`Expected \`index\` to be a non-negative integer, got ${shown(n)}`, { field: 'index' });
  return `stash@{${n}}`;
}

async function topOid(path: string, options: GitOptions): Promise<string | null> {
  const out = await runGit(['rev-parse', '--verify', '--quiet', 'refs/stash'], path, options);
  return out.exitCode === 0 ? out.stdout.trim() : null;
}
