import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOrchdError } from '../../src/errors.js';
import { createWorktree } from '../../src/worktrees/manager.js';
import { tempDir } from '../support/client.js';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { git, makeRepo } from '../support/repo.js';

const cleanups: string[] = [];
const scratch = (prefix: string) => {
  const dir = realpathSync(tempDir(prefix));
  cleanups.push(dir);
  return dir;
};
const repoWith = (files: Record<string, string> = { 'README.md': '# test\n' }) => {
  const dir = realpathSync(makeRepo(files));
  cleanups.push(dir);
  return dir;
};

// One daemon for the whole file: each test makes its own repositories and projects.
let orchd: InProcessOrchd;
before(async () => {
  orchd = inProcessOrchd();
  await orchd.client.initialize();
});
after(async () => {
  await orchd.close();
  for (const dir of cleanups.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('hardening: repository names and worktree paths', () => {
  it('refuses repository names that are not one plain directory name, at create and at update', async () => {
    const repo = repoWith();
    for (const name of ['..', '.', '.git', '.GIT', '-rf', '.hidden', 'a..b', 'a/b', '_x', '']) {
      const failure = await orchd.client.failure('project/create', { name: 'P', repositories: [{ path: repo, name }] });
      assert.equal(failure.code, -32602, `name ${JSON.stringify(name)}: ${failure.message}`);
      assert.match(failure.message, /`repositories\.0\.name`/, failure.message);
    }
    const project = (await orchd.client.request('project/create', { name: 'P', repositories: [{ path: repo, name: 'app.v2_x-y' }] })).project;
    assert.equal(project.repositories[0]!.name, 'app.v2_x-y');
    const other = repoWith();
    const failure = await orchd.client.failure('project/update', { projectId: project.id, addRepositories: [{ path: other, name: '..' }] });
    assert.equal(failure.code, -32602);
    assert.match(failure.message, /`addRepositories\.0\.name`/);
  });

  it('derives a safe name from a directory called `-rf` or `.foo`', async () => {
    const parent = scratch('orchd-names-');
    for (const name of ['-rf', '.foo', 'my repo!']) mkdirSync(join(parent, name));
    const dashed = makeRepo({ 'a.txt': 'a\n' }, join(parent, '-rf'));
    const dotted = makeRepo({ 'b.txt': 'b\n' }, join(parent, '.foo'));
    const spaced = makeRepo({ 'c.txt': 'c\n' }, join(parent, 'my repo!'));
    const project = (await orchd.client.request('project/create', { name: 'Derived', repositories: [{ path: dashed }, { path: dotted }, { path: spaced }] })).project;
    assert.deepEqual(
      project.repositories.map((r) => r.name),
      ['rf', 'foo', 'my-repo'],
    );
    const task = (await orchd.client.request('task/create', { projectId: project.id, title: 'derived names' })).task;
    const workspace = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
    for (const r of workspace.repositories) assert.equal(r.path, join(workspace.path, r.name));
    assert.ok(existsSync(join(workspace.path, 'rf', 'a.txt')));
    assert.ok(existsSync(join(workspace.path, 'foo', 'b.txt')));
  });

  it('refuses two repositories whose names would share one worktree directory', async () => {
    const a = repoWith();
    const b = repoWith();
    const same = await orchd.client.failure('project/create', { name: 'P', repositories: [{ path: a, name: 'app' }, { path: b, name: 'App' }] });
    assert.equal(same.data.kind, 'alreadyExists', same.message);
    assert.match(same.message, /`repositories\[1\]\.name`/);
    const project = (await orchd.client.request('project/create', { name: 'P', repositories: [{ path: a, name: 'app' }] })).project;
    const added = await orchd.client.failure('project/update', { projectId: project.id, addRepositories: [{ path: b, name: 'APP' }] });
    assert.equal(added.data.kind, 'alreadyExists', added.message);
  });

  it('a stored repository named `..` fails workspace/create without touching other workspaces', async () => {
    const repo = repoWith();
    const project = (await orchd.client.request('project/create', { name: 'Legacy', repositories: [{ path: repo, name: 'app' }] })).project;
    const first = (await orchd.client.request('workspace/create', { taskId: (await orchd.client.request('task/create', { projectId: project.id, title: 'keep me' })).task.id })).workspace;
    const keptFile = join(first.repositories[0]!.path, 'unsaved.txt');
    writeFileSync(keptFile, 'work in progress\n');
    const root = join(orchd.dataDir, 'worktrees');
    const before = readdirSync(root).sort();

    // A row written before names were checked.
    const engine = orchd.host.engine!;
    for (const badName of ['..', '.', '.git', '-rf']) {
      await engine.store.db.updateTable('repositories').set({ name: badName }).where('project_id', '=', project.id).execute();
      const task = (await orchd.client.request('task/create', { projectId: project.id, title: `bad ${badName}` })).task;
      const failure = await orchd.client.failure('workspace/create', { taskId: task.id });
      assert.equal(failure.data.kind, 'pathOutsideWorkspace', `${badName}: ${failure.message}`);
      assert.equal(readFileSync(keptFile, 'utf8'), 'work in progress\n', `the other workspace's unsaved file survives ${badName}`);
      assert.ok(git(repo, 'worktree', 'list').includes(first.repositories[0]!.path), 'the other worktree is still registered');
      assert.deepEqual(readdirSync(root).sort(), before, 'nothing was left behind under worktrees/');
    }
    assert.ok(existsSync(join(repo, 'README.md')), 'the main checkout is untouched');
  });

  it('never adds (or, on a retry, removes) a worktree at a path that already exists', async () => {
    const repo = repoWith();
    const engine = orchd.host.engine!;
    const deps = { locks: engine.locks, logger: engine.logger, dataDir: engine.dataDir };
    const taken = join(engine.dataDir, 'worktrees', 'zzzz0000-taken', 'app');
    mkdirSync(taken, { recursive: true });
    writeFileSync(join(taken, 'precious.txt'), 'keep\n');
    const baseOid = git(repo, 'rev-parse', 'HEAD');
    await assert.rejects(createWorktree(deps, { sourcePath: repo, worktreePath: taken, branch: 'orchd/zzzz0000-taken', baseOid }), (error: unknown) => isOrchdError(error, 'alreadyExists'));
    assert.equal(readFileSync(join(taken, 'precious.txt'), 'utf8'), 'keep\n');
    assert.equal(git(repo, 'branch', '--list', 'orchd/*'), '', 'no branch was made');
    for (const outside of [join(engine.dataDir, 'worktrees'), join(engine.dataDir, 'worktrees', 'zzzz0000-taken'), join(engine.dataDir, 'worktrees', 'ws', 'app', 'deep'), repo]) {
      await assert.rejects(createWorktree(deps, { sourcePath: repo, worktreePath: outside, branch: 'orchd/zzzz0000-x', baseOid }), (error: unknown) => isOrchdError(error, 'pathOutsideWorkspace'));
    }
    rmSync(join(engine.dataDir, 'worktrees', 'zzzz0000-taken'), { recursive: true, force: true });
  });
});

describe('hardening: copyFiles never leaves the repository or the worktree', () => {
  const workspaceFor = async (repo: string, copyFiles: string[]) => {
    const project = (await orchd.client.request('project/create', { name: 'Copy', repositories: [{ path: repo }], copyFiles })).project;
    const task = (await orchd.client.request('task/create', { projectId: project.id, title: 'copy files' })).task;
    return { project, task };
  };
  const worktreesLeft = () => (existsSync(join(orchd.dataDir, 'worktrees')) ? readdirSync(join(orchd.dataDir, 'worktrees')) : []);

  it('refuses to read through an untracked symlink that leads out of the repository', async () => {
    const outside = scratch('orchd-outside-');
    writeFileSync(join(outside, 'secret.txt'), 'not yours\n');
    writeFileSync(join(outside, 'secret.env'), 'not yours\n');
    const repo = repoWith({ 'README.md': '# r\n', '.gitignore': 'ulnk\n*.env\n' });
    symlinkSync(outside, join(repo, 'ulnk'));
    symlinkSync(join(outside, 'secret.env'), join(repo, 'evil.env'));
    const before = worktreesLeft();
    for (const [pattern, path] of [
      ['ulnk/secret.txt', 'ulnk/secret.txt'],
      ['*.env', 'evil.env'],
      ['evil.env', 'evil.env'],
    ] as const) {
      const { task } = await workspaceFor(repo, ['README.md', pattern]);
      const failure = await orchd.client.failure('workspace/create', { taskId: task.id });
      assert.equal(failure.data.kind, 'pathOutsideWorkspace', `${pattern}: ${failure.message}`);
      assert.equal(failure.data.field, 'copyFiles[1]');
      assert.equal(failure.data.path, pattern);
      assert.match(failure.message, new RegExp(`\`copyFiles\\[1\\]\`.*${path.replace('.', '\\.')}`));
      assert.deepEqual(worktreesLeft(), before, 'the failed workspace was removed');
    }
    // A glob never walks into a linked directory.
    const { task } = await workspaceFor(repo, ['**/*.txt']);
    const workspace = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
    assert.equal(existsSync(join(workspace.repositories[0]!.path, 'ulnk')), false);
  });

  it('refuses to write through a symlink committed in the branch', async () => {
    const outside = scratch('orchd-outside-write-');
    const repo = repoWith({ 'README.md': '# r\n' });
    symlinkSync(outside, join(repo, 'wlnk'));
    git(repo, 'add', 'wlnk');
    git(repo, 'commit', '-q', '-m', 'a link');
    // In the main checkout the link is replaced by a real directory holding the file to copy.
    rmSync(join(repo, 'wlnk'));
    mkdirSync(join(repo, 'wlnk'));
    writeFileSync(join(repo, 'wlnk', 'x.env'), 'X=1\n');
    const { task } = await workspaceFor(repo, ['wlnk/x.env']);
    const failure = await orchd.client.failure('workspace/create', { taskId: task.id });
    assert.equal(failure.data.kind, 'pathOutsideWorkspace', failure.message);
    assert.equal(failure.data.field, 'copyFiles[0]');
    assert.match(failure.message, /symbolic link/);
    assert.equal(existsSync(join(outside, 'x.env')), false, 'nothing was written outside the worktree');
  });

  it('copies committed symlinks to a tracked directory as links, with no internal error', async () => {
    const repo = repoWith({ 'README.md': '# r\n', 'sub/file.txt': 'tracked\n' });
    symlinkSync('sub', join(repo, 'dlnk'));
    symlinkSync(join(repo, 'sub'), join(repo, 'alnk'));
    git(repo, 'add', 'dlnk', 'alnk');
    git(repo, 'commit', '-q', '-m', 'dir links');
    const { task } = await workspaceFor(repo, ['dlnk', 'alnk/']);
    const workspace = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
    const wt = workspace.repositories[0]!.path;
    assert.equal(readlinkSync(join(wt, 'dlnk')), 'sub');
    assert.equal(readFileSync(join(wt, 'dlnk', 'file.txt'), 'utf8'), 'tracked\n');
    assert.equal(readlinkSync(join(wt, 'alnk')), join(repo, 'sub'), 'the checked-out link is left as git made it');
    // A path through the committed link would write through it.
    const through = await workspaceFor(repo, ['dlnk/file.txt']);
    const failure = await orchd.client.failure('workspace/create', { taskId: through.task.id });
    assert.equal(failure.data.kind, 'pathOutsideWorkspace', failure.message);
    assert.match(failure.message, /`dlnk` is a symbolic link/);
  });

  it('copies files, directories and in-repository links into real directories it creates', async () => {
    const repo = repoWith({ 'README.md': '# r\n', '.gitignore': 'config/local/\n.env\nsecrets/\n' });
    mkdirSync(join(repo, 'config', 'local'), { recursive: true });
    writeFileSync(join(repo, 'config', 'local', 'dev.env'), 'DEV=1\n');
    symlinkSync('config/local/dev.env', join(repo, '.env'));
    mkdirSync(join(repo, 'secrets', 'deep'), { recursive: true });
    writeFileSync(join(repo, 'secrets', 'deep', 'key.txt'), 'k\n');
    symlinkSync('key.txt', join(repo, 'secrets', 'deep', 'alias.txt'));
    const { task } = await workspaceFor(repo, ['config/local/dev.env', '.env', 'secrets', 'missing/none.txt']);
    const workspace = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
    const wt = workspace.repositories[0]!.path;
    assert.equal(readFileSync(join(wt, 'config', 'local', 'dev.env'), 'utf8'), 'DEV=1\n');
    assert.ok(lstatSync(join(wt, 'config', 'local')).isDirectory());
    assert.equal(readlinkSync(join(wt, '.env')), 'config/local/dev.env');
    assert.equal(readFileSync(join(wt, '.env'), 'utf8'), 'DEV=1\n');
    assert.equal(readFileSync(join(wt, 'secrets', 'deep', 'key.txt'), 'utf8'), 'k\n');
    assert.equal(readlinkSync(join(wt, 'secrets', 'deep', 'alias.txt')), 'key.txt');
  });

  it('refuses patterns that leave the repository when the project is saved', async () => {
    const repo = repoWith();
    for (const pattern of ['../x.env', '/etc/passwd', '.git/config', 'a/../../b']) {
      const failure = await orchd.client.failure('project/create', { name: 'P', repositories: [{ path: repo }], copyFiles: ['.env', pattern] });
      assert.equal(failure.data.kind, 'pathOutsideWorkspace', failure.message);
      assert.equal(failure.data.field, 'copyFiles[1]');
      assert.equal(failure.data.path, pattern);
    }
    const project = (await orchd.client.request('project/create', { name: 'P', repositories: [{ path: repo }] })).project;
    const failure = await orchd.client.failure('project/update', { projectId: project.id, copyFiles: ['..'] });
    assert.equal(failure.data.field, 'copyFiles[0]');
  });

  it('refuses a directory copy that holds a link out of the repository', async () => {
    const outside = scratch('orchd-outside-dir-');
    const repo = repoWith({ 'README.md': '# r\n', '.gitignore': 'secrets/\n' });
    mkdirSync(join(repo, 'secrets'));
    writeFileSync(join(repo, 'secrets', 'ok.txt'), 'ok\n');
    symlinkSync(outside, join(repo, 'secrets', 'escape'));
    const { task } = await workspaceFor(repo, ['secrets']);
    const failure = await orchd.client.failure('workspace/create', { taskId: task.id });
    assert.equal(failure.data.kind, 'pathOutsideWorkspace', failure.message);
    assert.equal(failure.data.field, 'copyFiles[0]');
    assert.match(failure.message, /secrets\/escape/);
  });
});

describe('hardening: scripts name known repositories', () => {
  it('refuses an unknown repository in setup, cleanup, archive and devServer at create and update', async () => {
    const api = repoWith();
    const web = repoWith();
    const repositories = [
      { path: api, name: 'api' },
      { path: web, name: 'web' },
    ];
    const cases: [Record<string, unknown>, string][] = [
      [{ setup: [{ command: 'true', repository: 'api' }, { command: 'true', repository: '../..' }] }, 'scripts.setup[1].repository'],
      [{ cleanup: [{ command: 'true', repository: 'nope' }] }, 'scripts.cleanup[0].repository'],
      [{ archive: [{ command: 'true', repository: '' }] }, 'scripts.archive[0].repository'],
      [{ devServer: { command: 'true', repository: 'API' } }, 'scripts.devServer.repository'],
    ];
    for (const [scripts, field] of cases) {
      const failure = await orchd.client.failure('project/create', { name: 'S', repositories, scripts });
      assert.equal(failure.code, -32602, failure.message);
      assert.equal(failure.data.kind, 'invalidParams');
      assert.equal(failure.data.field, field);
      assert.ok(failure.message.includes(`\`${field}\``), failure.message);
      assert.match(failure.message, /`api`, `web`/);
      assert.deepEqual(failure.data.known, ['api', 'web']);
    }
    const project = (await orchd.client.request('project/create', { name: 'S', repositories, scripts: { setup: [{ command: 'true', repository: 'web' }], devServer: { command: 'true', repository: 'api' } } })).project;
    const update = await orchd.client.failure('project/update', { projectId: project.id, scripts: { setup: [{ command: 'true', repository: '../..' }] } });
    assert.equal(update.data.field, 'scripts.setup[0].repository');
    assert.equal(update.data.value, '../..');

    // Removing a repository that a script still names.
    const webId = project.repositories.find((r) => r.name === 'web')!.id;
    const removal = await orchd.client.failure('project/update', { projectId: project.id, removeRepositoryIds: [webId] });
    assert.equal(removal.data.kind, 'invalidParams', removal.message);
    assert.equal(removal.data.field, 'removeRepositoryIds[0]');
    assert.match(removal.message, /`scripts\.setup\[0\]\.repository`/);
    // Allowed when the same update stops naming it.
    const updated = (await orchd.client.request('project/update', { projectId: project.id, removeRepositoryIds: [webId], scripts: { setup: [{ command: 'true' }], devServer: { command: 'true', repository: 'api' } } })).project;
    assert.deepEqual(
      updated.repositories.map((r) => r.name),
      ['api'],
    );
  });
  it('a stored script naming a repository that does not exist fails instead of running in the first one', async () => {
    const api = repoWith();
    const project = (await orchd.client.request('project/create', { name: 'Legacy scripts', repositories: [{ path: api, name: 'api' }] })).project;
    const task = (await orchd.client.request('task/create', { projectId: project.id, title: 'legacy' })).task;
    const workspace = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
    // A row written before script repositories were checked.
    const marker = join(workspace.repositories[0]!.path, 'ran-here');
    // (Since issue 14 a project's scripts live in its configuration layer, the `config` column.)
    const scripts = { setup: [{ command: `touch ${marker}`, repository: '../..' }] };
    await orchd.host.engine!.store.db.updateTable('projects').set({ config: JSON.stringify({ scripts }) }).where('id', '=', project.id).execute();
    const failure = await orchd.client.failure('workspace/runScript', { workspaceId: workspace.id, kind: 'setupScript' });
    assert.equal(failure.data.kind, 'invalidState', failure.message);
    assert.match(failure.message, /`repository`.*`api`.*got `\.\.\/\.\.`/);
    assert.equal(existsSync(marker), false, 'the script did not run in the first repository');
  });
});
