// The file lists fs/findFiles scores, per worktree, so that a host asking on every keystroke does not run git each
// time. An entry is used while it is younger than TTL_MS and the worktree's git index has not changed since it was
// listed (one stat per request): adding, committing, checking out or deleting tracked files changes the index and
// shows at once, while a new untracked file shows within TTL_MS. At most MAX_WORKTREES lists are kept, least recently
// used dropped first. Lives on the engine (`engine.fileLists`); nothing here runs git itself.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

export const FILE_LIST_TTL_MS = 5_000;
export const FILE_LIST_MAX_WORKTREES = 16;

export interface FileList {
  /** Paths relative to the worktree, `/`-separated, without duplicates. */
  readonly paths: readonly string[];
  /** Each path lowered unit by unit (fuzzy.ts lowerPath), computed on first use. */
  lowered(): readonly string[];
}

interface Entry {
  readonly list: Promise<FileList>;
  readonly loadedAt: number;
  /** The git index file and its mtime when listing began; null when it could not be found. */
  readonly index: { readonly path: string; readonly mtimeMs: number } | null;
}

export class FileListCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = FILE_LIST_TTL_MS,
    private readonly maxWorktrees = FILE_LIST_MAX_WORKTREES,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The worktree's list, from the cache while it is fresh, else from `load` (one load at a time per worktree). */
  async get(worktree: string, load: () => Promise<string[]>, lower: (path: string) => string): Promise<FileList> {
    const cached = this.entries.get(worktree);
    if (cached && (await this.fresh(worktree, cached))) {
      // Most recently used last.
      this.entries.delete(worktree);
      this.entries.set(worktree, cached);
      return cached.list;
    }
    // The index is read before listing, so a change made while git lists makes the next request list again.
    const index = await indexStat(worktree);
    const list = load().then((paths) => fileList(paths, lower));
    const entry: Entry = { list, loadedAt: this.now(), index };
    this.entries.delete(worktree);
    this.entries.set(worktree, entry);
    list.catch(() => {
      if (this.entries.get(worktree) === entry) this.entries.delete(worktree);
    });
    while (this.entries.size > this.maxWorktrees) this.entries.delete(this.entries.keys().next().value!);
    return list;
  }

  /** Forget a worktree's list (a caller that knows the tree changed). */
  invalidate(worktree: string): void {
    this.entries.delete(worktree);
  }

  /** How many worktrees have a list (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private async fresh(worktree: string, entry: Entry): Promise<boolean> {
    if (this.now() - entry.loadedAt > this.ttlMs) return false;
    if (!entry.index) return true;
    const index = await indexStat(worktree);
    return index !== null && index.path === entry.index.path && index.mtimeMs === entry.index.mtimeMs;
  }
}

function fileList(paths: readonly string[], lower: (path: string) => string): FileList {
  let lowered: string[] | undefined;
  return {
    paths,
    lowered: () => (lowered ??= paths.map(lower)),
  };
}

/** The worktree's index file and its mtime: `.git/index`, or for a linked worktree the index in the gitdir `.git` names. */
async function indexStat(worktree: string): Promise<{ path: string; mtimeMs: number } | null> {
  const dotGit = join(worktree, '.git');
  try {
    let gitDir = dotGit;
    if (!(await stat(dotGit)).isDirectory()) {
      const named = /^gitdir: (.+)$/m.exec(await readFile(dotGit, 'utf8'))?.[1]?.trim();
      if (!named) return null;
      gitDir = isAbsolute(named) ? named : resolve(worktree, named);
    }
    const path = join(gitDir, 'index');
    return { path, mtimeMs: (await stat(path)).mtimeMs };
  } catch {
    return null;
  }
}
