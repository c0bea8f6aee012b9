import assert from 'node:assert/strict';
import { existsSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { git, makeRepo } from '../support/repo.js';

describe('long workspace operations: progress and cancellation', () => {
  let orchd: InProcessOrchd;
  let repo: string;
  let projectId: string;
  before(async () => {
    orchd = inProcessOrchd();
    await orchd.client.initialize({ capabilities: { progress: true } });
    const files: Record<string, string> = {};
    for (let i = 0; i < 4000; i++) files[`src/dir${i % 40}/file${i}.txt`] = `content ${i}\n`;
    repo = realpathSync(makeRepo(files));
    projectId = (await orchd.client.request('project/create', { name: 'Big', repositories: [{ path: repo }] })).project.id;
  });
  after(async () => {
    await orchd.close();
    rmSync(repo, { recursive: true, force: true });
  });

  it('reports $/progress begin, report and end for a request that carries a progressToken', async () => {
    const taskId = (await orchd.client.request('task/create', { projectId, title: 'with progress' })).task.id;
    await orchd.client.request('workspace/create', { taskId, progressToken: 'p-1' });
    await orchd.client.waitFor('$/progress', (p) => p.token === 'p-1' && p.value.kind === 'end');
    const values = orchd.client.notifications.filter((n) => n.method === '$/progress' && n.params.token === 'p-1').map((n) => n.params.value.kind);
    assert.deepEqual(values, ['begin', 'report', 'end']);
  });

  it('honours $/cancelRequest: the request fails with `cancelled` and leaves no workspace, worktree or branch', async () => {
    const taskId = (await orchd.client.request('task/create', { projectId, title: 'cancel me' })).task.id;
    const source = new CancellationTokenSource();
    const pending = orchd.client.connection.sendRequest('workspace/create', { taskId }, source.token);
    setImmediate(() => source.cancel());
    const error = await pending.then(
      () => assert.fail('expected the request to be cancelled'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ResponseError);
    assert.equal(error.code, -32800);
    assert.equal((error.data as { kind: string }).kind, 'cancelled');
    assert.deepEqual((await orchd.client.request('workspace/list', { taskId })).workspaces, []);
    assert.equal(git(repo, 'branch', '--list', 'orchd/*-cancel-me'), '');
    const root = join(orchd.dataDir, 'worktrees');
    const leftovers = existsSync(root) ? readdirSync(root).filter((d) => d.endsWith('cancel-me')) : [];
    assert.deepEqual(leftovers, []);
  });
});
