// Changed files between two revisions, or between a revision and the work tree (untracked files included), with
// line counts; and the unified text of one file. A constant number of git calls however many files changed.
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { gitStdout, runGit, splitNul, type GitOptions } from './exec.js';
import { assertPath, assertRevision } from './refs.js';
import { headOid, repositoryRoot, revParse } from './repo.js';

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'typeChanged';

export interface FileChange {
  readonly path: string;
  /** The path before a rename or copy. */
  readonly oldPath?: string;
  readonly status: ChangeStatus;
  /** Lines added and deleted; 0 for binary files. */
  readonly additions: number;
  readonly deletions: number;
  readonly binary: boolean;
}

/** Flags for every diff orchd parses: no user diff drivers, colours, prefixes or relative paths; renames detected. */
const DIFF_FLAGS = ['--no-ext-diff', '--no-textconv', '--no-color', '--no-relative', '-M'];

export interface DiffRefsOptions extends GitOptions {
  readonly from: string;
  readonly to: string;
  /** Compare `to` with the merge base of `from` and `to` (`from...to`): what `to` changed since it forked. */
  readonly mergeBase?: boolean;
}

/** The files that differ between revisions `from` and `to`. */
export async function diffRefs(path: string, options: DiffRefsOptions): Promise<FileChange[]> {
  const from = assertRevision('from', options.from);
  const to = assertRevision('to', options.to);
  const revs = options.mergeBase ? [`${from}...${to}`] : [from, to];
  return collectDiff(path, ['diff', ...DIFF_FLAGS], revs, options, { field: 'from', value: `${from} ${to}` });
}

export interface DiffWorkingTreeOptions extends GitOptions {
  /** The revision to compare the work tree with; HEAD (or the empty tree on an unborn branch) unless given. */
  readonly ref?: string;
  /** List untracked (not ignored) files as added; default true. */
  readonly includeUntracked?: boolean;
}

/** The files that differ between `ref` and the work tree, staged or not, untracked files counted as added. */
export async function diffWorkingTree(path: string, options: DiffWorkingTreeOptions = {}): Promise<FileChange[]> {
  const ref = options.ref === undefined ? 'HEAD' : assertRevision('ref', options.ref);
  const [root, base] = await Promise.all([repositoryRoot(path, options), baseFor(path, ref, options)]);
  const [tracked, untracked] = await Promise.all([
    collectDiff(root, ['diff', ...DIFF_FLAGS], [base], options, { field: 'ref', value: ref }),
    options.includeUntracked === false ? Promise.resolve([]) : untrackedFiles(root, [], options),
  ]);
  const seen = new Set(tracked.map((f) => f.path));
  const added = await mapLimit(
    untracked.filter((p) => !seen.has(p)),
    32,
    (p) => untrackedChange(root, p),
  );
  return [...tracked, ...added];
}

export interface DiffCommitOptions extends GitOptions {
  readonly ref: string;
}

/** The files a commit changed relative to its first parent (everything, for a root commit). */
export async function diffCommit(path: string, options: DiffCommitOptions): Promise<FileChange[]> {
  const ref = assertRevision('ref', options.ref);
  const oid = await revParse(path, { ref, peel: 'commit', signal: options.signal });
  const parent = await runGit(['rev-parse', '--verify', '--quiet', `${oid}^1`], path, options);
  const revs = parent.exitCode === 0 ? [parent.stdout.trim(), oid] : [oid];
  return collectDiff(path, ['diff-tree', '-r', '--root', '--no-commit-id', ...DIFF_FLAGS], revs, options, { field: 'ref', value: ref });
}

export interface DiffTextOptions extends GitOptions {
  /** The file, relative to the repository root. */
  readonly file: string;
  /** Its path before a rename, so the rename shows as one. */
  readonly oldPath?: string;
  /** The base revision; HEAD unless given. */
  readonly from?: string;
  /** The other revision; the work tree unless given. */
  readonly to?: string;
  /** Context lines (default 3). */
  readonly context?: number;
}

/** The unified diff of one file (empty when unchanged); an untracked file diffs as added in full. */
export async function diffText(path: string, options: DiffTextOptions): Promise<string> {
  const file = assertPath('file', options.file);
  const paths = options.oldPath !== undefined && options.oldPath !== file ? [assertPath('oldPath', options.oldPath), file] : [file];
  const context = Math.max(0, Math.floor(options.context ?? 3));
  const flags = [...DIFF_FLAGS, '--src-prefix=a/', '--dst-prefix=b/', `-U${context}`];
  const global = ['-c', 'core.quotePath=false', '--literal-pathspecs'];
  const root = await repositoryRoot(path, options);
  const fromRef = options.from === undefined ? 'HEAD' : assertRevision('from', options.from);
  if (options.to !== undefined) {
    const to = assertRevision('to', options.to);
    return gitStdout([...global, 'diff', ...flags, '--end-of-options', fromRef, to, '--', ...paths], root, options, {
      ref: { field: 'from', value: `${fromRef} ${to}` },
    });
  }
  const base = await baseFor(root, fromRef, options);
  const text = await gitStdout([...global, 'diff', ...flags, '--end-of-options', base, '--', ...paths], root, options, {
    ref: { field: 'from', value: fromRef },
  });
  if (text) return text;
  const untracked = await untrackedFiles(root, [file], options);
  if (!untracked.includes(file)) return '';
  const args = [...global, 'diff', '--no-index', ...flags, '--', '/dev/null', file];
  const out = await runGit(args, root, options);
  // --no-index exits 1 when the files differ.
  if (out.exitCode > 1) return gitStdout(args, root, options);
  return out.stdout;
}

/** The revision to diff the work tree against: `ref`, or the empty tree when `ref` is HEAD on an unborn branch. */
async function baseFor(path: string, ref: string, options: GitOptions): Promise<string> {
  if (ref !== 'HEAD') return ref;
  if ((await headOid(path, options)) !== null) return ref;
  return (await gitStdout(['hash-object', '-t', 'tree', '--stdin'], path, { ...options, stdin: '' })).trim();
}

/** Untracked, not ignored files under the root (limited to `paths` when given), relative to the root. */
async function untrackedFiles(root: string, paths: string[], options: GitOptions): Promise<string[]> {
  const args = ['--literal-pathspecs', 'ls-files', '--others', '--exclude-standard', '-z'];
  if (paths.length) args.push('--', ...paths);
  return splitNul(await gitStdout(args, root, options));
}

/** Run `--numstat` and `--name-status` for the same diff and join them per file. */
async function collectDiff(
  cwd: string,
  command: string[],
  revs: string[],
  options: GitOptions,
  ref: { field: string; value: string },
): Promise<FileChange[]> {
  const run = (format: string) => gitStdout([...command, format, '-z', '--end-of-options', ...revs, '--'], cwd, options, { ref });
  const [numstat, nameStatus] = await Promise.all([run('--numstat'), run('--name-status')]);
  const counts = parseNumstat(numstat);
  const statuses = parseNameStatus(nameStatus);
  const aligned = counts.length === statuses.length && counts.every((c, i) => c.path === statuses[i]!.path);
  const byPath = aligned ? null : new Map(counts.map((c) => [c.path, c]));
  return statuses.map((s, i) => {
    const c = aligned ? counts[i] : byPath!.get(s.path);
    const change: { -readonly [K in keyof FileChange]: FileChange[K] } = {
      path: s.path,
      status: s.status,
      additions: c?.additions ?? 0,
      deletions: c?.deletions ?? 0,
      binary: c?.binary ?? false,
    };
    if (s.oldPath !== undefined) change.oldPath = s.oldPath;
    return change;
  });
}

interface Numstat {
  path: string;
  additions: number;
  deletions: number;
  binary: boolean;
}

/** Parse `--numstat -z`: `add\tdel\tpath\0`, or `add\tdel\t\0old\0new\0` for a rename or copy; `-` counts for binary. */
export function parseNumstat(out: string): Numstat[] {
  const parts = splitNul(out);
  const result: Numstat[] = [];
  for (let i = 0; i < parts.length; i++) {
    const record = parts[i]!;
    const first = record.indexOf('\t');
    const second = record.indexOf('\t', first + 1);
    if (first < 0 || second < 0) continue;
    const add = record.slice(0, first);
    const del = record.slice(first + 1, second);
    let path = record.slice(second + 1);
    if (path === '') {
      i += 2; // old, new
      path = parts[i] ?? '';
    }
    const binary = add === '-' && del === '-';
    result.push({ path, additions: binary ? 0 : Number(add), deletions: binary ? 0 : Number(del), binary });
  }
  return result;
}

interface NameStatus {
  path: string;
  oldPath?: string;
  status: ChangeStatus;
}

/** Parse `--name-status -z`: `X\0path\0`, or `R<score>\0old\0new\0` / `C<score>\0old\0new\0`. */
export function parseNameStatus(out: string): NameStatus[] {
  const parts = splitNul(out);
  const result: NameStatus[] = [];
  for (let i = 0; i < parts.length; i++) {
    const code = parts[i]![0];
    if (code === 'R' || code === 'C') {
      const oldPath = parts[++i] ?? '';
      const path = parts[++i] ?? '';
      result.push({ path, oldPath, status: code === 'R' ? 'renamed' : 'copied' });
    } else {
      const path = parts[++i] ?? '';
      result.push({ path, status: statusOf(code) });
    }
  }
  return result;
}

function statusOf(code: string | undefined): ChangeStatus {
  switch (code) {
    case 'A':
      return 'added';
    case 'D':
      return 'deleted';
    case 'T':
      return 'typeChanged';
    default:
      return 'modified'; // M, and U (unmerged) or X (unknown)
  }
}

/** git's threshold too: files above it are treated as binary without reading them. */
const BIG_FILE = 512 * 1024 * 1024;
/** git decides "binary" from a NUL in the first 8000 bytes. */
const SNIFF = 8000;

/** An untracked file as an added change, counting its lines as git would. */
async function untrackedChange(root: string, relative: string): Promise<FileChange> {
  const path = relative.endsWith('/') ? relative.slice(0, -1) : relative;
  const added = (additions: number, binary: boolean): FileChange => ({ path, status: 'added', additions, deletions: 0, binary });
  let stats;
  try {
    stats = await lstat(join(root, path));
  } catch {
    return added(0, false); // vanished since ls-files
  }
  if (stats.isSymbolicLink()) return added(1, false); // the link target, one line
  if (!stats.isFile()) return added(0, false); // a nested repository
  if (stats.size > BIG_FILE) return added(0, true);
  if (stats.size === 0) return added(0, false);
  const handle = await open(join(root, path), 'r');
  try {
    let lines = 0;
    let last = 0;
    let offset = 0;
    const chunk = Buffer.alloc(Math.min(stats.size, 1024 * 1024));
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
      if (bytesRead === 0) break;
      const view = chunk.subarray(0, bytesRead);
      if (offset < SNIFF && view.subarray(0, SNIFF - offset).includes(0)) return added(0, true);
      for (let at = view.indexOf(10); at !== -1; at = view.indexOf(10, at + 1)) lines++;
      last = view[bytesRead - 1]!;
      offset += bytesRead;
    }
    if (offset > 0 && last !== 10) lines++;
    return added(lines, false);
  } finally {
    await handle.close();
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
