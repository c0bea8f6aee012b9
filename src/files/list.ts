// fs/list: a directory of a worktree to a depth, breadth first, without what .gitignore excludes unless asked. Which
// paths git ignores is decided by one `git ls-files --others --ignored --directory` per listing, before the walk, so
// the walk never descends into an ignored directory (node_modules) it would only throw away.
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FileStat, FsListParams } from '../../protocol/fs.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { gitStdout } from '../git/exec.js';
import { isOrchdTempFile, relativeInside, resolvePath } from './paths.js';
import { openWorktree } from './worktree.js';
import { fsFailure, lstatOrNull, toFileStat, typeOf } from './stat.js';

/** What git ignores below a directory of a worktree, from one `git ls-files` call. */
export interface IgnoredPaths {
  /** True when git ignores `path` (relative to the worktree) or a directory above it. */
  has(path: string): boolean;
}

/**
 * The ignored paths below `scope` (relative to the worktree `root`; `''` for all of it). With `--directory`, git names
 * an ignored directory once (`node_modules/`) instead of every file in it; it also names a directory whose untracked
 * files are all ignored, followed by those files (`logs/`, `logs/a.log`). Only the first kind is ignored itself, as
 * `git check-ignore` would say; the second is a plain directory holding ignored files.
 */
export async function ignoredPaths(root: string, scope: string, signal?: AbortSignal): Promise<IgnoredPaths> {
  const args = ['--literal-pathspecs', 'ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'];
  if (scope !== '') args.push('--', scope);
  const listed = (await gitStdout(args, root, signal ? { signal } : {})).split('\0').filter(Boolean);
  const holdsListed = new Set<string>();
  for (const entry of listed) {
    const parts = entry.replace(/\/$/, '').split('/');
    for (let i = 1; i < parts.length; i++) holdsListed.add(parts.slice(0, i).join('/'));
  }
  const ignored = new Set<string>();
  for (const entry of listed) {
    if (!entry.endsWith('/')) ignored.add(entry);
    else if (!holdsListed.has(entry.slice(0, -1))) ignored.add(entry.slice(0, -1));
  }
  return {
    has(path) {
      if (ignored.has(path)) return true;
      for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) if (ignored.has(path.slice(0, slash))) return true;
      return false;
    },
  };
}

const byKindThenName = (a: Dirent, b: Dirent) => {
  const kind = Number(b.isDirectory()) - Number(a.isDirectory());
  return kind !== 0 ? kind : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
};

interface Level {
  /** Real absolute path. */
  absolute: string;
  /** Relative to the worktree as the host named it (through a symlinked directory, under the link's name). */
  path: string;
  /** Relative to the worktree by real path, as git sees it. */
  gitPath: string;
  ignored: boolean;
}

/**
 * List a directory (fs/list): its entries, then its subdirectories' entries, and so on to `depth`; each directory's
 * entries directories first, then by name. `.git` is never listed, nor is a symlinked directory walked into.
 */
export async function listWorktreeDirectory(engine: Engine, params: FsListParams, signal?: AbortSignal): Promise<{ entries: FileStat[]; truncated: boolean }> {
  const worktree = await openWorktree(engine, params.workspaceId, params.repository, 'read');
  const resolved = await resolvePath(worktree.root, params.path, 'path', { follow: true });
  const real = resolved.real!;
  const stats = await lstatOrNull(real);
  if (!stats) throw OrchdError.pathNotFound('path', params.path);
  if (!stats.isDirectory()) throw OrchdError.notADirectory('path', params.path, 'directory', typeOf(stats));
  const gitPath = relativeInside(worktree.root, real)!;
  const ignores = await ignoredPaths(worktree.root, gitPath, signal);

  const entries: FileStat[] = [];
  let truncated = false;
  let level: Level[] = [{ absolute: real, path: resolved.relative, gitPath, ignored: ignores.has(gitPath) }];
  for (let depth = 1; depth <= params.depth && level.length && !truncated; depth++) {
    const next: Level[] = [];
    for (const directory of level) {
      let dirents: Dirent[];
      try {
        dirents = await readdir(directory.absolute, { withFileTypes: true });
      } catch (error) {
        if (depth === 1) throw fsFailure(error, 'path', params.path);
        continue; // removed or made unreadable since its parent was read
      }
      let kept = dirents
        .filter((d) => d.name.toLowerCase() !== '.git' && !isOrchdTempFile(d.name))
        .sort(byKindThenName)
        .map((d) => ({ name: d.name, ignored: directory.ignored || ignores.has(posix.join(directory.gitPath, d.name)) }))
        .filter((d) => params.includeIgnored || !d.ignored);
      const room = params.maxEntries - entries.length;
      if (kept.length > room) {
        truncated = true;
        kept = kept.slice(0, room);
      }
      const described = await Promise.all(
        kept.map(async (d) => {
          const absolute = posix.join(directory.absolute, d.name);
          const entryStats = await lstat(absolute).catch(() => null);
          return entryStats && { d, absolute, entryStats, stat: await toFileStat(posix.join(directory.path, d.name), absolute, entryStats) };
        }),
      );
      for (const item of described) {
        if (!item) continue; // gone between readdir and lstat
        if (item.d.ignored) item.stat.ignored = true;
        entries.push(item.stat);
        if (item.entryStats.isDirectory() && depth < params.depth) {
          next.push({ absolute: item.absolute, path: item.stat.path, gitPath: posix.join(directory.gitPath, item.d.name), ignored: item.d.ignored });
        }
      }
      if (truncated) break;
    }
    level = next;
  }
  return { entries, truncated };
}
