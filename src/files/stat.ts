// A path's FileStat as the protocol shows it, and the mapping of filesystem errors to the error kinds of fs/*.
import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import type { FileStat } from '../../protocol/fs.js';
import { OrchdError, shown } from '../errors.js';

/** The protocol's name for what a Stats describes. */
export function typeOf(stats: Stats): FileStat['type'] {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFile()) return 'file';
  return 'other';
}

/** FileStat from an lstat result; a symlink's target is read from the link. */
export async function toFileStat(path: string, absolute: string, stats: Stats): Promise<FileStat> {
  const stat: FileStat = { path, type: typeOf(stats), size: stats.size, mtime: stats.mtime.toISOString(), mode: stats.mode & 0o7777 };
  if (stats.isSymbolicLink()) stat.target = await readlink(absolute).catch(() => '');
  return stat;
}

/** lstat, or null when nothing is there. */
export async function lstatOrNull(absolute: string): Promise<Stats | null> {
  try {
    return await lstat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/** The FileStat of an entry that must exist; pathNotFound otherwise. */
export async function statEntry(path: string, absolute: string, field: string): Promise<FileStat> {
  const stats = await lstatOrNull(absolute);
  if (!stats) throw OrchdError.pathNotFound(field, path);
  return toFileStat(path, absolute, stats);
}

/** The errno code of a filesystem error, if it has one. */
export const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

/** The fs/* error for a filesystem failure on `path` that no narrower check caught; anything else is rethrown. */
export function fsFailure(error: unknown, field: string, path: string): unknown {
  const code = errnoOf(error);
  if (code === 'ENOENT') return OrchdError.pathNotFound(field, path);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC' || code === 'EDQUOT' || code === 'EBUSY') {
    return OrchdError.invalidState(`Expected the filesystem to allow this on \`${field}\` ${shown(path)}, got ${code}`, { field, path, code });
  }
  return error;
}
