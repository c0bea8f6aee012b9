// Copy the project's configured files (typically ignored ones such as `.env`) from the main checkout into a new
// worktree. Patterns are repository-relative paths or globs. Nothing outside the repository is ever read and nothing
// outside the worktree is ever written:
// - a source is read only when its real path (every symbolic link in its parents resolved) stays in the repository;
// - a destination's parent directories must be real directories of the worktree: missing ones are created, a symbolic
//   link or a file in the way is refused, so no write ever goes through a link;
// - a symbolic link is copied as a link, and only when its target is relative and stays inside both the repository and
//   the worktree; any other link is refused (a link out of the repository is never followed nor recreated), unless the
//   worktree already holds the identical link (a committed one), which is left alone;
// - globs never descend into symbolically linked directories, `.git`, or (unless the pattern names it) `node_modules`.
// Refusals are `pathOutsideWorkspace` errors naming `copyFiles[i]`; paths that do not exist are skipped.
import { constants, type Stats } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readlink, realpath, symlink, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { OrchdError, shown } from '../errors.js';
import { globToRegExp, isGlob } from '../util/glob.js';

const SKIPPED_DIRECTORIES = new Set(['.git']);

/** The pattern as a normalised repository-relative path; refuses absolute paths, `..`, `.git` and the repository itself. */
export function checkCopyFilePattern(pattern: string, field: string): string {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  const escapes = pattern.includes('\0') || pattern.includes('\\') || isAbsolute(pattern) || segments.length === 0;
  if (escapes || segments.some((s) => s === '..' || s.toLowerCase() === '.git')) {
    throw new OrchdError('pathOutsideWorkspace', `Expected \`${field}\` to be a path or glob inside the repository (not absolute, no \`..\`, not \`.git\`), got ${shown(pattern)}`, {
      field,
      path: pattern,
    });
  }
  return segments.join('/');
}

interface CopyContext {
  /** Real path of the main checkout (the repository top level). */
  source: string;
  /** Real path of the new worktree. */
  target: string;
  field: string;
  pattern: string;
}

/** Copy every file or directory the patterns name; returns the repository-relative paths copied. */
export async function copyConfiguredFiles(sourceRoot: string, worktreeRoot: string, patterns: readonly string[]): Promise<string[]> {
  const source = await realpath(sourceRoot);
  const target = await realpath(worktreeRoot);
  const copied: string[] = [];
  for (const [index, pattern] of patterns.entries()) {
    const field = `copyFiles[${index}]`;
    const rel = checkCopyFilePattern(pattern, field);
    const matches = isGlob(rel) ? await globMatches(source, rel) : [rel];
    for (const match of matches) {
      if (await copyPath({ source, target, field, pattern }, match)) copied.push(match);
    }
  }
  return copied;
}

async function globMatches(root: string, pattern: string): Promise<string[]> {
  const regex = globToRegExp(pattern);
  // Only descend into node_modules when the pattern asks for it: it is large and rarely wanted.
  const intoNodeModules = pattern.includes('node_modules');
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      // A Dirent describes the entry itself (lstat), so a symbolic link to a directory is matched as a link, never walked.
      if (entry.isDirectory()) {
        if (SKIPPED_DIRECTORIES.has(entry.name) || (entry.name === 'node_modules' && !intoNodeModules)) continue;
        await walk(rel);
      } else if (regex.test(rel)) found.push(rel);
    }
  };
  await walk('');
  return found.sort();
}

/** Copy one repository-relative path; false when it does not exist in the main checkout. */
async function copyPath(ctx: CopyContext, rel: string): Promise<boolean> {
  const segments = rel.split('/');
  const leaf = segments.pop()!;
  const sourceParent = await realpath(join(ctx.source, ...segments)).catch(() => null);
  if (sourceParent === null) return false;
  if (!isInside(ctx.source, sourceParent, { allowRoot: true })) throw readEscape(ctx, segments.join('/'), sourceParent);
  const from = join(sourceParent, leaf);
  const stats = await lstat(from).catch(() => null);
  if (!stats) return false;
  const destinationParent = await realDirectory(ctx, segments);
  return copyEntry(ctx, from, join(destinationParent, leaf), rel, stats);
}

/** The worktree directory `segments` names, created where missing; refuses a symbolic link or a non-directory on the way. */
async function realDirectory(ctx: CopyContext, segments: readonly string[]): Promise<string> {
  let dir = ctx.target;
  for (const [index, segment] of segments.entries()) {
    dir = join(dir, segment);
    await ensureDirectory(ctx, dir, segments.slice(0, index + 1).join('/'));
  }
  return dir;
}

async function ensureDirectory(ctx: CopyContext, dir: string, rel: string): Promise<void> {
  let stats = await lstat(dir).catch(() => null);
  if (!stats) {
    // mkdir never follows a link in its last component: if one appeared meanwhile it fails with EEXIST and is checked below.
    await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    stats = await lstat(dir);
  }
  if (stats.isSymbolicLink()) throw writeThroughLink(ctx, rel);
  if (!stats.isDirectory()) throw notADirectory(ctx, rel);
}

async function copyEntry(ctx: CopyContext, from: string, to: string, rel: string, stats: Stats): Promise<boolean> {
  if (stats.isSymbolicLink()) {
    await copyLink(ctx, from, to, rel);
    return true;
  }
  if (stats.isDirectory()) {
    await ensureDirectory(ctx, to, rel);
    for (const entry of await readdir(from, { withFileTypes: true })) {
      const child = join(from, entry.name);
      const childStats = await lstat(child).catch(() => null);
      if (childStats) await copyEntry(ctx, child, join(to, entry.name), `${rel}/${entry.name}`, childStats);
    }
    return true;
  }
  if (!stats.isFile()) return false; // sockets, fifos, devices: nothing to copy
  await clearLeaf(ctx, to, rel);
  // COPYFILE_EXCL creates the file with O_EXCL, which refuses (rather than follows) a link put there meanwhile.
  await copyFile(from, to, constants.COPYFILE_EXCL);
  return true;
}

/** Recreate a link whose target is relative and stays inside the repository (and so inside the worktree); refuse any other. */
async function copyLink(ctx: CopyContext, from: string, to: string, rel: string): Promise<void> {
  const linkTarget = await readlink(from);
  // The same link already there (git checked it out): nothing to write, whatever it points at.
  const existing = await readlink(to).catch(() => null);
  if (existing === linkTarget) return;
  const inRepository = resolve(dirname(from), linkTarget);
  const inWorktree = resolve(dirname(to), linkTarget);
  const realTarget = await realpath(from).catch(() => null); // null: dangling or a loop, nothing is read through it
  const stays =
    !isAbsolute(linkTarget) &&
    isInside(ctx.source, inRepository) &&
    isInside(ctx.target, inWorktree) &&
    (realTarget === null || isInside(ctx.source, realTarget));
  if (!stays) throw linkEscape(ctx, rel, linkTarget);
  await clearLeaf(ctx, to, rel);
  await symlink(linkTarget, to);
}

/** Remove a file or link at a destination leaf (unlink never follows a link); refuse to replace a directory. */
async function clearLeaf(ctx: CopyContext, to: string, rel: string): Promise<void> {
  const existing = await lstat(to).catch(() => null);
  if (!existing) return;
  if (existing.isDirectory()) throw notADirectory(ctx, rel, 'a directory');
  await unlink(to);
}

/** True when `path` is strictly inside `root` (or is `root` with allowRoot) and not inside its `.git`. */
function isInside(root: string, path: string, options: { allowRoot?: boolean } = {}): boolean {
  const rel = relative(root, path);
  if (rel === '') return options.allowRoot === true;
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) return false;
  return rel.split(sep)[0]!.toLowerCase() !== '.git';
}

function readEscape(ctx: CopyContext, rel: string, resolved: string): OrchdError {
  return new OrchdError(
    'pathOutsideWorkspace',
    `Expected \`${ctx.field}\` to stay inside the repository ${shown(ctx.source)}, got ${shown(ctx.pattern)}, whose \`${rel}\` resolves to ${shown(resolved)}`,
    { field: ctx.field, path: ctx.pattern, entry: rel, resolved, root: ctx.source },
  );
}

function linkEscape(ctx: CopyContext, rel: string, linkTarget: string): OrchdError {
  return new OrchdError(
    'pathOutsideWorkspace',
    `Expected \`${ctx.field}\` to copy only relative links that stay inside the repository ${shown(ctx.source)}, got ${shown(ctx.pattern)}, whose \`${rel}\` links to ${shown(linkTarget)}`,
    { field: ctx.field, path: ctx.pattern, entry: rel, linkTarget, root: ctx.source },
  );
}

function writeThroughLink(ctx: CopyContext, rel: string): OrchdError {
  return new OrchdError(
    'pathOutsideWorkspace',
    `Expected \`${ctx.field}\` to be written into real directories of the worktree ${shown(ctx.target)}, got ${shown(ctx.pattern)}, whose \`${rel}\` is a symbolic link there`,
    { field: ctx.field, path: ctx.pattern, entry: rel, root: ctx.target },
  );
}

function notADirectory(ctx: CopyContext, rel: string, what = 'not a directory'): OrchdError {
  return OrchdError.invalidState(`Expected \`${ctx.field}\` to fit the worktree ${shown(ctx.target)}, got ${shown(ctx.pattern)}, whose \`${rel}\` is ${what} there`, {
    field: ctx.field,
    path: ctx.pattern,
    entry: rel,
    root: ctx.target,
  });
}
