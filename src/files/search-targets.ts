// Which worktrees a search covers: every worktree of the workspace, or the one `repository` names.
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { getWorkspace } from '../workspaces/service.js';

export interface SearchRoot {
  readonly repositoryId: string;
  /** The worktree's absolute path, as the workspace records it. */
  readonly path: string;
}

/** The worktrees of `workspaceId` to search, in the workspace's order; notFound for an unknown workspace or repository. */
export async function searchRoots(engine: Engine, workspaceId: string, repository?: string): Promise<SearchRoot[]> {
  const workspace = await getWorkspace(engine, workspaceId);
  const roots = workspace.repositories.map((r) => ({ repositoryId: r.repositoryId, path: r.path }));
  if (repository === undefined) return roots;
  const one = roots.find((r) => r.repositoryId === repository);
  if (!one) throw OrchdError.notFound('repository', repository, 'repository');
  return [one];
}

/** The error a search stopped by its signal fails with (the dispatcher answers a cancelled request with `cancelled` too). */
export function searchCancelled(method: string): OrchdError {
  return new OrchdError('cancelled', `Expected \`${method}\` to run to completion, got \`cancelled\``, { method });
}
