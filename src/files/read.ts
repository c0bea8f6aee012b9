// fs/read: a file's bytes (whole, or a range), the SHA-256 of the whole file (what a later conflict-safe fs/write
// compares), and whether git would call it binary.
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { FsReadParams, FsReadResult } from '../../protocol/fs.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { resolvePath } from './paths.js';
import { openWorktree } from './worktree.js';
import { errnoOf, fsFailure, typeOf } from './stat.js';

/** Files up to this size are read whole; larger ones need a `range`. */
export const WHOLE_READ_LIMIT = 16 * 1024 * 1024;
/** git calls a file binary when a NUL byte is in its first 8000 bytes (xdiff's `buffer_is_binary`). */
const BINARY_PROBE_BYTES = 8000;
const HASH_CHUNK = 1024 * 1024;

/** SHA-256 of bytes, lowercase hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True when git would call these leading bytes binary. */
export function looksBinary(head: Uint8Array): boolean {
  return head.subarray(0, BINARY_PROBE_BYTES).includes(0);
}

/**
 * Open a regular file for reading, or throw the fs/* error for what is there. The path is fully resolved, so O_NOFOLLOW
 * refuses a symlink swapped in since; O_NONBLOCK keeps a FIFO from blocking the open (it is refused right after).
 */
export async function openRegularFile(real: string, field: string, path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw OrchdError.pathNotFound(field, path);
    if (code === 'ELOOP') throw new OrchdError('pathOutsideWorkspace', `Expected \`${field}\` not to be replaced by a symlink while it was read, got ${path}`, { field, path, reason: 'symlink' });
    throw fsFailure(error, field, path);
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw OrchdError.notADirectory(field, path, 'file', typeOf(stats));
  }
  return handle;
}

/** `length` bytes at `position` (fewer at the end of the file). */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** SHA-256 of the whole file behind an open handle, read in chunks (never the whole file in memory). */
export async function hashOpenFile(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(HASH_CHUNK);
  for (let position = 0; ; ) {
    const { bytesRead } = await handle.read(chunk, 0, HASH_CHUNK, position);
    if (bytesRead === 0) break;
    hash.update(chunk.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest('hex');
}

/**
 * Hashes of large files by identity and change time, so paging through a big log with ranges hashes it once. Only
 * files over WHOLE_READ_LIMIT use it; fs/write always hashes afresh, so a stale entry can at worst cause a spurious
 * `conflict`, never a lost edit.
 */
const largeFileHashes = new Map<string, { stamp: string; hash: string }>();
const LARGE_FILE_HASHES = 32;

async function hashLargeFile(handle: FileHandle): Promise<string> {
  const s = await handle.stat({ bigint: true });
  const key = `${s.dev}:${s.ino}`;
  const stamp = `${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  const known = largeFileHashes.get(key);
  if (known?.stamp === stamp) return known.hash;
  const hash = await hashOpenFile(handle);
  largeFileHashes.delete(key);
  largeFileHashes.set(key, { stamp, hash });
  if (largeFileHashes.size > LARGE_FILE_HASHES) largeFileHashes.delete(largeFileHashes.keys().next().value!);
  return hash;
}

/** Read a file of a worktree (fs/read). */
export async function readWorktreeFile(engine: Engine, params: FsReadParams): Promise<FsReadResult> {
  const worktree = await openWorktree(engine, params.workspaceId, params.repository, 'read');
  const resolved = await resolvePath(worktree.root, params.path, 'path', { follow: true });
  const handle = await openRegularFile(resolved.real!, 'path', params.path);
  try {
    const stats = await handle.stat();
    const size = stats.size;
    let bytes: Buffer;
    let head: Buffer;
    let hash: string;
    let range: { offset: number; length: number } | undefined;
    if (params.range) {
      const offset = Math.min(params.range.offset, size);
      bytes = await readAt(handle, offset, Math.min(params.range.length, size - offset));
      head = offset === 0 && bytes.length >= Math.min(size, BINARY_PROBE_BYTES) ? bytes : await readAt(handle, 0, Math.min(size, BINARY_PROBE_BYTES));
      hash = size > WHOLE_READ_LIMIT ? await hashLargeFile(handle) : await hashOpenFile(handle);
      range = { offset, length: bytes.length };
    } else {
      if (size > WHOLE_READ_LIMIT) throw OrchdError.fileTooLarge('path', params.path, size, WHOLE_READ_LIMIT);
      // The hash is of exactly the bytes returned, even when the file changes while it is read.
      bytes = await readAt(handle, 0, size);
      head = bytes;
      hash = sha256(bytes);
    }
    const binary = looksBinary(head);
    // UTF-8 only when it round-trips: text in another encoding (or a range cut inside a character) comes back as base64,
    // so writing back what was read never replaces bytes with U+FFFD.
    const asText = params.encoding === 'utf8' && !binary && isUtf8(bytes);
    return {
      path: resolved.relative,
      content: bytes.toString(asText ? 'utf8' : 'base64'),
      encoding: asText ? 'utf8' : 'base64',
      binary,
      size: params.range ? size : bytes.length,
      mtime: stats.mtime.toISOString(),
      hash,
      ...(range ? { range } : {}),
    };
  } finally {
    await handle.close();
  }
}
