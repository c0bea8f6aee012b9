// Project operations: create, list, get, update, delete. Every change commits with its event. A project's scripts and
// settings are its own configuration layer (src/projects/layer.ts); what it returns is what it runs with (src/config/).
import { basename } from 'node:path';
import type { Project, ProjectCreateParams, ProjectUpdateParams, RepositoryInput } from '../../protocol/project.js';
import { effectiveView, requireProjectRecord } from '../config/service.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { transact } from '../events/unit-of-work.js';
import { newId } from '../util/ids.js';
import { deleteWorkspacesOf, workspaceCreatedMeanwhile } from '../workspaces/cascade.js';
import { checkedLayer, filledScripts, layerWithParams } from './layer.js';
import { loadProjectRecords, projectRow, projectView, type ProjectRecord } from './store.js';
import { assertRepositoryName, assertScriptRepositories, assertUniqueRepositoryName, deriveRepositoryName } from './validate.js';

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

/** Create a project from one or more repositories. Its own configuration layer holds what the params set. */
export async function createProject(engine: Engine, params: ProjectCreateParams): Promise<Project> {
  const resolved = await resolveRepositories(engine, params.repositories, [], 'repositories');
  const repositories = resolved.map((r) => ({ id: newId('repo'), ...r }));
  const layer = checkedLayer(layerWithParams({}, params), { previous: {}, effectiveProfiles: {}, profilesField: 'settings.profiles' });
  if (layer.scripts) assertScriptRepositories(filledScripts(layer.scripts), repositories);
  const now = new Date().toISOString();
  const row = projectRow({ id: newId('prj'), name: params.name, layer, createdAt: now, updatedAt: now });
  const record: ProjectRecord = { id: row.id, name: row.name, repositories, layer, layerText: row.config, layerProblem: null, createdAt: now, updatedAt: now };
  return transact(engine, async (trx, emit) => {
    await trx.insertInto('projects').values(row).execute();
    await trx
      .insertInto('repositories')
      .values(repositories.map((r, position) => ({ id: r.id, project_id: record.id, name: r.name, path: r.path, position })))
      .execute();
    const project = projectView(record, effectiveView(engine, record).config);
    emit('project/created', { project }, { projectId: record.id });
    return project;
  });
}

/** Every project, oldest first, with the configuration it runs with (files as last seen by the watcher). */
export function listProjects(engine: Engine): Project[] {
  return loadProjectRecords(engine.store.sqlite).map((record) => projectView(record, effectiveView(engine, record, { fresh: false }).config));
}

/** One project with the configuration it runs with, or a notFound error. */
export async function getProject(engine: Engine, projectId: string): Promise<Project> {
  const record = requireProjectRecord(engine, projectId);
  return projectView(record, effectiveView(engine, record).config);
}

/**
 * Apply the given changes; omitted fields keep their value. `scripts`, `copyFiles`, `settings` and `retention` each
 * replace that part of the project's own layer: a key left out of `scripts` or `settings` is unset there, and the
 * configuration files (else the defaults) decide it.
 */
export async function updateProject(engine: Engine, params: ProjectUpdateParams): Promise<Project> {
  const before = requireProjectRecord(engine, params.projectId);
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
  const effectiveProfiles = effectiveView(engine, before).config.profiles;
  const layer = checkedLayer(layerWithParams(before.layer, params), { previous: before.layer, effectiveProfiles, profilesField: 'settings.profiles' });
  assertScriptRepositories(filledScripts(layer.scripts), repositories, params.scripts ? [] : removed, 'removeRepositoryIds', removeIds);
  const row = projectRow({ id: before.id, name: params.name ?? before.name, layer, createdAt: before.createdAt, updatedAt: new Date().toISOString() });
  const record: ProjectRecord = { ...before, name: row.name, repositories, layer, layerText: row.config, layerProblem: null, updatedAt: row.updated_at };
  return transact(engine, async (trx, emit) => {
    const { id, ...columns } = row;
    const updated = await trx.updateTable('projects').set(columns).where('id', '=', id).executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw OrchdError.notFound('project', id);
    if (removeIds.length) await trx.deleteFrom('repositories').where('id', 'in', removeIds).execute();
    await Promise.all(
      record.repositories.map((r, position) =>
        trx
          .insertInto('repositories')
          .values({ id: r.id, project_id: id, name: r.name, path: r.path, position })
          .onConflict((oc) => oc.column('id').doUpdateSet({ position }))
          .execute(),
      ),
    );
    const project = projectView(record, effectiveView(engine, record).config);
    emit('project/updated', { project }, { projectId: id });
    return project;
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
