import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Workspace } from '../../protocol/workspace.js';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { git, makeRepo } from '../support/repo.js';

describe('workspaces (in-process, real git)', () => {
  let orchd: InProcessOrchd;
  let repo: string;
  let projectId: string;

  const newTask = async (title: string) => (await orchd.client.request('task/create', { projectId, title })).task.id;
  const edit = (workspace: Workspace, file: string, content: string) => writeFileSync(join(workspace.repositories[0]!.path, file), content);

  before(async () => {
    orchd = inProcessOrchd();
    await orchd.client.initialize();
    repo = realpathSync(makeRepo({ 'README.md': '# demo\n', 'shared.txt': 'line 1\nline 2\nline 3\n', '.gitignore': '.env\n' }));
    writeFileSync(join(repo, '.env'), 'SECRET=1\n');
    projectId = (await orchd.client.request('project/create', { name: 'WS', repositories: [{ path: repo }], copyFiles: ['.env', 'missing.txt'] })).project.id;
  });
  after(async () => {
    await orchd.close();
    rmSync(repo, { recursive: true, force: true });
  });

  it('creates workspaces in parallel on one repository, each on its own branch, task in progress', async () => {
    const [taskA, taskB] = await Promise.all([newTask('Add feature A'), newTask('Add feature B!')]);
    const [a, b] = await Promise.all([orchd.client.request('workspace/create', { taskId: taskA }).then((r) => r.workspace), orchd.client.request('workspace/create', { taskId: taskB }).then((r) => r.workspace)]);
    for (const ws of [a, b]) {
      assert.equal(ws.state, 'active');
      assert.match(ws.branch, /^orchd\/[0-9a-z]{8}-add-feature-[ab]$/);
      const worktree = ws.repositories[0]!.path;
      assert.ok(worktree.startsWith(join(orchd.dataDir, 'worktrees')), worktree);
      assert.equal(git(worktree, 'branch', '--show-current'), ws.branch);
      assert.equal(readFileSync(join(worktree, '.env'), 'utf8'), 'SECRET=1\n', 'configured files are copied');
      assert.equal(ws.repositories[0]!.baseBranch, 'main');
    }
    assert.equal((await orchd.client.request('task/get', { taskId: taskA })).task.status, 'inProgress');
    assert.equal(git(repo, 'branch', '--show-current'), 'main', 'the main checkout is untouched');
    const listed = await orchd.client.request('workspace/list', { projectId });
    assert.ok(listed.workspaces.length >= 2);
  });

  it('diffs, commits, merges one cleanly and reports the other as a conflict without touching main', async () => {
    const a = (await orchd.client.request('workspace/create', { taskId: await newTask('Edit top') })).workspace;
    const b = (await orchd.client.request('workspace/create', { taskId: await newTask('Edit top too') })).workspace;
    edit(a, 'shared.txt', 'line 1 from A\nline 2\nline 3\n');
    edit(a, 'new-a.txt', 'hello\n');
    edit(b, 'shared.txt', 'line 1 from B\nline 2\nline 3\n');

    const diff = await orchd.client.request('workspace/diff', { workspaceId: a.id, path: 'shared.txt' });
    assert.deepEqual(
      diff.repositories[0]!.files.map((f) => [f.path, f.status]).sort(),
      [
        ['new-a.txt', 'added'],
        ['shared.txt', 'modified'],
      ],
    );
    assert.equal(diff.stats.files, 2);
    assert.match(diff.repositories[0]!.text ?? '', /\+line 1 from A/);

    const dirty = await orchd.client.failure('workspace/merge', { workspaceId: a.id });
    assert.equal(dirty.data.kind, 'dirtyWorkingTree');

    const commitA = await orchd.client.request('workspace/commit', { workspaceId: a.id, message: 'A edits' });
    assert.match(commitA.commits[0]!.oid ?? '', /^[0-9a-f]{40}$/);
    await orchd.client.request('workspace/commit', { workspaceId: b.id, message: 'B edits' });
    const none = await orchd.client.request('workspace/commit', { workspaceId: a.id, message: 'nothing' });
    assert.equal(none.commits[0]!.oid, null);

    const mainBefore = git(repo, 'rev-parse', 'main');
    const merged = await orchd.client.request('workspace/merge', { workspaceId: a.id, strategy: 'squash' });
    assert.equal(merged.merged, true);
    assert.notEqual(git(repo, 'rev-parse', 'main'), mainBefore);
    assert.equal(readFileSync(join(repo, 'shared.txt'), 'utf8'), 'line 1 from A\nline 2\nline 3\n', 'the clean main checkout was fast-forwarded');
    assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=no'), '');
    assert.equal((await orchd.client.request('task/get', { taskId: a.taskId })).task.status, 'done');

    const mainAfterA = git(repo, 'rev-parse', 'main');
    const conflict = await orchd.client.request('workspace/merge', { workspaceId: b.id, strategy: 'merge' });
    assert.equal(conflict.merged, false);
    if (!conflict.merged) assert.deepEqual(conflict.conflicts[0]!.files, ['shared.txt']);
    assert.equal(git(repo, 'rev-parse', 'main'), mainAfterA, 'a conflicting merge changes nothing');
    assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=no'), '');
    assert.equal((await orchd.client.request('workspace/get', { workspaceId: b.id })).workspace.state, 'active');

    // Rebase b onto the new main: it conflicts too, is aborted, and leaves b's branch as it was.
    const bHead = git(b.repositories[0]!.path, 'rev-parse', 'HEAD');
    const rebased = await orchd.client.request('workspace/rebase', { workspaceId: b.id });
    assert.equal(rebased.rebased, false);
    assert.equal(git(b.repositories[0]!.path, 'rev-parse', 'HEAD'), bHead);
    assert.equal(git(b.repositories[0]!.path, 'status', '--porcelain'), '');
  });

  it('rebases a workspace onto a moved base and merges with a merge commit', async () => {
    const ws = (await orchd.client.request('workspace/create', { taskId: await newTask('Separate file') })).workspace;
    edit(ws, 'separate.txt', 'mine\n');
    await orchd.client.request('workspace/commit', { workspaceId: ws.id, message: 'separate' });
    writeFileSync(join(repo, 'README.md'), '# demo, moved on\n');
    git(repo, 'commit', '-qam', 'main moves on');
    const rebased = await orchd.client.request('workspace/rebase', { workspaceId: ws.id });
    assert.equal(rebased.rebased, true);
    const worktree = ws.repositories[0]!.path;
    assert.equal(git(worktree, 'merge-base', 'HEAD', 'main'), git(repo, 'rev-parse', 'main'));
    const merged = await orchd.client.request('workspace/merge', { workspaceId: ws.id, strategy: 'merge' });
    assert.equal(merged.merged, true);
    assert.equal(git(repo, 'log', '-1', '--format=%P', 'main').split(' ').length, 2, 'a merge commit has two parents');
    assert.ok(existsSync(join(repo, 'separate.txt')));
  });

  it('refuses to delete uncommitted work unless forced; deletes with and without branches', async () => {
    const keep = (await orchd.client.request('workspace/create', { taskId: await newTask('Keep branch') })).workspace;
    edit(keep, 'wip.txt', 'unsaved\n');
    const refused = await orchd.client.failure('workspace/delete', { workspaceId: keep.id });
    assert.equal(refused.data.kind, 'dirtyWorkingTree');
    assert.ok(existsSync(join(keep.repositories[0]!.path, 'wip.txt')), 'nothing was removed');
    await orchd.client.request('workspace/delete', { workspaceId: keep.id, force: true });
    assert.equal(existsSync(keep.path), false);
    assert.equal(git(repo, 'branch', '--list', keep.branch), keep.branch, 'branch kept');

    const drop = (await orchd.client.request('workspace/create', { taskId: await newTask('Drop branch') })).workspace;
    await orchd.client.request('workspace/delete', { workspaceId: drop.id, deleteBranches: true });
    assert.equal(git(repo, 'branch', '--list', drop.branch), '');
    assert.equal((await orchd.client.failure('workspace/get', { workspaceId: drop.id })).data.kind, 'notFound');
    assert.ok(existsSync(join(repo, 'README.md')), 'the main checkout is intact');
    assert.ok(!git(repo, 'worktree', 'list').includes(drop.path));
  });

  it('refuses base branches that would be options or that git rejects, and ones that do not exist', async () => {
    const taskId = await newTask('Injection');
    for (const baseBranch of ['--upload-pack=evil', '-b', 'a..b', 'x.lock', 'has space', 'HEAD~1']) {
      const failure = await orchd.client.failure('workspace/create', { taskId, baseBranch });
      assert.equal(failure.data.kind, 'invalidRef', baseBranch);
      assert.match(failure.message, /`baseBranch`/);
    }
    const missing = await orchd.client.failure('workspace/create', { taskId, baseBranch: 'mian' });
    assert.equal(missing.data.kind, 'branchNotFound');
    assert.match(missing.message, /`mian`/);
    assert.deepEqual((await orchd.client.request('workspace/list', { taskId })).workspaces, [], 'no half-made workspace is left');
  });

  it('serves git/* for a workspace and for the main checkout', async () => {
    const ws = (await orchd.client.request('workspace/create', { taskId: await newTask('Git views') })).workspace;
    edit(ws, 'README.md', '# changed\n');
    const state = await orchd.client.request('git/status', { workspaceId: ws.id });
    assert.equal(state.branch, ws.branch);
    assert.deepEqual(
      state.unstaged.map((e) => e.path),
      ['README.md'],
    );
    const repositoryId = ws.repositories[0]!.repositoryId;
    const mainLog = await orchd.client.request('git/log', { repositoryId, limit: 2 });
    assert.equal(mainLog.commits.length, 2);
    const branches = await orchd.client.request('git/branches', { repositoryId });
    assert.equal(branches.current, 'main');
    const shown = await orchd.client.request('git/show', { repositoryId, ref: 'main' });
    assert.equal(shown.commit.oid, git(repo, 'rev-parse', 'main'));
    const diff = await orchd.client.request('git/diff', { workspaceId: ws.id, path: 'README.md' });
    assert.match(diff.text ?? '', /\+# changed/);
    const usage = await orchd.client.request('workspace/diskUsage', { workspaceId: ws.id });
    assert.ok(usage.bytes > 0 && usage.repositories[0]!.files > 0);
    const bad = await orchd.client.failure('git/log', { repositoryId, ref: '--output=/tmp/x' });
    assert.equal(bad.data.kind, 'invalidRef');
  });

  it('emits workspace events in order', async () => {
    const sub = await orchd.client.request('events/subscribe', { filter: { kinds: ['workspace/*'] } });
    const ws = (await orchd.client.request('workspace/create', { taskId: await newTask('Evented') })).workspace;
    await orchd.client.request('workspace/delete', { workspaceId: ws.id });
    const events = await orchd.client.eventsUpTo(sub.subscriptionId, sub.currentSeq + 1);
    // Events arrive in seq order: once the deletion is in, everything before it is too.
    await orchd.client.waitFor('events/event', (p) => p.subscriptionId === sub.subscriptionId && p.event.kind === 'workspace/deleted' && p.event.workspaceId === ws.id);
    const kinds = orchd.client
      .events(sub.subscriptionId)
      .filter((e) => e.workspaceId === ws.id)
      .map((e) => e.kind);
    assert.ok(events.length > 0);
    assert.deepEqual(kinds, ['workspace/created', 'workspace/updated', 'workspace/updated', 'workspace/deleted']);
  });
});
