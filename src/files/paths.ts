// The one place a relative path from a host becomes a real path orchd may touch (worktree.ts finds the worktree). A
// path is relative to one worktree and confined to it by real path: absolute paths, `..` escapes, NUL bytes, anything
// under a `.git` (any case: on a case-insensitive disk `.GIT` is the same directory) and anything a symlink leads
// outside of are refused with `pathOutsideWorkspace` (its `data.reason` says which). Reads of `.git` internals are refused too: a
// host has git/* for that, and one rule for reads and writes leaves nothing to get wrong.
//
// The check is made on the path as it is now; a process that swaps a directory for a symlink between the check and the
// use could still redirect one operation (Node has no openat). Agents run as the same user as orchd, so this guards
// against mistakes and hostile repository content (committed symlinks), not against a racing local attacker.
import { lstat, readlink, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { OrchdError, shown } from '../errors.js';

/** Why a path was refused, as `data.reason` of the `pathOutsideWorkspace` error. */
export type RefusalReason = 'absolute' | 'escape' | 'nul' | 'gitDir' | 'symlink';

/** Symlinks followed while resolving one path before giving up (Linux's own limit). */
const MAX_SYMLINK_HOPS = 40;

/** Temporary files of atomic writes: `.<name>.orchd-<hex>.tmp` beside the file. Listings and watchers skip them. */
const TEMP_FILE = /^\..*\.orchd-[0-9a-f]{12}\.tmp$/;

/** True for the name of a temporary file an `fs/write` in progress holds (never listed, never reported as a change). */
export function isOrchdTempFile(name: string): boolean {
  return TEMP_FILE.test(name);
}

/** The name of a fresh temporary file for writing `name` atomically. */
export function tempFileName(name: string, randomHex: string): string {
  // Cut long names so the temporary one stays within NAME_MAX (255 bytes).
  return `.${name.slice(0, 64)}.orchd-${randomHex}.tmp`;
}

/** The `engine.locks` key of one entry: orchd's writes, moves and deletes of it take it, so a check and its rename are one step. */
export const fileLockKey = (entry: string) => `fs:${entry}`;

/** True when a `/`-separated relative path has a `.git` component (any case). */
export function isGitInternal(relative: string): boolean {
  return relative.split('/').some((part) => part.toLowerCase() === '.git');
}

/** `absolute` relative to `root` (both real paths), `/`-separated; `''` for the root itself; null when outside it. */
export function relativeInside(root: string, absolute: string): string | null {
  if (absolute === root) return '';
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return absolute.startsWith(prefix) ? absolute.slice(prefix.length) : null;
}

/** A confined path. `entry` is the thing itself (a symlink is not followed); `real` is where it leads. */
export interface ResolvedPath {
  /** Real path of the worktree root. */
  readonly root: string;
  /** The path as the host gave it, normalized: `/`-separated, no `.`, no trailing `/`; `''` for the root. */
  readonly relative: string;
  /** Absolute path of the entry itself: the real path of its parent directory + its name (the root for `''`). */
  readonly entry: string;
  /** `entry` with every symlink followed (the missing tail of a path that does not exist yet kept as written); null
   * when a final symlink cannot be resolved (a loop). Equals `entry` unless `entry` is a symlink. */
  readonly real: string | null;
}

export interface ResolveOptions {
  /**
   * Follow a final symlink and require its target inside too (reads, listings, writes of content). Without it only the
   * parent directory must be inside: stat, move and delete act on a symlink itself, never on what it points to.
   */
  readonly follow: boolean;
}

/** Refuse `path` with `pathOutsideWorkspace`, naming why. */
function refuse(field: string, path: string, root: string, reason: RefusalReason, extra: Record<string, unknown> = {}): OrchdError {
  const messages: Record<RefusalReason, string> = {
    absolute: `Expected \`${field}\` to be relative to the worktree ${shown(root)}, got ${shown(path)}`,
    escape: `Expected \`${field}\` to stay inside ${shown(root)}, got ${shown(path)}`,
    nul: `Expected \`${field}\` to hold no NUL byte, got ${shown(path)}`,
    gitDir: `Expected \`${field}\` to stay out of \`.git\`, got ${shown(path)}`,
    symlink: `Expected \`${field}\` to stay inside ${shown(root)}, got ${shown(path)}, which a symlink leads to ${shown(extra.realPath)}`,
  };
  return new OrchdError('pathOutsideWorkspace', messages[reason], { field, path, root, reason, ...extra });
}

/**
 * Normalize a host's relative path, or refuse it: NUL bytes, absolute paths, `..` that climbs above the root, and any
 * `.git` component. `src/../a.txt` is fine (it stays inside); the result never starts with `..` or `/`.
 */
export function normalizeRelative(path: string, field: string, root: string): string {
  if (path.includes('\0')) throw refuse(field, path, root, 'nul');
  if (path.startsWith('/')) throw refuse(field, path, root, 'absolute');
  const normalized = posix.normalize(path === '' ? '.' : path).replace(/\/+$/, '');
  if (normalized === '..' || normalized.startsWith('../')) throw refuse(field, path, root, 'escape');
  const relative = normalized === '.' ? '' : normalized;
  if (isGitInternal(relative)) throw refuse(field, path, root, 'gitDir');
  return relative;
}

/** Confine `path` (relative to the worktree `root`, a real path) or throw `pathOutsideWorkspace`. */
export async function resolvePath(root: string, path: string, field: string, options: ResolveOptions): Promise<ResolvedPath> {
  const relative = normalizeRelative(path, field, root);
  if (relative === '') return { root, relative, entry: root, real: root };
  const parent = await resolveReal(posix.join(root, posix.dirname(relative)), { hops: 0 });
  assertInside(root, parent, field, path);
  const entry = posix.join(parent, posix.basename(relative));
  let real: string | null;
  try {
    real = await resolveReal(entry, { hops: 0 });
  } catch (error) {
    if (!isLoop(error)) throw error;
    if (options.follow) throw OrchdError.pathNotFound(field, path);
    real = null;
  }
  if (options.follow && real !== null) assertInside(root, real, field, path);
  return { root, relative, entry, real };
}

/** Refuse a resolved real path that is outside `root` or inside a `.git`. */
function assertInside(root: string, real: string, field: string, path: string): void {
  const inside = relativeInside(root, real);
  if (inside === null) throw refuse(field, path, root, 'symlink', { realPath: real });
  if (isGitInternal(inside)) throw refuse(field, path, root, 'gitDir', { realPath: real });
}

const isLoop = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code === 'ELOOP' || error instanceof SymlinkLoop;

class SymlinkLoop extends Error {}

/**
 * The real path of `path` with every symlink followed. For a path that does not exist (yet), the real path of its
 * longest existing prefix followed by the rest as written: what a create there would make. A dangling symlink in the
 * prefix is followed too, since creating through it would land where it points.
 */
async function resolveReal(path: string, state: { hops: number }): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
  }
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  let current = '/';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '..') {
      current = posix.dirname(current);
      continue;
    }
    const next = posix.join(current, part);
    let isLink: boolean;
    try {
      isLink = (await lstat(next)).isSymbolicLink();
    } catch {
      // Nothing here (or a file in the way): the rest is what a create would make, as written.
      return posix.join(next, ...parts.slice(i + 1));
    }
    if (!isLink) {
      current = next;
      continue;
    }
    if (++state.hops > MAX_SYMLINK_HOPS) throw new SymlinkLoop(path);
    current = await resolveReal(posix.resolve(current, await readlink(next)), state);
  }
  return current;
}
