// fs/findFiles: fuzzy file-name search over the files git knows in a workspace's worktrees (tracked, and untracked
// but not ignored), best first. The lists come from `git ls-files` through engine.fileLists (file-list-cache.ts);
// scoring (fuzzy.ts) runs in slices of a few milliseconds, checking for cancellation and reporting the best so far
// between slices.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FoundFile } from '../../protocol/fs.js';
import type { Engine } from '../engine.js';
import { gitStdout, splitNul } from '../git/exec.js';
import { compareFound, FuzzyScorer, lowerPath, prepareQuery } from './fuzzy.js';
import { searchCancelled, searchRoots } from './search-targets.js';

export interface FindFilesOptions {
  readonly repository?: string | undefined;
  readonly query: string;
  readonly maxResults: number;
}

export interface FindFilesContext {
  readonly signal?: AbortSignal | undefined;
  /** When given, called now and then on a big tree with the best files so far (each list replaces the previous). */
  readonly partial?: ((files: FoundFile[]) => void) | undefined;
}

/** Scoring work per turn before yielding (to cancellation, to other requests). */
const SLICE_MS = 8;
/** The least time between two partial lists. */
const PARTIAL_EVERY_MS = 50;

/** The files of the workspace (or of the one `repository`) whose path matches `query`, best first. */
export async function findFiles(engine: Engine, workspaceId: string, options: FindFilesOptions, context: FindFilesContext = {}): Promise<{ files: FoundFile[]; truncated: boolean }> {
  const roots = await searchRoots(engine, workspaceId, options.repository);
  // Listing is not given the request's signal: a list being loaded is shared with other requests for the same
  // worktree, and `git ls-files` is short. Cancellation is checked once it is there.
  const lists = await Promise.all(roots.map((root) => engine.fileLists.get(root.path, () => listFiles(root.path), lowerPath)));
  if (context.signal?.aborted) throw searchCancelled('fs/findFiles');

  const scorer = new FuzzyScorer(prepareQuery(options.query));
  const best = new BestFiles(options.maxResults);
  const started = performance.now();
  let lastPartial = started;
  let sliceStart = started;
  for (let r = 0; r < roots.length; r++) {
    const repositoryId = roots[r]!.repositoryId;
    const { paths } = lists[r]!;
    const lowered = scorer.query.caseSensitive ? null : lists[r]!.lowered();
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      const found = scorer.match(path, lowered?.[i]);
      if (found) best.add({ repositoryId, path, score: found.score, positions: found.positions });
      if ((i & 255) === 255 && performance.now() - sliceStart >= SLICE_MS) {
        await nextTurn();
        if (context.signal?.aborted) throw searchCancelled('fs/findFiles');
        sliceStart = performance.now();
        if (context.partial && sliceStart - lastPartial >= PARTIAL_EVERY_MS) {
          context.partial(best.sorted());
          lastPartial = sliceStart;
        }
      }
    }
  }
  return { files: best.sorted(), truncated: best.seen > options.maxResults };
}

/** Tracked and untracked-not-ignored files of a worktree, without duplicates, without files deleted from the disk. */
export async function listFiles(worktree: string): Promise<string[]> {
  // `-t` tags each path with the list it came from: `R` (deleted from disk) and `S` (skip-worktree, not checked
  // out) name files that are not there; an unmerged file is listed once per stage.
  const out = await gitStdout(['ls-files', '-z', '-t', '--cached', '--deleted', '--others', '--exclude-standard'], worktree);
  const absent = new Set<string>();
  const present = new Set<string>();
  for (const record of splitNul(out)) {
    const tag = record[0];
    const path = record.slice(2);
    // A nested repository is listed as its directory.
    if (path.endsWith('/')) continue;
    if (tag === 'R' || tag === 'S') absent.add(path);
    else present.add(path);
  }
  const paths: string[] = [];
  for (const path of present) if (!absent.has(path)) paths.push(path);
  return paths;
}

/** The best `limit` files seen, kept by sorting now and then rather than on every add. */
class BestFiles {
  seen = 0;
  private files: FoundFile[] = [];
  private floor: FoundFile | undefined;

  constructor(private readonly limit: number) {}

  add(file: FoundFile): void {
    this.seen++;
    // Once full, anything not better than the worst kept cannot get in.
    if (this.floor && compareFound(file, this.floor) >= 0) return;
    this.files.push(file);
    if (this.files.length >= this.limit * 2) this.trim();
  }

  sorted(): FoundFile[] {
    this.trim();
    return this.files.slice();
  }

  private trim(): void {
    this.files.sort(compareFound);
    if (this.files.length >= this.limit) {
      this.files.length = this.limit;
      this.floor = this.files[this.limit - 1];
    }
  }
}
