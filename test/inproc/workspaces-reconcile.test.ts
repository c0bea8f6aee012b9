import assert from 'node:assert/strict';
import { existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../support/client.js';
import { inProcessOrchd } from '../support/inproc.js';
import { git, makeRepo } from '../support/repo.js';

describe('workspace reconciliation at start-up', () => {
  it('restores a vanished worktree, archives one whose branch is gone, removes orphan directories', async () => {
    const dataDir = tempDir();
    const repo = realpathSync(makeRepo());
    try {
      const first = inProcessOrchd({ dataDir });
      await first.client.initialize();
      const project = (await first.client.request('project/create', { name: 'R', repositories: [{ path: repo }] })).project;
      const taskA = (await first.client.request('task/create', { projectId: project.id, title: 'restore me' })).task;
      const taskB = (await first.client.request('task/create', { projectId: project.id, title: 'lose me' })).task;
      const a = (await first.client.request('workspace/create', { taskId: taskA.id })).workspace;
      const b = (await first.client.request('workspace/create', { taskId: taskB.id })).workspace;
      writeFileSync(join(a.repositories[0]!.path, 'committed.txt'), 'kept\n');
      await first.client.request('workspace/commit', { workspaceId: a.id, message: 'keep this' });
      await first.close();

      // Behind orchd's back: delete a's worktree directory, delete b's worktree and branch, leave an orphan directory.
      rmSync(a.path, { recursive: true, force: true });
      rmSync(b.path, { recursive: true, force: true });
      git(repo, 'worktree', 'prune');
      git(repo, 'branch', '-D', b.branch);
      const orphan = join(dataDir, 'worktrees', 'zzzzzzzz-orphan');
      mkdirSync(orphan, { recursive: true });
      writeFileSync(join(orphan, 'junk.txt'), 'junk');

      const second = inProcessOrchd({ dataDir });
      await second.client.initialize();
      const restored = (await second.client.request('workspace/get', { workspaceId: a.id })).workspace;
      assert.equal(restored.state, 'active');
      assert.ok(existsSync(join(a.repositories[0]!.path, 'committed.txt')), 'the worktree is back on its branch with its commit');
      assert.equal(git(a.repositories[0]!.path, 'branch', '--show-current'), a.branch);
      assert.equal((await second.client.request('workspace/get', { workspaceId: b.id })).workspace.state, 'archived');
      assert.equal(existsSync(orphan), false);
      assert.ok(existsSync(join(repo, 'README.md')), 'the main checkout is untouched');

      // The whole log up to now, so the count is exact: reconciliation happened before the subscription started.
      const sub = await second.client.request('events/subscribe', { sinceSeq: 0 });
      const events = (await second.client.eventsUpTo(sub.subscriptionId, sub.currentSeq)).filter((e) => e.kind === 'workspace/reconciled');
      assert.deepEqual(events.map((e) => (e.data as { action: string }).action).sort(), ['archivedMissing', 'removedOrphanDirectory', 'restoredWorktree']);
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
