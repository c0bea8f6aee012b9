// Migrations that rewrite data: checked on a database left at the migration before them.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { openEngine } from '../../src/engine.js';
import { silentLogger } from '../../src/log/logger.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { tempDir } from '../support/client.js';

describe('migration 0005: profile env values in old events', () => {
  const dataDir = tempDir();
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('masks env values that events written before the fix carried verbatim, and nothing else', async () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(join(dataDir, 'orchd.sqlite')) }) });
    const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS }, migrationTableName: 'orchd_migrations', migrationLockTableName: 'orchd_migrations_lock' });
    const { error } = await migrator.migrateTo('0004_approvals');
    assert.equal(error, undefined);
    const projectEvent = { project: { id: 'prj_1', name: 'p', settings: { profiles: { fast: { executor: 'claude-code', env: { ANTHROPIC_API_KEY: 'sk-secret' } }, plain: { executor: 'codex' } } } } };
    const sessionEvent = { session: { id: 'ses_1', profile: { executor: 'claude-code', env: { TOKEN: 'tok-secret' } } } };
    const unrelated = { task: { id: 'tsk_1', title: 'mentions "profile" in a title', env: { KEEP: 'me' } } };
    for (const [kind, data] of [
      ['project/created', projectEvent],
      ['session/started', sessionEvent],
      ['task/created', unrelated],
    ] as const) {
      await db.insertInto('events').values({ kind, at: new Date().toISOString(), data: JSON.stringify(data) }).execute();
    }
    await db.destroy();

    const engine = await openEngine({ dataDir, logger: silentLogger });
    try {
      const rows = engine.store.sqlite.prepare('select kind, data from events order by seq').all() as { kind: string; data: string }[];
      const text = rows.map((r) => r.data).join('\n');
      assert.doesNotMatch(text, /sk-secret|tok-secret/);
      const byKind = Object.fromEntries(rows.map((r) => [r.kind, JSON.parse(r.data)]));
      assert.deepEqual(byKind['project/created'].project.settings.profiles.fast.env, { ANTHROPIC_API_KEY: '***' });
      assert.deepEqual(byKind['project/created'].project.settings.profiles.plain, { executor: 'codex' });
      assert.deepEqual(byKind['session/started'].session.profile.env, { TOKEN: '***' });
      assert.deepEqual(byKind['task/created'], unrelated);
    } finally {
      await engine.close();
    }
  });
});
