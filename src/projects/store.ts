// Rows <-> Project entities. Only this module knows how projects are laid out in SQLite.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import * as v from 'valibot';
import type { Profile } from '../../protocol/executors.js';
import { ProjectRetention, ProjectScripts, ProjectSettings, type Project, type Repository } from '../../protocol/project.js';
import { keepStoredSecrets, maskProfiles } from '../executors/secrets.js';
import { validateProfiles } from '../executors/validate-profile.js';
import type { Database, ProjectsTable, RepositoriesTable } from '../store/schema.js';
import { cachedStatement } from '../store/statement-cache.js';

/** Parse a JSON column with its schema, filling defaults added since the row was written. */
function parseColumn<T extends v.GenericSchema>(schema: T, text: string): v.InferOutput<T> {
  return v.parse(schema, JSON.parse(text));
}

/** Build the entity from its rows, as it may leave the engine: profile `env` values are shown as `***` (the real ones
 * come only from `loadProjectProfiles`). */
export function projectFromRows(row: ProjectsTable, repositoryRows: readonly RepositoriesTable[]): Project {
  return projectForProtocol(projectWithSecretsFromRows(row, repositoryRows));
}

/** The project as it may leave the engine (results, events): profile `env` values masked. */
export function projectForProtocol(project: Project): Project {
  return { ...project, settings: { ...project.settings, profiles: maskProfiles(project.settings.profiles) } };
}

/** A project's profiles with their real `env` values: for running an agent, and for keeping `***` on update. */
export async function loadProjectProfiles(db: Kysely<Database>, projectId: string): Promise<Record<string, Profile>> {
  const row = await db.selectFrom('projects').select('settings').where('id', '=', projectId).executeTakeFirst();
  return row ? parseColumn(ProjectSettings, row.settings).profiles : {};
}

/** The settings to store from what a host sent: profiles checked (src/executors/validate-profile.ts) and each `***`
 * env value replaced by the value stored for that profile and variable (none on create). */
export function settingsToStore(settings: ProjectSettings, storedProfiles: Readonly<Record<string, Profile>>): ProjectSettings {
  validateProfiles(settings.profiles);
  return { ...settings, profiles: keepStoredSecrets(settings.profiles, storedProfiles) };
}

/** The entity with the real profile `env` values: never returned, only masked by `projectFromRows`. */
function projectWithSecretsFromRows(row: ProjectsTable, repositoryRows: readonly RepositoriesTable[]): Project {
  return {
    id: row.id,
    name: row.name,
    repositories: repositoryRows
      .slice()
      .sort((a, b) => a.position - b.position)
      .map((r): Repository => ({ id: r.id, name: r.name, path: r.path })),
    scripts: parseColumn(ProjectScripts, row.scripts),
    copyFiles: JSON.parse(row.copy_files) as string[],
    settings: parseColumn(ProjectSettings, row.settings),
    retention: row.retention === null ? {} : parseColumn(ProjectRetention, row.retention),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Load one project, or undefined. */
export async function loadProject(db: Kysely<Database>, projectId: string): Promise<Project | undefined> {
  const row = await db.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirst();
  if (!row) return undefined;
  const repositories = await db.selectFrom('repositories').selectAll().where('project_id', '=', projectId).execute();
  return projectFromRows(row, repositories);
}

/**
 * Load every project, oldest first. Two raw prepared statements rather than Kysely queries: `project/list` is what
 * hosts poll and what the round-trip bench measures, and building and running two Kysely queries through its async
 * driver was about 12 of the request's ~50 µs.
 */
export function loadProjects(sqlite: BetterSqlite3.Database): Project[] {
  const rows = cachedStatement(sqlite, 'select * from projects order by created_at, id').all() as ProjectsTable[];
  const repositories = cachedStatement(sqlite, 'select * from repositories').all() as RepositoriesTable[];
  const byProject = new Map<string, RepositoriesTable[]>();
  for (const repository of repositories) {
    const list = byProject.get(repository.project_id) ?? [];
    list.push(repository);
    byProject.set(repository.project_id, list);
  }
  return rows.map((row) => projectFromRows(row, byProject.get(row.id) ?? []));
}

/** The project's columns as a row. */
export function projectRow(project: Project): ProjectsTable {
  return {
    id: project.id,
    name: project.name,
    scripts: JSON.stringify(project.scripts),
    copy_files: JSON.stringify(project.copyFiles),
    settings: JSON.stringify(project.settings),
    retention: Object.keys(project.retention).length ? JSON.stringify(project.retention) : null,
    created_at: project.createdAt,
    updated_at: project.updatedAt,
  };
}
