// Rows <-> Workspace entities.
import type { Kysely } from 'kysely';
import type { Workspace, WorkspaceState } from '../../protocol/workspace.js';
import type { Database, WorkspaceRepositoriesTable, WorkspacesTable } from '../store/schema.js';

function workspaceFromRows(row: WorkspacesTable, repositories: readonly WorkspaceRepositoriesTable[]): Workspace {
  return {
    id: row.id,
    projectId: row.project_id,
    taskId: row.task_id,
    state: row.state as WorkspaceState,
    path: row.path,
    branch: row.branch,
    repositories: repositories
      .slice()
      .sort((a, b) => a.position - b.position)
      .map((r) => ({ repositoryId: r.repository_id, name: r.name, path: r.path, sourcePath: r.source_path, branch: r.branch, baseBranch: r.base_branch, baseOid: r.base_oid })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    mergedAt: row.merged_at,
    archivedAt: row.archived_at,
  };
}

/** One workspace, or undefined. */
export async function loadWorkspace(db: Kysely<Database>, workspaceId: string): Promise<Workspace | undefined> {
  const row = await db.selectFrom('workspaces').selectAll().where('id', '=', workspaceId).executeTakeFirst();
  if (!row) return undefined;
  const repositories = await db.selectFrom('workspace_repositories').selectAll().where('workspace_id', '=', workspaceId).execute();
  return workspaceFromRows(row, repositories);
}

/** Workspaces matching the filter, oldest first. */
export async function loadWorkspaces(db: Kysely<Database>, filter: { projectId?: string | undefined; taskId?: string | undefined; states?: readonly string[] | undefined } = {}): Promise<Workspace[]> {
  let query = db.selectFrom('workspaces').selectAll();
  if (filter.projectId) query = query.where('project_id', '=', filter.projectId);
  if (filter.taskId) query = query.where('task_id', '=', filter.taskId);
  if (filter.states?.length) query = query.where('state', 'in', [...filter.states]);
  const rows = await query.orderBy('created_at').orderBy('id').execute();
  if (!rows.length) return [];
  const repositories = await db
    .selectFrom('workspace_repositories')
    .selectAll()
    .where(
      'workspace_id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  return rows.map((row) =>
    workspaceFromRows(
      row,
      repositories.filter((r) => r.workspace_id === row.id),
    ),
  );
}

/** Insert a workspace and its repositories. */
export async function insertWorkspace(db: Kysely<Database>, workspace: Workspace): Promise<void> {
  await db
    .insertInto('workspaces')
    .values({
      id: workspace.id,
      project_id: workspace.projectId,
      task_id: workspace.taskId,
      state: workspace.state,
      path: workspace.path,
      branch: workspace.branch,
      created_at: workspace.createdAt,
      updated_at: workspace.updatedAt,
      merged_at: workspace.mergedAt,
      archived_at: workspace.archivedAt,
    })
    .execute();
  await db
    .insertInto('workspace_repositories')
    .values(
      workspace.repositories.map((r, position) => ({
        workspace_id: workspace.id,
        repository_id: r.repositoryId,
        name: r.name,
        path: r.path,
        source_path: r.sourcePath,
        branch: r.branch,
        base_branch: r.baseBranch,
        base_oid: r.baseOid,
        position,
      })),
    )
    .execute();
}

/** Write the workspace's mutable columns and its repositories' base. */
export async function saveWorkspace(db: Kysely<Database>, workspace: Workspace): Promise<void> {
  await db
    .updateTable('workspaces')
    .set({ state: workspace.state, updated_at: workspace.updatedAt, merged_at: workspace.mergedAt, archived_at: workspace.archivedAt })
    .where('id', '=', workspace.id)
    .execute();
  for (const r of workspace.repositories) {
    await db
      .updateTable('workspace_repositories')
      .set({ base_branch: r.baseBranch, base_oid: r.baseOid })
      .where('workspace_id', '=', workspace.id)
      .where('repository_id', '=', r.repositoryId)
      .execute();
  }
}
