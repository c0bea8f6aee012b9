// Frozen migrations. Each one uses Kysely<any> and never imports application types: once shipped, it never changes.
import { sql, type Kysely, type Migration } from 'kysely';
import type { MigrationName } from './migration-names.js';

/** Keyed by exactly the names in src/store/migration-names.ts (a migration added here must be named there too). */
export const MIGRATIONS: Record<MigrationName, Migration> = {
  '0001_spine': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('events')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('project_id', 'text')
        .addColumn('task_id', 'text')
        .addColumn('workspace_id', 'text')
        .addColumn('session_id', 'text')
        .addColumn('execution_id', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_project').on('events').columns(['project_id', 'seq']).where(sql.ref('project_id'), 'is not', null).execute();
      await db.schema.createIndex('events_task').on('events').columns(['task_id', 'seq']).where(sql.ref('task_id'), 'is not', null).execute();

      await db.schema
        .createTable('projects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scripts', 'text', (c) => c.notNull())
        .addColumn('copy_files', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('repositories')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addUniqueConstraint('repositories_project_path', ['project_id', 'path'])
        .addUniqueConstraint('repositories_project_name', ['project_id', 'name'])
        .execute();

      await db.schema
        .createTable('tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tasks_project').on('tasks').columns(['project_id', 'created_at']).execute();
    },
  },
  '0002_workspaces': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('workspaces')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull().unique())
        .addColumn('branch', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('merged_at', 'text')
        .addColumn('archived_at', 'text')
        .execute();
      await db.schema.createIndex('workspaces_task').on('workspaces').columns(['task_id']).execute();

      await db.schema
        .createTable('workspace_repositories')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('repository_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('source_path', 'text', (c) => c.notNull())
        .addColumn('branch', 'text', (c) => c.notNull())
        .addColumn('base_branch', 'text', (c) => c.notNull())
        .addColumn('base_oid', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('workspace_repositories_pk', ['workspace_id', 'repository_id'])
        .execute();
    },
  },
  '0003_executions': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('executor', 'text', (c) => c.notNull())
        .addColumn('agent_session_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('queued_prompt', 'text')
        .addColumn('queued_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_workspace').on('sessions').columns(['workspace_id']).execute();

      await db.schema
        .createTable('executions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('session_id', 'text', (c) => c.references('sessions.id').onDelete('cascade'))
        .addColumn('run_reason', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('exit_code', 'integer')
        .addColumn('signal', 'text')
        .addColumn('pid', 'integer')
        .addColumn('pgid', 'integer')
        .addColumn('process_start_ticks', 'text')
        .addColumn('boot_id', 'text')
        .addColumn('owner_pid', 'integer', (c) => c.notNull())
        .addColumn('owner_start_ticks', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('heads_before', 'text', (c) => c.notNull())
        .addColumn('heads_after', 'text')
        .addColumn('reason', 'text')
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .execute();
      await db.schema.createIndex('executions_status').on('executions').columns(['status']).execute();
      await db.schema.createIndex('executions_session').on('executions').columns(['session_id', 'started_at']).execute();
      await db.schema.createIndex('executions_workspace').on('executions').columns(['workspace_id', 'started_at']).execute();
      await db.schema.createIndex('events_execution').on('events').columns(['execution_id', 'seq']).where(sql.ref('execution_id'), 'is not', null).execute();
      // execution/logs pages by the chunk's own seq; an expression index keeps that from parsing every chunk's JSON.
      await sql`create index events_output_chunk on events (execution_id, json_extract(data, '$.seq')) where kind = 'execution/output'`.execute(db);
    },
  },
  '0004_approvals': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('approvals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
        .addColumn('execution_id', 'text', (c) => c.notNull().references('executions.id').onDelete('cascade'))
        .addColumn('tool', 'text', (c) => c.notNull())
        .addColumn('tool_call_id', 'text')
        .addColumn('input', 'text', (c) => c.notNull())
        .addColumn('title', 'text')
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('decision', 'text')
        .addColumn('reason', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('resolved_at', 'text')
        .execute();
      await db.schema.createIndex('approvals_session').on('approvals').columns(['session_id', 'created_at']).execute();
      await db.schema.createIndex('approvals_pending').on('approvals').columns(['status']).where(sql.ref('status'), '=', 'pending').execute();
      // "Allow for the rest of the session": remembered across the session's turns (each turn is a new process).
      await db.schema
        .createTable('session_grants')
        .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
        .addColumn('tool', 'text', (c) => c.notNull())
        .addColumn('approval_id', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('session_grants_pk', ['session_id', 'tool'])
        .execute();
      // Sessions remember the profile they were started with, so follow-ups run the same way.
      await db.schema.alterTable('sessions').addColumn('profile', 'text').execute();
    },
  },
  '0005_mask_profile_env_in_events': {
    // Profile env values (often API keys) are secret since protocol 1 hardening; events written before carried them
    // verbatim and would be replayed to any subscriber from seq 0. Mask them in place, exactly as the engine now does.
    async up(db: Kysely<any>): Promise<void> {
      const mask = (env: unknown): unknown => {
        if (!env || typeof env !== 'object' || Array.isArray(env)) return env;
        return Object.fromEntries(Object.keys(env as Record<string, unknown>).map((key) => [key, '***']));
      };
      const maskProfiles = (profiles: unknown): boolean => {
        if (!profiles || typeof profiles !== 'object') return false;
        let changed = false;
        for (const profile of Object.values(profiles as Record<string, any>)) {
          if (profile && typeof profile === 'object' && profile.env && typeof profile.env === 'object' && Object.keys(profile.env).length > 0) {
            profile.env = mask(profile.env);
            changed = true;
          }
        }
        return changed;
      };
      const rows = await db
        .selectFrom('events')
        .select(['seq', 'data'])
        .where((eb) => eb.or([eb('data', 'like', '%"profiles"%'), eb('data', 'like', '%"profile"%')]))
        .execute();
      for (const row of rows as { seq: number; data: string }[]) {
        let data: any;
        try {
          data = JSON.parse(row.data);
        } catch {
          continue;
        }
        let changed = false;
        const visit = (value: any): void => {
          if (!value || typeof value !== 'object') return;
          if (Array.isArray(value)) return value.forEach(visit);
          if (value.settings && typeof value.settings === 'object' && maskProfiles(value.settings.profiles)) changed = true;
          if (value.profile && typeof value.profile === 'object' && value.profile.env && typeof value.profile.env === 'object' && Object.keys(value.profile.env).length > 0) {
            value.profile.env = mask(value.profile.env);
            changed = true;
          }
          for (const child of Object.values(value)) visit(child);
        };
        visit(data);
        if (changed) await db.updateTable('events').set({ data: JSON.stringify(data) }).where('seq', '=', row.seq).execute();
      }
    },
  },
  '0006_retention': {
    // Retention (maintenance/compact): a project's limits, and the mark on an execution whose raw output was dropped.
    // Incremental auto-vacuum lets compaction hand freed pages back to the file system; switching an existing
    // database from NONE needs one VACUUM. Kysely runs SQLite migrations outside a transaction, so VACUUM may run
    // here; if it fails (another process holds the database), maintenance/compact switches the mode later.
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('projects').addColumn('retention', 'text').execute();
      await db.schema.alterTable('executions').addColumn('output_compacted_at', 'text').execute();
      const { rows } = await sql<{ auto_vacuum: number }>`pragma auto_vacuum`.execute(db);
      if (rows[0]?.auto_vacuum === 0) {
        await sql`pragma auto_vacuum = incremental`.execute(db);
        await sql`vacuum`.execute(db).catch(() => {});
      }
    },
  },
  '0007_tokens': {
    // Access tokens for service mode (issue 12): a name, the SHA-256 of the secret (never the secret), read-only or
    // full access, and when it was revoked. Revoked rows stay, so `orchd token list` can say so.
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('read_only', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
    },
  },
  '0008_terminals': {
    // PTY terminals (issue 13): one row per terminal with its process identity (for crash recovery, like executions),
    // its size, and the screen snapshot that stands in for output trimmed from the scrollback. Output chunks are
    // `terminal/output` events; the index finds one terminal's chunks by their chunk number.
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('terminals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('repository_id', 'text')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('cwd', 'text', (c) => c.notNull())
        .addColumn('command', 'text', (c) => c.notNull())
        .addColumn('args', 'text', (c) => c.notNull())
        .addColumn('cols', 'integer', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer')
        .addColumn('process_start_ticks', 'text')
        .addColumn('boot_id', 'text')
        .addColumn('owner_pid', 'integer', (c) => c.notNull())
        .addColumn('owner_start_ticks', 'text')
        .addColumn('exit_code', 'integer')
        .addColumn('signal', 'text')
        .addColumn('reason', 'text')
        .addColumn('output_seq', 'integer', (c) => c.notNull())
        .addColumn('scrollback_bytes', 'integer', (c) => c.notNull())
        .addColumn('snapshot', 'text')
        .addColumn('snapshot_seq', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .execute();
      await db.schema.createIndex('terminals_workspace').on('terminals').columns(['workspace_id', 'created_at']).execute();
      await db.schema.createIndex('terminals_status').on('terminals').columns(['status']).execute();
      await sql`create index events_terminal_chunk on events (json_extract(data, '$.terminalId'), json_extract(data, '$.seq')) where kind = 'terminal/output'`.execute(db);
    },
  },
  '0009_project_config': {
    // Layered configuration (issue 14): a project's settings become one sparse layer over the user's file and the
    // repositories' orchd.json, holding only what differs from the built-in defaults of the time, so that a value
    // a file sets is not hidden by a default the project never chose. Backfilled from the four columns.
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('projects').addColumn('config', 'text', (c) => c.notNull().defaultTo('{}')).execute();
      const parse = (text: string | null): any => {
        try {
          return text === null ? undefined : JSON.parse(text);
        } catch {
          return undefined;
        }
      };
      const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);
      const rows = (await db.selectFrom('projects').select(['id', 'scripts', 'copy_files', 'settings', 'retention']).execute()) as {
        id: string;
        scripts: string;
        copy_files: string;
        settings: string;
        retention: string | null;
      }[];
      for (const row of rows) {
        const layer: Record<string, unknown> = {};
        const scripts = parse(row.scripts);
        if (isObject(scripts)) {
          const kept: Record<string, unknown> = {};
          for (const list of ['setup', 'cleanup', 'archive']) if (Array.isArray(scripts[list]) && scripts[list].length) kept[list] = scripts[list];
          if (scripts.setupMode !== undefined && scripts.setupMode !== 'sequential') kept.setupMode = scripts.setupMode;
          if (scripts.devServer !== undefined && scripts.devServer !== null) kept.devServer = scripts.devServer;
          if (Object.keys(kept).length) layer.scripts = kept;
        }
        const copyFiles = parse(row.copy_files);
        if (Array.isArray(copyFiles) && copyFiles.length) layer.copyFiles = copyFiles;
        const settings = parse(row.settings);
        if (isObject(settings)) {
          if (settings.autoCommit !== undefined && settings.autoCommit !== true) layer.autoCommit = settings.autoCommit;
          if (settings.branchPrefix !== undefined && settings.branchPrefix !== 'orchd') layer.branchPrefix = settings.branchPrefix;
          const approvals = settings.approvals;
          if (isObject(approvals)) {
            const kept: Record<string, unknown> = {};
            if (Array.isArray(approvals.rules) && approvals.rules.length) kept.rules = approvals.rules;
            if (approvals.defaultRules !== undefined && approvals.defaultRules !== true) kept.defaultRules = approvals.defaultRules;
            if (approvals.timeoutSeconds !== undefined && approvals.timeoutSeconds !== null) kept.timeoutSeconds = approvals.timeoutSeconds;
            if (approvals.onTimeout !== undefined && approvals.onTimeout !== 'deny') kept.onTimeout = approvals.onTimeout;
            if (Object.keys(kept).length) layer.approvals = kept;
          }
          if (isObject(settings.profiles) && Object.keys(settings.profiles).length) layer.profiles = settings.profiles;
        }
        const retention = parse(row.retention);
        if (isObject(retention) && Object.keys(retention).length) layer.retention = retention;
        await db.updateTable('projects').set({ config: JSON.stringify(layer) }).where('id', '=', row.id).execute();
      }
    },
  },
};
