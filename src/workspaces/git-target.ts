// Resolve the `workspaceId` / `repositoryId` pair of git/* methods to a directory.
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { getWorkspace } from './service.js';

/** The worktree (with workspaceId) or the project's main checkout (repositoryId alone) to run git in. */
export async function resolveGitTarget(engine: Engine, target: { workspaceId?: string | undefined; repositoryId?: string | undefined }): Promise<string> {
  if (target.workspaceId !== undefined) {
    const workspace = await getWorkspace(engine, target.workspaceId);
    if (target.repositoryId === undefined) {
      if (workspace.repositories.length === 1) return workspace.repositories[0]!.path;
      throw OrchdError.invalidState('Expected `repositoryId` because the workspace has more than one repository, got none', {
        repositoryIds: workspace.repositories.map((r) => r.repositoryId),
      });
    }
    const repository = workspace.repositories.find((r) => r.repositoryId === target.repositoryId);
    if (!repository) throw OrchdError.notFound('repository', target.repositoryId);
    return repository.path;
  }
  if (target.repositoryId === undefined) throw OrchdError.invalidState('Expected `workspaceId` or `repositoryId`, got neither');
  const row = await engine.store.db.selectFrom('repositories').select('path').where('id', '=', target.repositoryId).executeTakeFirst();
  if (!row) throw OrchdError.notFound('repository', target.repositoryId);
  return row.path;
}
