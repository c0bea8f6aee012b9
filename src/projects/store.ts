// Rows <-> projects. Only this module knows how projects are laid out in SQLite.
// A project's own configuration is a sparse layer (`projects.config`, migration 0009): only what was explicitly set,
// with the real profile `env` values. What a project runs with is that layer over the files and the defaults
// (src/config/service.ts); `projectView` shapes it for the protocol, profile `env` values masked.
import type BetterSqlite3 from 'better-sqlite3';
import * as v from 'valibot';
import { ConfigDocument, type ConfigProblem } from '../../protocol/config.js';
import type { Project, Repository } from '../../protocol/project.js';
import type { EffectiveConfig } from '../config/defaults.js';
import { jsonPathOf, layerValues, type ConfigValues } from '../config/document.js';
import { maskProfiles } from '../executors/secrets.js';
import type { Selectable } from 'kysely';
import type { ProjectsTable, RepositoriesTable } from '../store/schema.js';

type ProjectRow = Selectable<ProjectsTable>;
import { cachedStatement } from '../store/statement-cache.js';

/** A project as stored: its repositories and its own configuration layer (real secrets; never sent as is). */
export interface ProjectRecord {
  id: string;
  name: string;
  repositories: Repository[];
  layer: ConfigValues;
  /** The stored text of the layer: what the effective configuration's cache is keyed by. */
  layerText: string;
  /** Set when the stored layer no longer passes the schema (it is then treated as empty). */
  layerProblem: ConfigProblem | null;
  createdAt: string;
  updatedAt: string;
}

/** The record from its rows. */
export function projectRecordFromRows(row: ProjectRow, repositoryRows: readonly Pick<RepositoriesTable, 'id' | 'name' | 'path' | 'position'>[]): ProjectRecord {
  // Parsed on first use: `project/list` usually finds the effective configuration cached by `layerText`.
  let parsed: ReturnType<typeof parseLayer> | undefined;
  const layer = () => (parsed ??= parseLayer(row.config));
  return {
    id: row.id,
    name: row.name,
    repositories: repositoryRows
      .slice()
      .sort((a, b) => a.position - b.position)
      .map((r): Repository => ({ id: r.id, name: r.name, path: r.path })),
    get layer() {
      return layer().layer;
    },
    layerText: row.config,
    get layerProblem() {
      return layer().problem;
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The stored layer; plain values stored before the secret rule stay readable (the rule applies to what is written). */
function parseLayer(text: string): { layer: ConfigValues; problem: ConfigProblem | null } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = v.safeParse(ConfigDocument, value);
  if (parsed.success) return { layer: layerValues(parsed.output), problem: null };
  const issue = parsed.issues[0];
  const jsonPath = jsonPathOf(issue.path);
  return { layer: {}, problem: { file: null, jsonPath, received: issue.received, message: `Expected ${jsonPath} in the project settings to be valid (${issue.message}); the stored settings are ignored` } };
}

/** One project's record, or undefined. Synchronous: better-sqlite3 answers at once, and callers may be in a transaction. */
export function loadProjectRecord(sqlite: BetterSqlite3.Database, projectId: string): ProjectRecord | undefined {
  const row = cachedStatement(sqlite, 'select * from projects where id = ?').get(projectId) as ProjectRow | undefined;
  if (!row) return undefined;
  const repositories = cachedStatement(sqlite, 'select * from repositories where project_id = ?').all(projectId) as RepositoriesTable[];
  return projectRecordFromRows(row, repositories);
}

/**
 * Every project's record, oldest first. Two raw prepared statements rather than Kysely queries: `project/list` is what
 * hosts poll and what the round-trip bench measures, and building and running two Kysely queries through its async
 * driver was about 12 of the request's ~50 µs.
 */
export function loadProjectRecords(sqlite: BetterSqlite3.Database): ProjectRecord[] {
  // One statement, the repositories of each project as a JSON array: `project/list` is a host's cheapest request, and
  // each statement is a read transaction of its own (two fcntl locks); two SELECTs cost twice the one.
  const rows = cachedStatement(
    sqlite,
    `select p.*, (select json_group_array(json_object('id', r.id, 'name', r.name, 'path', r.path, 'position', r.position))
       from repositories r where r.project_id = p.id) as repositories_json
     from projects p order by p.created_at, p.id`,
  ).all() as (ProjectRow & { repositories_json: string })[];
  return rows.map(({ repositories_json, ...row }) => projectRecordFromRows(row, JSON.parse(repositories_json) as Pick<RepositoriesTable, 'id' | 'name' | 'path' | 'position'>[]));
}

/** The ids of the projects that use a repository (by its main checkout's path). */
export function projectsUsingRepository(sqlite: BetterSqlite3.Database, path: string): string[] {
  return (cachedStatement(sqlite, 'select distinct project_id from repositories where path = ? order by project_id').all(path) as { project_id: string }[]).map((r) => r.project_id);
}

/** The project as it may leave the engine: the effective configuration it runs with, profile `env` values masked. */
export function projectView(record: ProjectRecord, config: EffectiveConfig): Project {
  return {
    id: record.id,
    name: record.name,
    repositories: record.repositories,
    scripts: config.scripts,
    copyFiles: config.copyFiles,
    settings: { autoCommit: config.autoCommit, branchPrefix: config.branchPrefix, approvals: config.approvals, profiles: maskProfiles(config.profiles) },
    retention: config.retention,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * The record's columns as a row. `config` is the layer; the columns from before layering (scripts, copy_files,
 * settings, retention) get the same sparse values, which an older orchd reading this database fills with its defaults.
 */
export function projectRow(record: Pick<ProjectRecord, 'id' | 'name' | 'layer' | 'createdAt' | 'updatedAt'>): ProjectRow {
  const { scripts, copyFiles, autoCommit, branchPrefix, approvals, profiles, retention } = record.layer;
  const settings = Object.fromEntries(Object.entries({ autoCommit, branchPrefix, approvals, profiles }).filter(([, value]) => value !== undefined));
  return {
    id: record.id,
    name: record.name,
    scripts: JSON.stringify(scripts ?? {}),
    copy_files: JSON.stringify(copyFiles ?? []),
    settings: JSON.stringify(settings),
    retention: retention && Object.keys(retention).length ? JSON.stringify(retention) : null,
    config: JSON.stringify(record.layer),
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}
