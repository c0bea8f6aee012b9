// fs/write: replace a file atomically (a temporary file beside it, fsync, rename), keeping its mode, and optionally
// only if it still has the hash the writer last read (compare-and-swap), so an agent's edit and a person's save never
// silently overwrite each other.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FileStat, FsWriteParams } from '../../protocol/fs.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { fileLockKey, resolvePath, tempFileName, type ResolvedPath } from './paths.js';
import { openWorktree, treeChanged } from './worktree.js';
import { hashOpenFile, openRegularFile, sha256 } from './read.js';
import { errnoOf, fsFailure, lstatOrNull, toFileStat, typeOf } from './stat.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes `content` stands for; invalidParams for base64 that is not. */
export function decodeContent(content: string, encoding: 'utf8' | 'base64'): Buffer {
  if (encoding === 'utf8') return Buffer.from(content, 'utf8');
  // Buffer.from skips characters it does not know; a typo must not write a shorter file.
  if (content.length % 4 !== 0 || !BASE64.test(content)) {
    throw OrchdError.invalidParams('content', `Expected \`content\` to be base64 (A-Z, a-z, 0-9, +, /, padded with =), got ${content.length} characters that are not`);
  }
  return Buffer.from(content, 'base64');
}

/** Make sure the parent directory exists (creating it when asked) and is a directory. */
async function ensureParent(resolved: ResolvedPath, createParents: boolean): Promise<void> {
  const parent = posix.dirname(resolved.entry);
  const parentPath = posix.dirname(resolved.relative);
  const stats = await lstatOrNull(parent);
  if (stats?.isDirectory()) return;
  if (stats) throw OrchdError.notADirectory('path', parentPath, 'directory', typeOf(stats));
  if (!createParents) throw OrchdError.pathNotFound('path', parentPath);
  try {
    await mkdir(parent, { recursive: true });
  } catch (error) {
    if (errnoOf(error) === 'ENOTDIR' || errnoOf(error) === 'EEXIST') throw OrchdError.notADirectory('path', parentPath, 'directory', 'file');
    throw fsFailure(error, 'path', parentPath);
  }
}

/**
 * Write `bytes` to `entry` by rename: a reader sees the old file or the new one, never a half-written one. The
 * temporary file is created exclusively (O_EXCL never follows a symlink) and only its owner can read it until it has
 * the old file's mode; a new file gets 0666 minus the umask, as any editor's would.
 */
async function replaceAtomically(entry: string, bytes: Uint8Array, mode: number | null): Promise<void> {
  const temp = posix.join(posix.dirname(entry), tempFileName(posix.basename(entry), randomBytes(6).toString('hex')));
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode === null ? 0o666 : 0o600);
  try {
    try {
      await handle.writeFile(bytes);
      if (mode !== null) await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, entry);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** SHA-256 of the file at `entry`, or null when there is none. */
async function currentHash(entry: string, path: string): Promise<string | null> {
  let handle;
  try {
    handle = await openRegularFile(entry, 'path', path);
  } catch (error) {
    if (error instanceof OrchdError && error.kind === 'pathNotFound') return null;
    throw error;
  }
  try {
    return await hashOpenFile(handle);
  } finally {
    await handle.close();
  }
}

/** Write a file of a worktree (fs/write). */
export async function writeWorktreeFile(engine: Engine, params: FsWriteParams): Promise<{ stat: FileStat; hash: string }> {
  const worktree = await openWorktree(engine, params.workspaceId, params.repository, 'write');
  const bytes = decodeContent(params.content, params.encoding);
  // Following the final component: a symlink that leads outside is refused as an escape; one that stays inside is
  // refused below all the same, since the write would go through it.
  const resolved = await resolvePath(worktree.root, params.path, 'path', { follow: true });
  if (resolved.relative === '') throw OrchdError.notADirectory('path', params.path, 'file', 'directory');
  await ensureParent(resolved, params.createParents);
  return engine.locks.run(fileLockKey(resolved.entry), async () => {
    const existing = await lstatOrNull(resolved.entry);
    // A symlink is never written through, and a directory or a FIFO is not a file.
    if (existing && !existing.isFile()) throw OrchdError.notADirectory('path', params.path, 'file', typeOf(existing));
    if (params.expectedHash !== undefined) {
      const current = existing ? await currentHash(resolved.entry, params.path) : null;
      if (current !== params.expectedHash) throw OrchdError.conflict('path', params.path, params.expectedHash, current);
    }
    try {
      await replaceAtomically(resolved.entry, bytes, existing ? existing.mode & 0o7777 : null);
    } catch (error) {
      throw fsFailure(error, 'path', params.path);
    }
    if (!existing) treeChanged(engine, worktree);
    const stats = await lstat(resolved.entry);
    return { stat: await toFileStat(resolved.relative, resolved.entry, stats), hash: sha256(bytes) };
  });
}
