// fs/stat, fs/mkdir, fs/move, fs/delete: one path each (two for a move), confined by paths.ts. Move and delete act on
// a symlink itself, never on what it points to.
import { lstat, mkdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FileStat, FsDeleteParams, FsMkdirParams, FsMoveParams } from '../../protocol/fs.js';
import type { Engine } from '../engine.js';
import { OrchdError, shown } from '../errors.js';
import { fileLockKey, resolvePath, type ResolvedPath } from './paths.js';
import { openWorktree, treeChanged } from './worktree.js';
import { errnoOf, fsFailure, lstatOrNull, statEntry, toFileStat, typeOf } from './stat.js';

type PathParams = { workspaceId: string; repository?: string | undefined; path: string };

/** Refuse the worktree root itself where only something inside it makes sense. */
function refuseRoot(resolved: ResolvedPath, field: string, path: string, what: string): void {
  if (resolved.relative === '') throw OrchdError.invalidParams(field, `Expected \`${field}\` to name something inside the worktree to ${what}, got ${shown(path)}, the worktree itself`, { path });
}

/** The parent directory of an entry must exist and be a directory. */
async function assertParentDirectory(resolved: ResolvedPath, field: string): Promise<void> {
  const parentPath = posix.dirname(resolved.relative) === '.' ? '' : posix.dirname(resolved.relative);
  const stats = await lstatOrNull(posix.dirname(resolved.entry));
  if (!stats) throw OrchdError.pathNotFound(field, parentPath);
  if (!stats.isDirectory()) throw OrchdError.notADirectory(field, parentPath, 'directory', typeOf(stats));
}

/** Type, size, mtime and mode of one path (fs/stat); a symlink is described, not followed. */
export async function statWorktreePath(engine: Engine, params: PathParams): Promise<FileStat> {
  const worktree = await openWorktree(engine, params.workspaceId, params.repository, 'read');
  const resolved = await resolvePath(worktree.root, params.path, 'path', { follow: false });
  return statEntry(resolved.relative, resolved.entry, 'path');
}

/** Create a directory (fs/mkdir): with `recursive`, its missing parents too, and an existing directory is fine. */
export async function makeWorktreeDirectory(engine: Engine, params: FsMkdirParams): Promise<FileStat> {
  const worktree = await openWorktree(engine, params.workspaceId, params.repository, 'write');
  const resolved = await resolvePath(worktree.root, params.path, 'path', { follow: false });
  const existing = await lstatOrNull(resolved.entry);
  if (existing) {
    if (!existing.isDirectory()) throw OrchdError.notADirectory('path', params.path, 'directory', typeOf(existing));
    if (!params.recursive) throw OrchdError.alreadyExists('directory', 'path', params.path);
    return toFileStat(resolved.relative, resolved.entry, existing);
  }
  if (!params.recursive) await assertParentDirectory(resolved, 'path');
  try {
    await mkdir(resolved.entry, { recursive: params.recursive });
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'EEXIST' && !params.recursive) throw OrchdError.alreadyExists('directory', 'path', params.path);
    if (code === 'ENOTDIR' || code === 'EEXIST') throw OrchdError.notADirectory('path', params.path, 'directory', 'file');
    throw fsFailure(error, 'path', params.path);
  }
  return statEntry(resolved.relative, resolved.entry, 'path');
}

/** Run `work` holding the per-path locks of both ends, taken in a fixed order so two crossing moves cannot deadlock. */
function withBothLocks<T>(engine: Engine, a: string, b: string, work: () => Promise<T>): Promise<T> {
  const [first, second] = [fileLockKey(a), fileLockKey(b)].sort();
  if (first === second) return engine.locks.run(first!, work);
  return engine.locks.run(first!, () => engine.locks.run(second!, work));
}

/** Rename a file, directory or symlink inside one worktree (fs/move). */
export async function moveWorktreePath(engine: Engine, params: FsMoveParams): Promise<FileStat> {
  const worktree = await openWorktree(engine, params.workspaceId, params.repository, 'write');
  const from = await resolvePath(worktree.root, params.from, 'from', { follow: false });
  const to = await resolvePath(worktree.root, params.to, 'to', { follow: false });
  refuseRoot(from, 'from', params.from, 'move');
  refuseRoot(to, 'to', params.to, 'move onto');
  if (to.entry.startsWith(`${from.entry}/`)) {
    throw OrchdError.invalidParams('to', `Expected \`to\` to be outside \`from\` ${shown(params.from)}, got ${shown(params.to)}, inside it`, { from: params.from, to: params.to });
  }
  return withBothLocks(engine, from.entry, to.entry, async () => {
    const source = await lstatOrNull(from.entry);
    if (!source) throw OrchdError.pathNotFound('from', params.from);
    if (from.entry === to.entry) return toFileStat(to.relative, to.entry, source);
    await assertParentDirectory(to, 'to');
    const target = await lstatOrNull(to.entry);
    if (target && !params.overwrite) throw OrchdError.alreadyExists(typeOf(target), 'to', params.to);
    try {
      await rename(from.entry, to.entry);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'EISDIR') throw OrchdError.notADirectory('to', params.to, 'file', 'directory');
      if (code === 'ENOTDIR') throw OrchdError.notADirectory('to', params.to, 'directory', target ? typeOf(target) : 'file');
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw OrchdError.invalidState(`Expected \`to\` ${shown(params.to)} to be an empty directory to replace, got one with entries`, { to: params.to });
      }
      throw fsFailure(error, 'from', params.from);
    }
    treeChanged(engine, worktree);
    return toFileStat(to.relative, to.entry, await lstat(to.entry));
  });
}

/** Delete a file, a symlink (the link only) or a directory (fs/delete; `recursive` for one with entries). */
export async function deleteWorktreePath(engine: Engine, params: FsDeleteParams): Promise<void> {
  const worktree = await openWorktree(engine, params.workspaceId, params.repository, 'write');
  const resolved = await resolvePath(worktree.root, params.path, 'path', { follow: false });
  refuseRoot(resolved, 'path', params.path, 'delete');
  await engine.locks.run(fileLockKey(resolved.entry), async () => {
    const stats = await lstatOrNull(resolved.entry);
    if (!stats) throw OrchdError.pathNotFound('path', params.path);
    try {
      if (!stats.isDirectory()) await unlink(resolved.entry);
      else if (params.recursive) await rm(resolved.entry, { recursive: true });
      else await rmdir(resolved.entry);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw OrchdError.invalidState(`Expected \`path\` ${shown(params.path)} to be an empty directory, got one with entries; pass \`recursive: true\``, { path: params.path });
      }
      throw fsFailure(error, 'path', params.path);
    }
    treeChanged(engine, worktree);
  });
}
