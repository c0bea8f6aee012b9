// Which worktree an fs/* request means: the workspace's repository (default: its first), the real path of its root,
// and whether the workspace may have its files changed now. Paths inside it are confined by paths.ts.
import { realpath } from 'node:fs/promises';
import type { Workspace, WorkspaceRepository } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { assertWorkspaceOpen } from '../workspaces/busy.js';
import { getWorkspace } from '../workspaces/service.js';
import { resolvePath, type ResolvedPath, type ResolveOptions } from './paths.js';

/** A worktree of a workspace, by the real path of its root. */
export interface Worktree {
  readonly workspace: Workspace;
  readonly repositoryId: string;
  /** Real path of the worktree root (no symlinks). */
  readonly root: string;
  /** The worktree path as the workspace records it (the key of engine.fileLists). */
  readonly recorded: string;
}

/**
 * The worktree `repository` names (default: the workspace's first). With `access: 'write'`, refuses workspaces that are
 * not `active` or `merging` or that an operation (merge, rebase, delete, ...) holds.
 */
export async function openWorktree(engine: Engine, workspaceId: string, repository: string | undefined, access: 'read' | 'write'): Promise<Worktree> {
  const workspace = await getWorkspace(engine, workspaceId);
  if (access === 'write') assertWorkspaceOpen(engine, workspace, 'change its files', ['active', 'merging']);
  const chosen = chooseRepository(workspace, repository);
  return { workspace, repositoryId: chosen.repositoryId, root: await worktreeRoot(chosen), recorded: chosen.path };
}

/** After a change of the worktree's files: fs/findFiles lists them again instead of waiting out its cache. */
export function treeChanged(engine: Engine, worktree: Worktree): void {
  engine.fileLists.invalidate(worktree.recorded);
}

/** The repository `repository` names, or the workspace's first. */
export function chooseRepository(workspace: Workspace, repository: string | undefined): WorkspaceRepository {
  const chosen = repository === undefined ? workspace.repositories[0] : workspace.repositories.find((r) => r.repositoryId === repository);
  if (chosen) return chosen;
  if (repository !== undefined) throw OrchdError.notFound('repository', repository, 'repository');
  throw OrchdError.invalidState(`Expected workspace \`${workspace.id}\` to have a worktree, got none`, { workspaceId: workspace.id });
}

/** The real path of a repository's worktree; pathNotFound when it is gone (an archived workspace). */
export async function worktreeRoot(repository: Pick<WorkspaceRepository, 'path'>): Promise<string> {
  try {
    return await realpath(repository.path);
  } catch {
    throw OrchdError.pathNotFound('repository', repository.path);
  }
}

/** A workspace path as a confined real path: the worktree it is in, then the path inside it (fs/* requests). */
export async function resolveWorkspacePath(
  engine: Engine,
  target: { workspaceId: string; repository?: string | undefined; path: string },
  field: string,
  options: ResolveOptions & { access: 'read' | 'write' },
): Promise<{ worktree: Worktree; resolved: ResolvedPath }> {
  const worktree = await openWorktree(engine, target.workspaceId, target.repository, options.access);
  return { worktree, resolved: await resolvePath(worktree.root, target.path, field, options) };
}
