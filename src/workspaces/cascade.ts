// Deleting a project or a task deletes its workspaces first, through `workspace/delete`'s own path: sessions and
// processes stopped, worktrees (and with `deleteBranches` branches) removed, one `workspace/deleted` each.
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { assertWorkspaceIdle } from './busy.js';
import { deleteWorkspace, refuseUncommitted } from './service.js';
import { loadWorkspaces } from './store.js';

/**
 * Delete every workspace of a project or task. Unless `force`, all of them are checked before any is touched, so a
 * refusal (a running session, uncommitted changes, a workspace being created or merged) removes nothing.
 */
export async function deleteWorkspacesOf(
  engine: Engine,
  owner: { projectId: string } | { taskId: string },
  options: { force: boolean; deleteBranches: boolean; reason: 'taskDeleted' | 'projectDeleted' },
): Promise<void> {
  const workspaces = await loadWorkspaces(engine.store.db, owner);
  for (const workspace of workspaces) {
    if (workspace.state === 'creating' || workspace.state === 'merging') {
      throw OrchdError.invalidState(`Expected workspace \`${workspace.id}\` to be \`active\`, \`archived\` or \`cleaning\` to delete it, got \`${workspace.state}\``, {
        workspaceId: workspace.id,
        state: workspace.state,
      });
    }
    if (options.force) continue;
    await assertWorkspaceIdle(engine, workspace.id);
    await refuseUncommitted(workspace);
  }
  for (const workspace of workspaces) {
    await deleteWorkspace(engine, { workspaceId: workspace.id, force: options.force, deleteBranches: options.deleteBranches, reason: options.reason });
  }
}

/** invalidState when a workspace of the project or task appeared while its workspaces were being deleted. */
export function workspaceCreatedMeanwhile(owner: string, ownerId: string, workspaceId: string): OrchdError {
  return OrchdError.invalidState(`Expected ${owner} \`${ownerId}\` to have no workspaces left to delete it, got \`${workspaceId}\`, created meanwhile; delete again`, {
    [`${owner}Id`]: ownerId,
    workspaceId,
  });
}
