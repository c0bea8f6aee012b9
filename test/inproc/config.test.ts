// Layered configuration through the protocol (issue 14): config/get with its layers and sources, config/update of the
// user's file and of a project's settings, a repository's orchd.json supplying the setup script a session runs, a
// broken user file reported precisely while orchd keeps its last good content, and a hot change applied to the next
// session. Real files, real repositories, the scripted agent.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { Event } from '../../protocol/events.js';
import { getConfig } from '../../src/config/operations.js';
import { openEngine } from '../../src/engine.js';
import { silentLogger } from '../../src/log/logger.js';
import { getProject } from '../../src/projects/service.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { CHAIN_MS } from '../support/bounds.js';
import { tempDir } from '../support/client.js';
import { startAgentFixture, stopAgentFixture, type InProcessOrchd } from '../support/inproc.js';
import { makeRepo } from '../support/repo.js';
import { waitUntil } from '../support/wait.js';

describe('layered configuration (in-process)', () => {
  let orchd: InProcessOrchd;
  let repo: string;
  let otherRepo: string;
  let agentHome: string;
  let events: () => Event[];
  // The user's config home does not exist yet: config/update creates it (0700), and the watcher notices it appear.
  const configRoot = tempDir('orchd-config-root-');
  const configHome = join(configRoot, 'orchd');
  const userFile = join(configHome, 'config.json');
  const savedHome = process.env.ORCHD_CONFIG_HOME;

  before(async () => {
    process.env.ORCHD_CONFIG_HOME = configHome;
    ({ orchd, repo, agentHome, events } = await startAgentFixture());
    otherRepo = realpathSync(makeRepo());
  });
  after(async () => {
    await stopAgentFixture({ orchd, repo, agentHome });
    process.env.ORCHD_CONFIG_HOME = savedHome;
    rmSync(configRoot, { recursive: true, force: true });
    rmSync(otherRepo, { recursive: true, force: true });
  });

  const request = <T = any>(method: string, params?: unknown): Promise<T> => orchd.client.raw(method, params) as Promise<T>;
  const configChanged = (match: (data: any) => boolean, after = 0) =>
    waitUntil(() => events().some((e) => e.seq > after && e.kind === 'config/changed' && match(e.data)), 'a matching config/changed event').then(
      () => events().find((e) => e.seq > after && e.kind === 'config/changed' && match(e.data))!,
    );
  const lastSeq = () => events().at(-1)?.seq ?? 0;
  const workspace = async (projectId: string, title: string) => {
    const task = (await request('task/create', { projectId, title })).task;
    return (await request('workspace/create', { taskId: task.id })).workspace;
  };
  const finished = (sessionId: string) =>
    waitUntil(() => events().some((e) => e.kind === 'notification' && e.sessionId === sessionId), `session ${sessionId} to finish`, CHAIN_MS);
  const runSession = async (projectId: string, title: string, profile = 'everywhere') => {
    const ws = await workspace(projectId, title);
    const { session } = await request('session/start', { workspaceId: ws.id, profile, prompt: 'hello' });
    await finished(session.id);
    return { worktree: ws.repositories[0].path as string, session };
  };

  it('config/get without a project: the defaults, and the user layer absent', async () => {
    const result = await request('config/get', {});
    assert.deepEqual(result.layers, [
      { layer: 'default', file: null, status: 'loaded' },
      { layer: 'user', file: userFile, status: 'absent' },
    ]);
    assert.equal(result.config.autoCommit, true);
    assert.equal(result.config.branchPrefix, 'orchd');
    assert.deepEqual(result.config.scripts.setup, []);
    assert.equal(result.sources.autoCommit, 'default');
    assert.equal(result.sources['terminal.shell'], 'default');
  });

  it('config/update of the user file writes it atomically (0600, directory 0700) and emits config/changed', async () => {
    const since = lastSeq();
    const result = await request('config/update', {
      scope: 'user',
      patch: {
        profiles: { everywhere: { executor: 'scripted-agent', permissionMode: 'bypassPermissions' } },
        scripts: { setup: [{ command: 'echo v1 > from-user.txt', name: 'user setup' }] },
      },
    });
    assert.equal(statSync(configHome).mode & 0o777, 0o700);
    assert.equal(statSync(userFile).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(userFile, 'utf8')), {
      version: 1,
      profiles: { everywhere: { executor: 'scripted-agent', permissionMode: 'bypassPermissions' } },
      scripts: { setup: [{ command: 'echo v1 > from-user.txt', name: 'user setup' }] },
    });
    assert.equal(result.sources['profiles.everywhere'], 'user');
    assert.equal(result.sources['scripts.setup'], 'user');
    assert.equal(result.sources['scripts.cleanup'], 'default');
    assert.deepEqual(result.layers[1], { layer: 'user', file: userFile, status: 'loaded' });
    const event = await configChanged((d) => d.scope === 'user', since);
    assert.deepEqual(event.data, { scope: 'user', file: userFile });
    // The event comes before the reply: it is already there.
    assert.ok(events().filter((e) => e.kind === 'config/changed' && e.seq > since).length === 1);
  });

  it('refuses a plain secret in the user file, naming the JSON path, and writes nothing', async () => {
    const before = readFileSync(userFile, 'utf8');
    const failure = await orchd.client.failure('config/update', { scope: 'user', patch: { profiles: { keyed: { executor: 'scripted-agent', env: { ANTHROPIC_API_KEY: 'sk-ant-123' } } } } });
    assert.equal(failure.data.kind, 'invalidConfig');
    assert.equal(failure.data.jsonPath, '$.profiles.keyed.env.ANTHROPIC_API_KEY');
    assert.equal(failure.data.file, userFile);
    assert.match(failure.message, /refer to orchd's environment, like \{"env": "ANTHROPIC_API_KEY"\}/);
    assert.ok(!JSON.stringify(failure).includes('sk-ant-123'));
    const invalid = await orchd.client.failure('config/update', { scope: 'user', patch: { terminal: { scrollbackBytes: 'big' } } });
    assert.equal(invalid.data.jsonPath, '$.terminal.scrollbackBytes');
    assert.equal(invalid.data.received, '"big"');
    assert.equal(readFileSync(userFile, 'utf8'), before);
  });

  let projectId: string;
  it("a repository's orchd.json supplies the setup script a session then runs, with a profile from the user file", async () => {
    writeFileSync(join(repo, 'orchd.json'), JSON.stringify({ $schema: 'https://example.invalid/config.schema.json', scripts: { setup: [{ command: 'echo repo > from-repo.txt' }] } }));
    const project = (await request('project/create', { name: 'With orchd.json', repositories: [{ path: repo, name: 'app' }] })).project;
    projectId = project.id;
    // What the project returns is what it runs with: the repository's script, in that repository.
    assert.deepEqual(project.scripts.setup, [{ command: 'echo repo > from-repo.txt', repository: 'app' }]);
    assert.equal(project.settings.profiles.everywhere.executor, 'scripted-agent');
    const config = await request('config/get', { projectId });
    assert.equal(config.sources['scripts.setup'], 'repository');
    assert.equal(config.sources['profiles.everywhere'], 'user');
    assert.deepEqual(
      config.layers.map((l: any) => [l.layer, l.file, l.status]),
      [
        ['default', null, 'loaded'],
        ['user', userFile, 'loaded'],
        ['repository', join(repo, 'orchd.json'), 'loaded'],
        ['project', null, 'loaded'],
      ],
    );
    assert.equal(config.layers[2].repositoryId, project.repositories[0].id);

    const { worktree } = await runSession(projectId, 'repository setup');
    assert.equal(readFileSync(join(worktree, 'from-repo.txt'), 'utf8'), 'repo\n');
    assert.equal(existsSync(join(worktree, 'from-user.txt')), false, "the repository's setup replaces the user's");
  });

  it("config/update of a project's settings patches its own layer, with config/changed and project/updated", async () => {
    const since = lastSeq();
    const result = await request('config/update', { scope: 'project', projectId, patch: { autoCommit: false, scripts: { setup: [{ command: 'echo project > from-project.txt' }] }, copyFiles: ['.env'] } });
    assert.equal(result.config.autoCommit, false);
    assert.equal(result.sources.autoCommit, 'project');
    assert.equal(result.sources['scripts.setup'], 'project');
    assert.equal(result.sources.copyFiles, 'project');
    const kinds = events()
      .filter((e) => e.seq > since)
      .map((e) => e.kind);
    assert.deepEqual(kinds.slice(0, 2), ['config/changed', 'project/updated']);
    const updated = events().find((e) => e.seq > since && e.kind === 'project/updated')!;
    assert.equal((updated.data as any).project.settings.autoCommit, false);
    // null removes a key: the repository's script and the default show through again.
    const removed = await request('config/update', { scope: 'project', projectId, patch: { autoCommit: null, scripts: { setup: null } } });
    assert.equal(removed.sources.autoCommit, 'default');
    assert.equal(removed.sources['scripts.setup'], 'repository');
    assert.equal(removed.sources.copyFiles, 'project');
    // project/update's existing params write into the same layer.
    await request('project/update', { projectId, settings: { branchPrefix: 'team' } });
    const after = await request('config/get', { projectId });
    assert.equal(after.config.branchPrefix, 'team');
    assert.equal(after.sources.branchPrefix, 'project');
    const bad = await orchd.client.failure('config/update', { scope: 'project', projectId, patch: { scripts: { setup: [{ command: 'x', repository: 'nope' }] } } });
    assert.equal(bad.data.field, 'scripts.setup[0].repository');
    const missing = await orchd.client.failure('config/update', { scope: 'project', patch: {} });
    assert.equal(missing.data.field, 'projectId');
  });

  let userProject: string;
  it('a broken user file is reported precisely in config/changed and config/get; orchd keeps its last good content', async () => {
    userProject = (await request('project/create', { name: 'User level', repositories: [{ path: otherRepo, name: 'other' }] })).project.id;
    const since = lastSeq();
    writeFileSync(userFile, JSON.stringify({ profiles: { everywhere: { executor: 'scripted-agent', model: 42 } } }));
    const problem = {
      file: userFile,
      jsonPath: '$.profiles.everywhere.model',
      received: '42',
      message: `Expected $.profiles.everywhere.model in ${JSON.stringify(userFile)} to be a string, got 42`,
    };
    const event = await configChanged((d) => d.scope === 'user' && d.problem, since);
    assert.deepEqual(event.data, { scope: 'user', file: userFile, problem });
    const config = await request('config/get', { projectId: userProject });
    assert.deepEqual(config.layers[1], { layer: 'user', file: userFile, status: 'invalid', problem });
    // The last good content is still in force: the profile as it was, and the user's setup script.
    assert.equal(config.config.profiles.everywhere.permissionMode, 'bypassPermissions');
    assert.equal(config.sources['scripts.setup'], 'user');
    assert.ok(orchd.logs.some((line) => line.includes('configuration file is invalid') && line.includes('$.profiles.everywhere.model')));
    const { worktree } = await runSession(userProject, 'still the last good config');
    assert.equal(readFileSync(join(worktree, 'from-user.txt'), 'utf8'), 'v1\n');

    // Invalid JSON names the line and column.
    const again = lastSeq();
    writeFileSync(userFile, '{\n  "autoCommit": true,\n}\n');
    const syntax = await configChanged((d) => d.scope === 'user' && d.problem?.jsonPath === '$', again);
    assert.match((syntax.data as any).problem.message, /to be valid JSON, got .* at line 3 column 1$/);
  });

  it('a hot change to the user file emits config/changed and applies to the next session', async () => {
    const since = lastSeq();
    writeFileSync(
      userFile,
      JSON.stringify({
        profiles: { everywhere: { executor: 'scripted-agent', permissionMode: 'bypassPermissions' } },
        scripts: { setup: [{ command: 'echo v2 > from-user-v2.txt' }] },
      }),
    );
    const event = await configChanged((d) => d.scope === 'user' && !d.problem, since);
    assert.deepEqual(event.data, { scope: 'user', file: userFile });
    const { worktree } = await runSession(userProject, 'after the hot change');
    assert.equal(readFileSync(join(worktree, 'from-user-v2.txt'), 'utf8'), 'v2\n');
    assert.equal(existsSync(join(worktree, 'from-user.txt')), false);
    assert.equal((await request('config/get', {})).layers[1].status, 'loaded');
  });

  it('workspaces and terminals use the effective configuration: copyFiles, branchPrefix, terminal shell and scrollback', async () => {
    writeFileSync(join(otherRepo, '.env.test'), 'SECRET_FREE=1\n');
    await request('config/update', { scope: 'user', patch: { copyFiles: ['.env.test'], branchPrefix: 'from-user', terminal: { shell: '/bin/sh', scrollbackBytes: 65536 } } });
    const ws = await workspace(userProject, 'consumers');
    assert.match(ws.branch, /^from-user\//);
    assert.equal(readFileSync(join(ws.repositories[0].path, '.env.test'), 'utf8'), 'SECRET_FREE=1\n');
    const { terminal } = await request('terminal/create', { workspaceId: ws.id, cols: 80, rows: 24 });
    assert.equal(terminal.command, '/bin/sh');
    assert.equal(terminal.scrollbackBytes, 65536);
    await request('terminal/kill', { terminalId: terminal.id });
    // The request still has the last word.
    const own = (await request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', args: ['-c', 'exit 0'], scrollbackBytes: 131072, cols: 80, rows: 24 })).terminal;
    assert.equal(own.scrollbackBytes, 131072);
    await request('config/update', { scope: 'user', patch: { copyFiles: null, branchPrefix: null, terminal: null } });
  });

  it('a change to orchd.json emits config/changed for each project using the repository', async () => {
    const since = lastSeq();
    writeFileSync(join(repo, 'orchd.json'), JSON.stringify({ scripts: { setup: [{ command: 'echo repo2 > from-repo.txt' }] }, branchPrefix: 'from-file' }));
    const event = await configChanged((d) => d.scope === 'repository' && d.projectId === projectId, since);
    assert.deepEqual(event.data, { scope: 'repository', projectId, file: join(repo, 'orchd.json') });
    assert.equal(event.projectId, projectId);
    // The project's own branchPrefix (set through project/update) still wins over the file's.
    const config = await request('config/get', { projectId });
    assert.equal(config.config.branchPrefix, 'team');
    assert.deepEqual(config.config.scripts.setup, [{ command: 'echo repo2 > from-repo.txt', repository: 'app' }]);
  });

  it('an env reference orchd cannot resolve fails session/start, naming the profile and the variable', async () => {
    const p = (await request('project/create', { name: 'Refs', repositories: [{ path: otherRepo, name: 'other' }], settings: { profiles: { keyed: { executor: 'scripted-agent', env: { API_KEY: { env: 'ORCHD_TEST_SURELY_UNSET' } } } } } })).project;
    assert.deepEqual(p.settings.profiles.keyed.env, { API_KEY: '***' });
    const ws = await workspace(p.id, 'refs');
    const failure = await orchd.client.failure('session/start', { workspaceId: ws.id, profile: 'keyed', prompt: 'hi' });
    assert.equal(failure.data.kind, 'invalidConfig');
    assert.match(failure.message, /`ORCHD_TEST_SURELY_UNSET` for `profiles\.keyed\.env\.API_KEY`/);
    // config/get shows references as references, plain values masked.
    const config = await request('config/get', { projectId: p.id });
    assert.deepEqual(config.config.profiles.keyed.env, { API_KEY: { env: 'ORCHD_TEST_SURELY_UNSET' } });
  });
});

describe('migration 0009: a project settings layer from the old columns', () => {
  const dataDir = tempDir();
  const configHome = tempDir('orchd-config-');
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configHome, { recursive: true, force: true });
  });

  it('keeps only what differs from the built-in defaults, and the project runs as before', async () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(join(dataDir, 'orchd.sqlite')) }) });
    const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS }, migrationTableName: 'orchd_migrations', migrationLockTableName: 'orchd_migrations_lock' });
    assert.equal((await migrator.migrateTo('0008_terminals')).error, undefined);
    const now = new Date().toISOString();
    const profiles = { fast: { executor: 'scripted-agent', extraArgs: [], env: { ANTHROPIC_API_KEY: 'stored-before-the-rule' } } };
    const rows = [
      {
        id: 'prj_custom',
        scripts: { setup: [{ command: 'npm ci' }], setupMode: 'sequential', cleanup: [], archive: [], devServer: null },
        copy_files: ['.env'],
        settings: { autoCommit: true, branchPrefix: 'team', approvals: { rules: [], defaultRules: true, timeoutSeconds: 30, onTimeout: 'deny' }, profiles },
        retention: { maxAgeDays: 7 },
      },
      { id: 'prj_defaults', scripts: { setup: [], setupMode: 'sequential', cleanup: [], archive: [], devServer: null }, copy_files: [], settings: { autoCommit: true, branchPrefix: 'orchd', approvals: {}, profiles: {} }, retention: null },
    ];
    for (const row of rows) {
      await db
        .insertInto('projects')
        .values({ id: row.id, name: row.id, scripts: JSON.stringify(row.scripts), copy_files: JSON.stringify(row.copy_files), settings: JSON.stringify(row.settings), retention: row.retention && JSON.stringify(row.retention), created_at: now, updated_at: now })
        .execute();
      await db.insertInto('repositories').values({ id: `repo_${row.id}`, project_id: row.id, name: 'app', path: `/nonexistent/${row.id}`, position: 0 }).execute();
    }
    await db.destroy();

    const engine = await openEngine({ dataDir, logger: silentLogger, configHome });
    try {
      const layers = Object.fromEntries((engine.store.sqlite.prepare('select id, config from projects').all() as { id: string; config: string }[]).map((r) => [r.id, JSON.parse(r.config)]));
      assert.deepEqual(layers.prj_custom, { scripts: { setup: [{ command: 'npm ci' }] }, copyFiles: ['.env'], branchPrefix: 'team', approvals: { timeoutSeconds: 30 }, profiles, retention: { maxAgeDays: 7 } });
      assert.deepEqual(layers.prj_defaults, {});
      const project = await getProject(engine, 'prj_custom');
      assert.deepEqual(project.scripts, { setup: [{ command: 'npm ci' }], setupMode: 'sequential', cleanup: [], archive: [], devServer: null });
      assert.deepEqual(project.settings.approvals, { rules: [], defaultRules: true, timeoutSeconds: 30, onTimeout: 'deny' });
      assert.deepEqual(project.settings.profiles.fast!.env, { ANTHROPIC_API_KEY: '***' });
      assert.equal(getConfig(engine, 'prj_custom').sources.branchPrefix, 'project');
      assert.equal(getConfig(engine, 'prj_defaults').sources.branchPrefix, 'default');
    } finally {
      await engine.close();
    }
  });
});
