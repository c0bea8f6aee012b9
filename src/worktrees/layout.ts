// Where worktrees live and what their branches are called.
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { OrchdError, shown } from '../errors.js';
import { shortId } from '../util/ids.js';
import { slugify } from '../util/slug.js';

/** The directory holding every workspace. */
export function worktreesRoot(dataDir: string): string {
  return join(dataDir, 'worktrees');
}

/** `<dataDir>/worktrees/<short-id>-<slug>` for a workspace. */
export function workspaceDir(dataDir: string, workspaceId: string, title: string): string {
  return join(worktreesRoot(dataDir), `${shortId(workspaceId)}-${slugify(title)}`);
}

/** True for a name that is one plain directory entry: no separator, not empty, not starting with `.` (`.`, `..`, `.git`) or `-`. */
export function isPlainDirectoryName(name: string): boolean {
  return name.length > 0 && !/[/\\\0]/.test(name) && !name.startsWith('.') && !name.startsWith('-');
}

/**
 * `<workspace>/<repository-name>`: the one place a repository's worktree path is computed. Refuses a name (say a row
 * stored before names were checked) whose path would not be a strict child of the workspace directory.
 */
export function repositoryWorktreePath(workspacePath: string, repositoryName: string, field = 'repository.name'): string {
  const workspace = resolve(workspacePath);
  const path = resolve(workspace, repositoryName);
  if (!isPlainDirectoryName(repositoryName) || dirname(path) !== workspace || basename(path) !== repositoryName) {
    throw new OrchdError('pathOutsideWorkspace', `Expected \`${field}\` to be one plain directory name inside the workspace ${shown(workspace)}, got ${shown(repositoryName)}`, {
      field,
      path: repositoryName,
      root: workspace,
    });
  }
  return path;
}

/**
 * Refuse a worktree path that is not `<dataDir>/worktrees/<workspace>/<name>`: git and rm must never act on anything
 * else. With `plainName` (creating), the name must also be a plain directory name (no leading `.` or `-`).
 */
export function assertWorktreePath(dataDir: string, worktreePath: string, options: { field?: string; plainName?: boolean } = {}): string {
  const field = options.field ?? 'worktreePath';
  const root = resolve(worktreesRoot(dataDir));
  const path = assertInsideWorktrees(dataDir, worktreePath, field);
  const workspace = dirname(path);
  const plain = !options.plainName || (isPlainDirectoryName(basename(workspace)) && isPlainDirectoryName(basename(path)));
  if (dirname(workspace) !== root || !plain) {
    throw new OrchdError('pathOutsideWorkspace', `Expected \`${field}\` to be a repository directory inside a workspace of ${shown(root)}, got ${shown(worktreePath)}`, {
      field,
      path: worktreePath,
      root,
    });
  }
  return path;
}

/** `<prefix>/<short-id>-<slug>`. */
export function workspaceBranch(prefix: string, workspaceId: string, title: string): string {
  return `${prefix}/${shortId(workspaceId)}-${slugify(title)}`;
}

/** Refuse any path that is not strictly inside the worktrees root: removal must never reach a main checkout. */
export function assertInsideWorktrees(dataDir: string, path: string, field = 'path'): string {
  const root = resolve(worktreesRoot(dataDir));
  const target = resolve(path);
  const rel = relative(root, target);
  if (!rel || rel.startsWith('..') || rel.startsWith(sep) || resolve(root, rel) !== target) throw OrchdError.pathOutsideWorkspace(field, path, root);
  return target;
}
