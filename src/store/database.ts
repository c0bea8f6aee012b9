// Open the SQLite database (WAL, foreign keys, busy timeout) behind Kysely and bring its schema up to date.
// Kysely (about 460 KB of the code a daemon loads to answer `initialize`, 20 ms of compiling) is loaded only when a
// migration needs it or when the store is made ready for queries: `--stdio` answers `initialize` first
// (src/server/host.ts), and every other request waits for start-up repair, which waits for `ready()`.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { OrchdError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { MIGRATION_NAMES } from './migration-names.js';
import { databaseFiles, ensurePrivateDirectory, ensurePrivateFile } from './private-files.js';
import { withStatementCache } from './statement-cache.js';
import type { Database } from './schema.js';

export interface Store {
  /** The query builder; only once `ready()` has resolved (openStore awaits it unless asked to defer it). */
  readonly db: Kysely<Database>;
  /** The raw handle, for pragmas and hot read paths that must skip query building. */
  readonly sqlite: BetterSqlite3.Database;
  readonly path: string;
  /** Resolves once `db` can be used (Kysely loaded); idempotent. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export const DATABASE_FILE = 'orchd.sqlite';

/**
 * A new database's schema as SQL (src/store/schema-snapshot.ts, generated from the migrations by
 * src/devtools/schema-snapshot.ts): the statements in creation order, the migrations recorded as applied, and the rows
 * Kysely's Migrator keeps in its lock table.
 */
export interface SchemaSnapshot {
  statements: string[];
  migrations: string[];
  lockRows: { id: string; is_locked: number }[];
}

export interface OpenStoreOptions {
  /** Create a new database through Kysely's Migrator instead of the schema snapshot (how the snapshot is made). */
  migrator?: boolean;
  /** Return before Kysely is loaded (when no migration needed it): the caller awaits `ready()` before any query. */
  deferQueries?: boolean;
}

/** The schema of a migrated database, as the snapshot holds it. */
export function migratedSchema(sqlite: BetterSqlite3.Database): SchemaSnapshot {
  const statements = (sqlite.prepare("select sql from sqlite_master where sql is not null and name not like 'sqlite_%' order by rowid").all() as { sql: string }[]).map((row) => row.sql);
  const migrations = (sqlite.prepare('select name from orchd_migrations order by name').all() as { name: string }[]).map((row) => row.name);
  const lockRows = sqlite.prepare('select id, is_locked from orchd_migrations_lock order by id').all() as { id: string; is_locked: number }[];
  return { statements, migrations, lockRows };
}

/**
 * Give a database that looked new its schema, in one transaction, unless another orchd process made it between the
 * look at the file and this write lock (the CLI opening the directory in process while `orchd serve` starts: the file
 * is created empty before SQLite writes its header). False when the schema was there already.
 */
export async function createSchemaOnce(sqlite: BetterSqlite3.Database, snapshot: SchemaSnapshot | undefined, logger: Logger, migrate: () => Promise<void>): Promise<boolean> {
  sqlite.exec('begin immediate');
  try {
    if (hasSchema(sqlite)) {
      sqlite.exec('commit');
      return false;
    }
    if (snapshot) {
      applySnapshot(sqlite, snapshot);
      logger.info('schema created', { migrations: snapshot.migrations.length });
    } else await migrate();
    sqlite.exec('commit');
    return true;
  } finally {
    if (sqlite.open && sqlite.inTransaction) sqlite.exec('rollback');
  }
}

/** Whether the database has tables already (the migrations' record is the first one made). */
function hasSchema(sqlite: BetterSqlite3.Database): boolean {
  return sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = 'orchd_migrations'").get() !== undefined;
}

/** Give a new database its whole schema from the snapshot (inside the caller's transaction). */
function applySnapshot(sqlite: BetterSqlite3.Database, snapshot: SchemaSnapshot): void {
  for (const statement of snapshot.statements) sqlite.exec(statement);
  const now = new Date().toISOString();
  const record = sqlite.prepare('insert into orchd_migrations (name, timestamp) values (?, ?)');
  for (const name of snapshot.migrations) record.run(name, now);
  const lock = sqlite.prepare('insert into orchd_migrations_lock (id, is_locked) values (?, ?)');
  for (const row of snapshot.lockRows) lock.run(row.id, row.is_locked);
}

/** Open (creating if needed) the database in `dataDir` and run pending migrations. */
export async function openStore(dataDir: string, logger: Logger, options: OpenStoreOptions = {}): Promise<Store> {
  const path = join(dataDir, DATABASE_FILE);
  let sqlite: BetterSqlite3.Database;
  let fresh: boolean;
  try {
    const tightened = [ensurePrivateDirectory(dataDir) ? dataDir : undefined];
    fresh = !existsSync(path) || statSync(path).size === 0;
    // Create the database file 0600 before SQLite does (it would use 0644 & ~umask); the WAL and SHM files follow it.
    for (const file of databaseFiles(dataDir, DATABASE_FILE)) if (file === path || existsSync(file)) tightened.push(ensurePrivateFile(file) ? file : undefined);
    const loosened = tightened.filter(Boolean);
    if (loosened.length > 0) logger.warn('data directory files were readable by others; made them private', { paths: loosened });
    sqlite = new BetterSqlite3(path);
    // Before the first table: freed pages can then go back to the file system (maintenance/compact) without a VACUUM.
    if (fresh) sqlite.pragma('auto_vacuum = incremental');
    sqlite.pragma('journal_mode = WAL');
    // NORMAL is durable across a process crash in WAL mode (only power loss can drop the last commits).
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
  } catch (error) {
    throw new OrchdError('dataDirUnavailable', `Expected the data directory ${'`'}${dataDir}${'`'} to hold a usable database, but opening it failed: ${(error as Error).message}`, { dataDir }, { cause: error });
  }
  let db: Kysely<Database> | undefined;
  let readying: Promise<void> | undefined;
  const ready = (): Promise<void> =>
    (readying ??= (async () => {
      const { Kysely, SqliteDialect } = await import('kysely');
      db ??= new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    })());
  const migrateNow = async () => {
    await ready();
    await migrate(db!, logger, dataDir);
  };
  if (fresh) {
    // A new database gets its whole schema in one transaction: one commit instead of one per statement. The
    // snapshot is exactly what the migrations make (test/unit/schema-snapshot.test.ts); a build whose snapshot does not
    // know every migration (only while one is being written, before `npm run generate`) migrates instead.
    const snapshot = options.migrator ? undefined : await loadSnapshot();
    const made = await createSchemaOnce(sqlite, snapshot, logger, migrateNow);
    if (!made && !upToDate(sqlite)) await migrateNow();
  } else if (!upToDate(sqlite)) await migrateNow();
  if (!options.deferQueries) await ready();
  let closed = false;
  return {
    get db(): Kysely<Database> {
      if (!db) throw new Error('Store.db was used before store.ready() resolved');
      return db;
    },
    sqlite,
    path,
    ready,
    async close() {
      if (closed) return;
      closed = true;
      await readying?.catch(() => undefined);
      await db?.destroy();
      // Kysely closes the connection only if one of its queries opened its driver; the raw handle may be all that ran.
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * Every migration this build knows is recorded as applied (and none it does not know): skip Kysely's Migrator, which
 * takes its lock table and reads the history on every start. Any doubt (no table yet, another set) runs it.
 */
function upToDate(sqlite: BetterSqlite3.Database): boolean {
  try {
    const applied = (sqlite.prepare('select name from orchd_migrations order by name').all() as { name: string }[]).map((row) => row.name);
    const known = [...MIGRATION_NAMES].sort();
    return applied.length === known.length && applied.every((name, i) => name === known[i]);
  } catch {
    return false;
  }
}


/** The generated snapshot, when it covers exactly the migrations this build knows. */
async function loadSnapshot(): Promise<SchemaSnapshot | undefined> {
  const { SCHEMA_SNAPSHOT } = await import('./schema-snapshot.js');
  const known = [...MIGRATION_NAMES].sort();
  const covered = SCHEMA_SNAPSHOT.migrations;
  return covered.length === known.length && covered.every((name, i) => name === known[i]) ? SCHEMA_SNAPSHOT : undefined;
}

async function migrate(db: Kysely<Database>, logger: Logger, dataDir: string): Promise<void> {
  const [{ Migrator }, { MIGRATIONS }] = await Promise.all([import('kysely'), import('./migrations.js')]);
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS }, migrationTableName: 'orchd_migrations', migrationLockTableName: 'orchd_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    if (result.status === 'Success') logger.info('migration applied', { migration: result.migrationName });
  }
  if (error) {
    await db.destroy();
    throw new OrchdError('dataDirUnavailable', `Expected the database in ${'`'}${dataDir}${'`'} to migrate, but it failed: ${(error as Error).message}`, { dataDir }, { cause: error });
  }
}
