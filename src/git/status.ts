// Working tree status from `git status --porcelain=v2 --branch -z`.
import { gitStdout, type GitOptions } from './exec.js';
import { requireDirectory } from './repo.js';

/** How one side (index or work tree) of an entry changed. */
export type EntryChange = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'typeChanged';

/** How a conflicted path conflicts (git's `XY` for unmerged entries). */
export type ConflictKind = 'bothModified' | 'bothAdded' | 'bothDeleted' | 'addedByUs' | 'addedByThem' | 'deletedByUs' | 'deletedByThem';

export interface StatusEntry {
  readonly path: string;
  /** The path it was renamed or copied from. */
  readonly oldPath?: string;
  readonly change: EntryChange;
  /** For a submodule: whether its commit moved, and whether it has tracked or untracked changes of its own. */
  readonly submodule?: { readonly commitChanged: boolean; readonly modified: boolean; readonly untracked: boolean };
}

export interface ConflictEntry {
  readonly path: string;
  readonly kind: ConflictKind;
}

export interface RepositoryStatus {
  /** The checked-out branch, null when HEAD is detached. */
  readonly branch: string | null;
  /** HEAD's commit, null on an unborn branch. */
  readonly oid: string | null;
  readonly detached: boolean;
  /** The upstream (`origin/main`), null when none is set. */
  readonly upstream: string | null;
  /** Commits ahead of and behind the upstream; 0 without one (or when the upstream is gone). */
  readonly ahead: number;
  readonly behind: number;
  /** Changes in the index relative to HEAD. */
  readonly staged: StatusEntry[];
  /** Changes in the work tree relative to the index. */
  readonly unstaged: StatusEntry[];
  /** Untracked files (each file, not collapsed directories), ignored files excluded. */
  readonly untracked: string[];
  readonly conflicted: ConflictEntry[];
  /** True when nothing is staged, unstaged, untracked or conflicted. */
  readonly isClean: boolean;
}

export interface StatusOptions extends GitOptions {
  /** List untracked files (default true). Turning it off is faster on huge trees. */
  readonly untracked?: boolean;
}

/** The branch, upstream, and staged, unstaged, untracked and conflicted entries of the work tree at `path`. */
export async function status(path: string, options: StatusOptions = {}): Promise<RepositoryStatus> {
  requireDirectory(path);
  const untracked = options.untracked === false ? '--untracked-files=no' : '--untracked-files=all';
  const out = await gitStdout(
    ['-c', 'status.relativePaths=false', 'status', '--porcelain=v2', '--branch', '-z', untracked, '--ignore-submodules=none'],
    path,
    // Status only reads: do not take the index lock to refresh stat info, so it never races another git process.
    { ...options, env: { GIT_OPTIONAL_LOCKS: '0' } },
  );
  return parseStatus(out);
}

/** True when the work tree at `path` has no staged, unstaged, conflicted or (unless ignored) untracked changes. */
export async function isClean(path: string, options: GitOptions & { readonly ignoreUntracked?: boolean } = {}): Promise<boolean> {
  const result = await status(path, { ...options, untracked: !options.ignoreUntracked });
  return result.isClean;
}

/** Parse `status --porcelain=v2 --branch -z` output. */
export function parseStatus(out: string): RepositoryStatus {
  const records = out.split('\0');
  let branch: string | null = null;
  let oid: string | null = null;
  let detached = false;
  let upstream: string | null = null;
  let ahead = 0;
  let behind = 0;
  const staged: StatusEntry[] = [];
  const unstaged: StatusEntry[] = [];
  const untrackedFiles: string[] = [];
  const conflicted: ConflictEntry[] = [];

  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (record === '') continue;
    const type = record[0];
    if (type === '#') {
      const [, key, ...rest] = record.split(' ');
      const value = rest.join(' ');
      if (key === 'branch.oid') oid = value === '(initial)' ? null : value;
      else if (key === 'branch.head') {
        detached = value === '(detached)';
        branch = detached ? null : value;
      } else if (key === 'branch.upstream') upstream = value;
      else if (key === 'branch.ab') {
        const match = /^\+(\d+) -(\d+)$/.exec(value);
        if (match) {
          ahead = Number(match[1]);
          behind = Number(match[2]);
        }
      }
    } else if (type === '1' || type === '2') {
      // 1 XY sub mH mI mW hH hI path            2 XY sub mH mI mW hH hI Xscore path \0 origPath
      const fields = splitFields(record, type === '1' ? 8 : 9);
      const xy = fields[1]!;
      const sub = fields[2]!;
      const entryPath = fields[type === '1' ? 8 : 9]!;
      const oldPath = type === '2' ? records[++i] : undefined;
      const submodule = sub.startsWith('S') ? { commitChanged: sub[1] === 'C', modified: sub[2] === 'M', untracked: sub[3] === 'U' } : undefined;
      const x = changeOf(xy[0]!);
      const y = changeOf(xy[1]!);
      if (x) staged.push(entry(entryPath, x, x === 'renamed' || x === 'copied' ? oldPath : undefined, submodule));
      if (y) unstaged.push(entry(entryPath, y, y === 'renamed' || y === 'copied' ? oldPath : undefined, submodule));
    } else if (type === 'u') {
      // u XY sub m1 m2 m3 mW h1 h2 h3 path
      const fields = splitFields(record, 10);
      conflicted.push({ path: fields[10]!, kind: conflictOf(fields[1]!) });
    } else if (type === '?') {
      untrackedFiles.push(record.slice(2));
    }
  }
  const isClean = staged.length === 0 && unstaged.length === 0 && untrackedFiles.length === 0 && conflicted.length === 0;
  return { branch, oid, detached, upstream, ahead, behind, staged, unstaged, untracked: untrackedFiles, conflicted, isClean };
}

function entry(path: string, change: EntryChange, oldPath: string | undefined, submodule: StatusEntry['submodule']): StatusEntry {
  const result: { -readonly [K in keyof StatusEntry]: StatusEntry[K] } = { path, change };
  if (oldPath !== undefined) result.oldPath = oldPath;
  if (submodule) result.submodule = submodule;
  return result;
}

/** Split off `count` space-separated fields; whatever follows (a path, which may hold spaces) is the last element. */
function splitFields(record: string, count: number): string[] {
  const fields: string[] = [];
  let start = 0;
  for (let n = 0; n < count; n++) {
    const space = record.indexOf(' ', start);
    fields.push(record.slice(start, space));
    start = space + 1;
  }
  fields.push(record.slice(start));
  return fields;
}

function changeOf(code: string): EntryChange | null {
  switch (code) {
    case 'M':
      return 'modified';
    case 'A':
      return 'added';
    case 'D':
      return 'deleted';
    case 'R':
      return 'renamed';
    case 'C':
      return 'copied';
    case 'T':
      return 'typeChanged';
    default:
      return null;
  }
}

function conflictOf(xy: string): ConflictKind {
  switch (xy) {
    case 'AA':
      return 'bothAdded';
    case 'DD':
      return 'bothDeleted';
    case 'AU':
      return 'addedByUs';
    case 'UA':
      return 'addedByThem';
    case 'DU':
      return 'deletedByUs';
    case 'UD':
      return 'deletedByThem';
    default:
      return 'bothModified';
  }
}
