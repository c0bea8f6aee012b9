// fs/watch end to end over real stdio against the built binary: a file changed by an outside process reaches the host
// as `fs/changed`, the live diff as `workspace/diffChanged`, daemon/status counts the watch, and deleting the workspace
// ends it with `fs/watchEnded`. The in-process suite (test/inproc/files-watch.test.ts) covers the rest.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { realpathSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { spawnOrchd, type SpawnedOrchd } from '../support/client.js';
import { makeRepo } from '../support/repo.js';

describe('fs/watch (e2e, real stdio)', () => {
  let orchd: SpawnedOrchd;
  let repo: string;
  before(async () => {
    orchd = spawnOrchd();
    await orchd.client.initialize();
    repo = realpathSync(makeRepo({ 'README.md': '# watched\n', '.gitignore': 'build/\n' }));
  });
  after(async () => {
    await orchd.close();
    rmSync(repo, { recursive: true, force: true });
  });

  it('reports an outside write, follows the diff, and ends the watch when the workspace is deleted', async () => {
    const { client } = orchd;
    const project = (await client.request('project/create', { name: 'E2E watch', repositories: [{ path: repo }] })).project;
    const task = (await client.request('task/create', { projectId: project.id, title: 'Watch me' })).task;
    const workspace = (await client.request('workspace/create', { taskId: task.id })).workspace;
    const worktree = workspace.repositories[0]!.path;

    const { watchId } = await client.request('fs/watch', { workspaceId: workspace.id });
    assert.deepEqual((await client.request('daemon/status')).daemon.watches, { watchers: 1, watches: 1 });
    await client.waitFor('workspace/diffChanged', (p) => p.workspaceId === workspace.id && p.stats.files === 0);

    // Another process writes: an ignored build output first, then a source file.
    execFileSync('sh', ['-c', 'mkdir -p build && echo out > build/app.bin && printf "a\\nb\\n" > feature.txt'], { cwd: worktree });
    const changed = await client.waitFor('fs/changed', (p) => p.watchId === watchId && p.changes.some((c: { path: string }) => c.path === 'feature.txt'));
    assert.deepEqual(
      changed.changes.filter((c: { path: string }) => c.path === 'feature.txt'),
      [{ repositoryId: workspace.repositories[0]!.repositoryId, path: 'feature.txt', type: 'created' }],
    );
    const seen = client.notifications.filter((n) => n.method === 'fs/changed' && n.params.watchId === watchId).flatMap((n) => n.params.changes.map((c: { path: string }) => c.path));
    assert.ok(!seen.some((p: string) => p.startsWith('build')), `ignored build output stays quiet: ${JSON.stringify(seen)}`);
    const diff = await client.waitFor('workspace/diffChanged', (p) => p.workspaceId === workspace.id && p.stats.files === 1);
    assert.deepEqual(diff.stats, { files: 1, additions: 2, deletions: 0 });

    await client.request('workspace/delete', { workspaceId: workspace.id, force: true });
    const ended = await client.waitFor('fs/watchEnded', (p) => p.watchId === watchId);
    assert.equal(ended.reason, 'workspace deleted');
    assert.deepEqual((await client.request('daemon/status')).daemon.watches, { watchers: 0, watches: 0 });
    assert.deepEqual(orchd.frames.problems, []);
  });
});
