// Project operations: create, list, get, update, delete. Every change commits with its event.
import { basename } from 'node:path';
import * as v from 'valibot';
import { ProjectScripts, ProjectSettings, type Project, type ProjectCreateParams, type ProjectUpdateParams, type RepositoryInput } from '../../protocol/project.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { transact } from '../events/unit-of-work.js';
import { newId } from '../util/ids.js';
import { deleteWorkspacesOf, workspaceCreatedMeanwhile } from '../workspaces/cascade.js';
import { loadProject, loadProjectProfiles, loadProjects, projectForProtocol, projectRow, settingsToStore } from './store.js';
import { assertCopyFilePatterns, assertRepositoryName, assertScriptRepositories, assertUniqueRepositoryName, deriveRepositoryName } from './validate.js';

interface ResolvedRepository {
  name: string;
  path: string;
}

/** Resolve each input to its repository top level; refuse missing paths, non-repositories and duplicates. */
async function resolveRepositories(engine: Engine, inputs: readonly RepositoryInput[], existing: readonly ResolvedRepository[], field: string): Promise<ResolvedRepository[]> {
  const resolved: ResolvedRepository[] = [];
  const taken = [...existing];
  for (const [index, input] of inputs.entries()) {
    const path = await engine.repositories.resolveRoot(input.path, `${field}[${index}].path`);
    const name = assertRepositoryName(input.name ?? deriveRepositoryName(basename(path)), `${field}[${index}].name`);
    if (taken.some((r) => r.path === path)) throw OrchdError.alreadyExists('repository', `${field}[${index}].path`, path);
    assertUniqueRepositoryName(taken, name, `${field}[${index}].name`);
    taken.push({ name, path });
    resolved.push({ name, path });
  }
  return resolved;
}

/** Create a project from one or more repositories. */
export async function createProject(engine: Engine, params: ProjectCreateParams): Promise<Project> {
  const repositories = await resolveRepositories(engine, params.repositories, [], 'repositories');
  if (params.scripts) assertScriptRepositories(params.scripts, repositories);
  if (params.copyFiles) assertCopyFilePatterns(params.copyFiles);
  const now = new Date().toISOString();
  const project: Project = {
    id: newId('prj'),
    name: params.name,
    repositories: repositories.map((r) => ({ id: newId('repo'), ...r })),
    scripts: params.scripts ?? v.parse(ProjectScripts, {}),
    copyFiles: params.copyFiles ?? [],
    settings: settingsToStore(params.settings ?? v.parse(ProjectSettings, {}), {}),
    retention: params.retention ?? {},
    createdAt: now,
    updatedAt: now,
  };
  return transact(engine, async (trx, emit) => {
    await trx.insertInto('projects').values(projectRow(project)).execute();
    await trx
      .insertInto('repositories')
      .values(project.repositories.map((r, position) => ({ id: r.id, project_id: project.id, name: r.name, path: r.path, position })))
      .execute();
    emit('project/created', { project: projectForProtocol(project) }, { projectId: project.id });
    return projectForProtocol(project);
  });
}

/** Every project, oldest first. */
export function listProjects(engine: Engine): Project[] {
  return loadProjects(engine.store.sqlite);
}

/** One project, or a notFound error. */
export async function getProject(engine: Engine, projectId: string): Promise<Project> {
  const project = await loadProject(engine.store.db, projectId);
  if (!project) throw OrchdError.notFound('project', projectId);
  return project;
}

/** Apply the given changes; omitted fields keep their value. */
export async function updateProject(engine: Engine, params: ProjectUpdateParams): Promise<Project> {
  const before = await getProject(engine, params.projectId);
  const removeIds = params.removeRepositoryIds ?? [];
  for (const [index, id] of removeIds.entries()) {
    if (!before.repositories.some((r) => r.id === id)) throw OrchdError.notFound('repository', id, `removeRepositoryIds[${index}]`);
  }
  const kept = before.repositories.filter((r) => !removeIds.includes(r.id));
  const added = await resolveRepositories(engine, params.addRepositories ?? [], kept, 'addRepositories');
  const repositories = [...kept, ...added.map((r) => ({ id: newId('repo'), ...r }))];
  if (repositories.length === 0) {
    throw OrchdError.invalidState('Expected `removeRepositoryIds` to leave the project at least one repository, got none left', { projectId: before.id });
  }
  const removed = before.repositories.filter((r) => removeIds.includes(r.id));
  assertScriptRepositories(params.scripts ?? before.scripts, repositories, params.scripts ? [] : removed, 'removeRepositoryIds', removeIds);
  if (params.copyFiles) assertCopyFilePatterns(params.copyFiles);
  const project: Project = {
    ...before,
    name: params.name ?? before.name,
    repositories,
    scripts: params.scripts ?? before.scripts,
    copyFiles: params.copyFiles ?? before.copyFiles,
    settings: settingsToStore(params.settings ?? before.settings, await loadProjectProfiles(engine.store.db, before.id)),
    retention: params.retention ?? before.retention,
    updatedAt: new Date().toISOString(),
  };
  return transact(engine, async (trx, emit) => {
    const { id, ...columns } = projectRow(project);
    const updated = await trx.updateTable('projects').set(columns).where('id', '=', id).executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw OrchdError.notFound('project', id);
    if (removeIds.length) await trx.deleteFrom('repositories').where('id', 'in', removeIds).execute();
    await Promise.all(
      project.repositories.map((r, position) =>
        trx
          .insertInto('repositories')
          .values({ id: r.id, project_id: id, name: r.name, path: r.path, position })
          .onConflict((oc) => oc.column('id').doUpdateSet({ position }))
          .execute(),
      ),
    );
    emit('project/updated', { project: projectForProtocol(project) }, { projectId: id });
    return projectForProtocol(project);
  });
}

/** Delete a project: its workspaces first (as `workspace/delete` does), then its tasks; the main checkouts are untouched. */
export async function deleteProject(engine: Engine, params: { projectId: string; force: boolean; deleteBranches: boolean }): Promise<void> {
  const { projectId } = params;
  await getProject(engine, projectId);
  await deleteWorkspacesOf(engine, { projectId }, { force: params.force, deleteBranches: params.deleteBranches, reason: 'projectDeleted' });
  await transact(engine, async (trx, emit) => {
    const project = await trx.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
    if (!project) throw OrchdError.notFound('project', projectId);
    const left = await trx.selectFrom('workspaces').select('id').where('project_id', '=', projectId).executeTakeFirst();
    if (left) throw workspaceCreatedMeanwhile('project', projectId, left.id);
    const tasks = await trx.selectFrom('tasks').select('id').where('project_id', '=', projectId).orderBy('created_at').execute();
    for (const task of tasks) emit('task/deleted', { taskId: task.id, projectId }, { projectId, taskId: task.id });
    await trx.deleteFrom('projects').where('id', '=', projectId).execute();
    emit('project/deleted', { projectId }, { projectId });
  });
}
