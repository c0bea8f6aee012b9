import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../support/client.js';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { makeRepo } from '../support/repo.js';

describe('projects and tasks (in-process)', () => {
  let orchd: InProcessOrchd;
  let repoA: string;
  let repoB: string;
  before(async () => {
    orchd = inProcessOrchd();
    await orchd.client.initialize();
    repoA = realpathSync(makeRepo({ 'src/a.ts': 'export {};\n' }));
    repoB = realpathSync(makeRepo());
  });
  after(async () => {
    await orchd.close();
    rmSync(repoA, { recursive: true, force: true });
    rmSync(repoB, { recursive: true, force: true });
  });

  it('creates a project, storing each repository top level and defaults', async () => {
    const project = (await orchd.client.request('project/create', { name: 'Demo', repositories: [{ path: join(repoA, 'src') }] })).project;
    assert.match(project.id, /^prj_/);
    assert.equal(project.repositories.length, 1);
    assert.equal(project.repositories[0]!.path, repoA);
    assert.equal(project.settings.autoCommit, true);
    assert.equal(project.settings.branchPrefix, 'orchd');
    assert.deepEqual(project.scripts.setup, []);
    const got = (await orchd.client.request('project/get', { projectId: project.id })).project;
    assert.deepEqual(got, project);
  });

  it('refuses a missing path and a directory that is not a repository, naming the field', async () => {
    const missing = await orchd.client.failure('project/create', { name: 'x', repositories: [{ path: '/definitely/not/here' }] });
    assert.equal(missing.data.kind, 'pathNotFound');
    assert.match(missing.message, /`repositories\[0\]\.path`.*`\/definitely\/not\/here`/);
    const plain = tempDir();
    mkdirSync(join(plain, 'sub'));
    const notRepo = await orchd.client.failure('project/create', { name: 'x', repositories: [{ path: plain }] });
    assert.equal(notRepo.data.kind, 'notAGitRepository');
    rmSync(plain, { recursive: true, force: true });
  });

  it('refuses the same repository twice in one project', async () => {
    const failure = await orchd.client.failure('project/create', { name: 'x', repositories: [{ path: repoA }, { path: repoA, name: 'again' }] });
    assert.equal(failure.data.kind, 'alreadyExists');
  });

  it('updates name, repositories, scripts and settings', async () => {
    const project = (await orchd.client.request('project/create', { name: 'Up', repositories: [{ path: repoA }] })).project;
    const updated = (await orchd.client.request('project/update', {
      projectId: project.id,
      name: 'Up2',
      addRepositories: [{ path: repoB, name: 'second' }],
      scripts: { setup: [{ command: 'npm ci' }], setupMode: 'parallel', cleanup: [], archive: [], devServer: { command: 'npm run dev' } },
      settings: { autoCommit: false, branchPrefix: 'agents' },
    })).project;
    assert.equal(updated.name, 'Up2');
    assert.deepEqual(
      updated.repositories.map((r) => r.name),
      [project.repositories[0]!.name, 'second'],
    );
    assert.equal(updated.settings.autoCommit, false);
    assert.equal(updated.scripts.devServer?.command, 'npm run dev');
    const removed = (await orchd.client.request('project/update', { projectId: project.id, removeRepositoryIds: [project.repositories[0]!.id] })).project;
    assert.deepEqual(
      removed.repositories.map((r) => r.name),
      ['second'],
    );
    const none = await orchd.client.failure('project/update', { projectId: project.id, removeRepositoryIds: [removed.repositories[0]!.id] });
    assert.equal(none.data.kind, 'invalidState');
  });

  it('runs tasks through the status machine', async () => {
    const project = (await orchd.client.request('project/create', { name: 'Tasks', repositories: [{ path: repoB }] })).project;
    const task = (await orchd.client.request('task/create', { projectId: project.id, title: '  Fix the bug  ', description: 'details' })).task;
    assert.equal(task.status, 'todo');
    assert.equal(task.title, 'Fix the bug');
    const bad = await orchd.client.failure('task/update', { taskId: task.id, status: 'done' });
    assert.equal(bad.data.kind, 'invalidTransition');
    assert.deepEqual(bad.data.allowed, ['inProgress', 'cancelled']);
    assert.match(bad.message, /`todo`.*`done`/);
    const moving = (await orchd.client.request('task/update', { taskId: task.id, status: 'inProgress' })).task;
    assert.equal(moving.status, 'inProgress');
    const listed = await orchd.client.request('task/list', { projectId: project.id, status: ['inProgress'] });
    assert.deepEqual(
      listed.tasks.map((t) => t.id),
      [task.id],
    );
    assert.deepEqual(await orchd.client.request('task/delete', { taskId: task.id }), { ok: true });
    const gone = await orchd.client.failure('task/get', { taskId: task.id });
    assert.equal(gone.data.kind, 'notFound');
    assert.equal(gone.data.entity, 'task');
  });

  it('names unknown ids', async () => {
    const failure = await orchd.client.failure('task/create', { projectId: 'prj_nope', title: 'x' });
    assert.equal(failure.code, -33010);
    assert.equal(failure.data.kind, 'notFound');
    assert.match(failure.message, /Expected `projectId` to name an existing project, got `prj_nope`/);
  });

  it('deletes a project with its tasks', async () => {
    const project = (await orchd.client.request('project/create', { name: 'Gone', repositories: [{ path: repoB }] })).project;
    const task = (await orchd.client.request('task/create', { projectId: project.id, title: 't' })).task;
    await orchd.client.request('project/delete', { projectId: project.id });
    assert.equal((await orchd.client.failure('task/get', { taskId: task.id })).data.kind, 'notFound');
    assert.equal((await orchd.client.failure('project/get', { projectId: project.id })).data.kind, 'notFound');
  });
});
