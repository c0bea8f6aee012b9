// Where worktrees live and what their branches are called.
import { join, relative, resolve, sep } from 'node:path';
import { OrchdError } from '../errors.js';
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
