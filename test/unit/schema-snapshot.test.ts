import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderSchemaSnapshot } from '../../src/devtools/schema-snapshot.js';
import { silentLogger } from '../../src/log/logger.js';
import { createSchemaOnce, openStore, type Store } from '../../src/store/database.js';
import { MIGRATION_NAMES } from '../../src/store/migration-names.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SCHEMA_SNAPSHOT } from '../../src/store/schema-snapshot.js';
import { tempDir } from '../support/client.js';

/** Everything about a database's schema that a migration could change. */
function describeSchema(store: Store) {
  const { sqlite } = store;
  return {
    master: sqlite.prepare('select type, name, tbl_name, sql from sqlite_master order by type, name').all(),
    columns: (sqlite.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[]).map((t) => [t.name, sqlite.pragma(`table_xinfo("${t.name}")`), sqlite.pragma(`foreign_key_list("${t.name}")`)]),
    autoVacuum: sqlite.pragma('auto_vacuum', { simple: true }),
    journal: sqlite.pragma('journal_mode', { simple: true }),
    migrations: sqlite.prepare('select name from orchd_migrations order by name').all(),
    lock: sqlite.prepare('select * from orchd_migrations_lock').all(),
  };
}

async function withStore<T>(options: { migrator?: boolean }, use: (store: Store, dir: string) => Promise<T> | T): Promise<T> {
  const dir = tempDir();
  const store = await openStore(dir, silentLogger, options);
  try {
    return await use(store, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the schema snapshot a new database is created from', () => {
  it('is up to date with the migrations (run `npm run generate` when this fails)', async () => {
    const onDisk = readFileSync(join(import.meta.dirname, '../../src/store/schema-snapshot.ts'), 'utf8');
    assert.equal(onDisk, await renderSchemaSnapshot());
    assert.deepEqual(SCHEMA_SNAPSHOT.migrations, Object.keys(MIGRATIONS).sort(), 'it covers every migration');
  });

  it('makes the same database as running every migration', async () => {
    const migrated = await withStore({ migrator: true }, describeSchema);
    const fromSnapshot = await withStore({}, describeSchema);
    assert.deepEqual(fromSnapshot, migrated);
    assert.ok((migrated.master as unknown[]).length > 20, 'the comparison saw the schema');
  });

  it('a database made from the snapshot opens again without migrating, and takes rows', async () => {
    const dir = tempDir();
    try {
      const infos: string[] = [];
      const logger = { ...silentLogger, info: (msg: string) => infos.push(msg), child: () => logger } as typeof silentLogger;
      const first = await openStore(dir, logger);
      assert.deepEqual(infos, ['schema created'], 'a new database is created from the snapshot, not migrated');
      infos.length = 0;
      first.sqlite.prepare("insert into projects (id, name, scripts, copy_files, settings, created_at, updated_at) values ('prj_1', 'p', '{}', '[]', '{}', 'now', 'now')").run();
      await first.close();
      const again = await openStore(dir, logger);
      assert.deepEqual(infos.filter((m) => m.startsWith('migration') || m.startsWith('schema')), [], 'nothing to migrate or create');
      assert.equal((again.sqlite.prepare('select name from projects').get() as { name: string }).name, 'p');
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a store opened with its queries deferred (how `initialize` opens it)', () => {
  it('is open for raw statements at once, and for Kysely queries once ready() resolved', async () => {
    const dir = tempDir();
    const store = await openStore(dir, silentLogger, { deferQueries: true });
    try {
      assert.equal((store.sqlite.prepare('select count(*) as n from projects').get() as { n: number }).n, 0);
      assert.throws(() => store.db, /before store\.ready\(\) resolved/);
      await store.ready();
      await store.ready();
      assert.deepEqual(await store.db.selectFrom('projects').select('id').execute(), []);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closes cleanly before ready() was ever asked for', async () => {
    const dir = tempDir();
    const store = await openStore(dir, silentLogger, { deferQueries: true });
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(store.sqlite.open, false);
  });

  it('names exactly the migrations it has (the list start-up compares without loading them)', () => {
    assert.deepEqual([...MIGRATION_NAMES].sort(), Object.keys(MIGRATIONS).sort());
  });
});

describe('two orchd processes creating one database', () => {
  it('the one that takes the write lock second finds the schema made and creates nothing', async () => {
    const dir = tempDir();
    try {
      const first = await openStore(dir, silentLogger);
      first.sqlite.prepare("insert into projects (id, name, scripts, copy_files, settings, created_at, updated_at) values ('prj_1', 'p', '{}', '[]', '{}', 'now', 'now')").run();
      // The second process looked at the file while it was still empty (created 0600 before SQLite wrote to it) and
      // now holds its own connection: what it does once it has the write lock.
      const second = new BetterSqlite3(join(dir, 'orchd.sqlite'));
      const infos: string[] = [];
      const logger = { ...silentLogger, info: (msg: string) => infos.push(msg), child: () => logger } as typeof silentLogger;
      let migrated = false;
      const made = await createSchemaOnce(second, SCHEMA_SNAPSHOT, logger, async () => void (migrated = true));
      assert.equal(made, false);
      assert.equal(migrated, false);
      assert.deepEqual(infos, [], 'nothing created');
      assert.equal(second.inTransaction, false);
      assert.equal((second.prepare('select name from projects').get() as { name: string }).name, 'p', 'the first one’s rows are intact');
      second.close();
      await first.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
