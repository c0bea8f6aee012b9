// fs/watch on real worktrees (in-process): files written by this process and by child processes are reported with the
// right type, coalesced, filtered by globs and by .gitignore, never from `.git`; watches share one watcher per
// workspace, end with their connection and their workspace; the live diff follows the files and a scripted agent.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FSWatcher } from 'node:fs';
import type { FileChange } from '../../protocol/fs.js';
import type { Workspace } from '../../protocol/workspace.js';
import type { WorkspaceWatcher } from '../../src/files/watcher.js';
import { CHAIN_MS } from '../support/bounds.js';
import { startAgentFixture, stopAgentFixture, type AgentFixture } from '../support/inproc.js';
import { attachExtraClient } from '../support/multi-client.js';
import { git, makeRepo } from '../support/repo.js';
import { waitUntil } from '../support/wait.js';

type Note = { method: string; params: any };

describe('fs/watch (in-process, real worktrees)', () => {
  let fixture: AgentFixture;
  let projectId: string;
  /** A project of the first repository alone: an agent's cwd is then that worktree. */
  let soloProjectId: string;
  let extraRepo: string;

  before(async () => {
    fixture = await startAgentFixture();
    const repo = fixture.repo;
    mkdirSync(join(repo, 'src'), { recursive: true });
    writeFileSync(join(repo, 'src', 'main.ts'), 'export const main = 1;\n');
    writeFileSync(join(repo, 'notes.txt'), 'one\ntwo\nthree\n');
    writeFileSync(join(repo, '.gitignore'), 'node_modules/\n*.log\ndist/\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'sources');
    extraRepo = makeRepo({ 'lib.txt': 'lib\n' });
    projectId = (await fixture.orchd.client.request('project/create', { name: 'Watch', repositories: [{ path: repo, name: 'app' }, { path: extraRepo, name: 'lib' }] })).project.id;
    soloProjectId = (await fixture.orchd.client.request('project/create', { name: 'Watch solo', repositories: [{ path: repo, name: 'app' }] })).project.id;
  });
  after(async () => {
    await stopAgentFixture(fixture);
    rmSync(extraRepo, { recursive: true, force: true });
  });

  const client = () => fixture.orchd.client;
  const newWorkspace = async (title: string, inProject = projectId): Promise<{ workspace: Workspace; path: string }> => {
    const task = (await client().request('task/create', { projectId: inProject, title })).task;
    const workspace = (await client().request('workspace/create', { taskId: task.id })).workspace;
    return { workspace, path: workspace.repositories[0]!.path };
  };
  const counts = async () => (await client().request('daemon/status')).daemon.watches;
  /** Notifications of `method` after `mark` (an index into the client's notifications). */
  const since = (mark: number, method: string): Note[] => client().notifications.slice(mark).filter((n) => n.method === method);
  /** Every change sent to `watchId` after `mark`, in order. */
  const changesOf = (watchId: string, mark: number): FileChange[] => since(mark, 'fs/changed').filter((n) => n.params.watchId === watchId).flatMap((n) => n.params.changes as FileChange[]);
  /** Wait until the changes sent to `watchId` after `mark` include `path` (with `type`, if given). */
  const waitForChange = async (watchId: string, mark: number, path: string, type?: FileChange['type']): Promise<FileChange[]> => {
    await waitUntil(() => changesOf(watchId, mark).some((c) => c.path === path && (!type || c.type === type)), `fs/changed for ${path}${type ? ` (${type})` : ''} on ${watchId}`);
    return changesOf(watchId, mark);
  };
  const watch = async (params: Record<string, unknown>) => (await client().request('fs/watch', params as never)).watchId;
  /** The watcher of a workspace (white-box: which directories it watches, and its directories' real fs.watch handles). */
  const watcherOf = (workspaceId: string) => {
    const registry = fixture.orchd.host.engine!.watches as unknown as { workspaces: Map<string, { watcher: WorkspaceWatcher }> };
    return registry.workspaces.get(workspaceId)!.watcher;
  };

  it('reports files written by this process and by a child shell as created, changed, deleted, with the repository', async () => {
    const { workspace, path } = await newWorkspace('Types');
    const watchId = await watch({ workspaceId: workspace.id, diff: false });
    const app = workspace.repositories[0]!.repositoryId;

    let mark = client().notifications.length;
    writeFileSync(join(path, 'new.txt'), 'hello\n');
    const created = await waitForChange(watchId, mark, 'new.txt');
    assert.deepEqual(created.find((c) => c.path === 'new.txt'), { repositoryId: app, path: 'new.txt', type: 'created' });

    mark = client().notifications.length;
    writeFileSync(join(path, 'new.txt'), 'hello again\n');
    await waitForChange(watchId, mark, 'new.txt', 'changed');

    mark = client().notifications.length;
    execFileSync('sh', ['-c', 'echo x > shell.txt'], { cwd: path });
    await waitForChange(watchId, mark, 'shell.txt', 'created');

    mark = client().notifications.length;
    execFileSync('sh', ['-c', 'echo y >> src/main.ts'], { cwd: path });
    await waitForChange(watchId, mark, 'src/main.ts', 'changed');

    mark = client().notifications.length;
    unlinkSync(join(path, 'new.txt'));
    await waitForChange(watchId, mark, 'new.txt', 'deleted');

    // The second repository's worktree is watched too, its paths relative to it.
    const lib = workspace.repositories[1]!;
    mark = client().notifications.length;
    writeFileSync(join(lib.path, 'lib.txt'), 'lib changed\n');
    const libChanges = await waitForChange(watchId, mark, 'lib.txt', 'changed');
    assert.equal(libChanges.find((c) => c.path === 'lib.txt')!.repositoryId, lib.repositoryId);

    // A directory and a rename.
    mark = client().notifications.length;
    mkdirSync(join(path, 'pkg'));
    writeFileSync(join(path, 'pkg', 'a.txt'), 'a\n');
    await waitForChange(watchId, mark, 'pkg/a.txt', 'created');
    assert.ok(changesOf(watchId, mark).some((c) => c.path === 'pkg' && c.type === 'created'), 'the new directory is reported');
    mark = client().notifications.length;
    renameSync(join(path, 'pkg', 'a.txt'), join(path, 'pkg', 'b.txt'));
    await waitForChange(watchId, mark, 'pkg/b.txt', 'created');
    await waitForChange(watchId, mark, 'pkg/a.txt', 'deleted');

    for (const note of since(0, 'fs/changed').filter((n) => n.params.watchId === watchId)) {
      assert.equal(note.params.workspaceId, workspace.id);
      const keys = (note.params.changes as FileChange[]).map((c) => `${c.repositoryId}:${c.path}`);
      assert.equal(new Set(keys).size, keys.length, 'one change per path per notification');
    }
    await client().request('fs/unwatch', { watchId });
  });

  it('keeps ignored files quiet unless includeIgnored, and never walks ignored directories for a plain watch', async () => {
    const { workspace, path } = await newWorkspace('Ignored');
    mkdirSync(join(path, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(path, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
    const plain = await watch({ workspaceId: workspace.id, diff: false });
    const walksNodeModules = () => watcherOf(workspace.id).watchedDirectories().some((dir) => dir.startsWith(`${path}/node_modules`));
    assert.equal(walksNodeModules(), false, 'a plain watch does not walk node_modules');
    const all = await watch({ workspaceId: workspace.id, diff: false, includeIgnored: true });
    assert.equal(walksNodeModules(), true, 'an includeIgnored watch does');

    const mark = client().notifications.length;
    writeFileSync(join(path, 'node_modules', 'dep', 'index.js'), 'module.exports = 2;\n');
    writeFileSync(join(path, 'debug.log'), 'noise\n');
    mkdirSync(join(path, 'dist'));
    writeFileSync(join(path, 'dist', 'out.js'), 'built\n');
    // The non-ignored change made last: once it has arrived, the ignored ones had their chance.
    writeFileSync(join(path, 'marker.txt'), 'seen\n');

    const plainChanges = await waitForChange(plain, mark, 'marker.txt', 'created');
    assert.deepEqual(plainChanges.map((c) => c.path), ['marker.txt']);

    await waitForChange(all, mark, 'node_modules/dep/index.js', 'changed');
    await waitForChange(all, mark, 'debug.log', 'created');
    await waitForChange(all, mark, 'dist/out.js', 'created');
    await waitForChange(all, mark, 'marker.txt', 'created');
    assert.deepEqual(changesOf(plain, mark).map((c) => c.path), ['marker.txt'], 'still only the marker for the plain watch');

    // With the includeIgnored watch gone, node_modules is let go, and the plain watch still hears only what git does
    // not ignore.
    await client().request('fs/unwatch', { watchId: all });
    await waitUntil(() => !walksNodeModules(), 'the watcher to stop walking node_modules');
    const again = client().notifications.length;
    writeFileSync(join(path, 'node_modules', 'dep', 'index.js'), 'module.exports = 3;\n');
    writeFileSync(join(path, 'second.log'), 'noise\n');
    writeFileSync(join(path, 'marker.txt'), 'seen twice\n');
    assert.deepEqual((await waitForChange(plain, again, 'marker.txt', 'changed')).map((c) => c.path), ['marker.txt']);
    await client().request('fs/unwatch', { watchId: plain });
  });

  it('does not walk an ignored directory made after the watch started, and follows .gitignore edits', async () => {
    const { workspace, path } = await newWorkspace('Gitignore edits');
    mkdirSync(join(path, 'dist'));
    writeFileSync(join(path, 'dist', 'old.js'), 'built before\n');
    const watchId = await watch({ workspaceId: workspace.id, diff: false });
    const watched = (dir: string) => watcherOf(workspace.id).watchedDirectories().includes(join(path, dir));
    assert.equal(watched('dist'), false);

    // `npm install` after the watch started: reported as nothing, and not walked.
    let mark = client().notifications.length;
    mkdirSync(join(path, 'node_modules', 'a', 'b'), { recursive: true });
    writeFileSync(join(path, 'node_modules', 'a', 'b', 'c.js'), 'dependency\n');
    writeFileSync(join(path, 'marker.txt'), 'one\n');
    assert.deepEqual((await waitForChange(watchId, mark, 'marker.txt', 'created')).map((c) => c.path), ['marker.txt']);
    assert.equal(watched('node_modules'), false, 'a new ignored directory is not walked');

    // dist/ is no longer ignored, *.tmp is: the watcher walks dist from now on and *.tmp goes quiet.
    mark = client().notifications.length;
    writeFileSync(join(path, '.gitignore'), 'node_modules/\n*.log\n*.tmp\n');
    await waitForChange(watchId, mark, '.gitignore', 'changed');
    await waitUntil(() => watched('dist'), 'the watcher to walk dist/ once it is no longer ignored');
    mark = client().notifications.length;
    writeFileSync(join(path, 'scratch.tmp'), 'quiet\n');
    writeFileSync(join(path, 'dist', 'new.js'), 'built after\n');
    await waitForChange(watchId, mark, 'dist/new.js', 'created');
    writeFileSync(join(path, 'marker.txt'), 'two\n');
    await waitForChange(watchId, mark, 'marker.txt', 'changed');
    assert.ok(!changesOf(watchId, mark).some((c) => c.path === 'scratch.tmp'), JSON.stringify(changesOf(watchId, mark)));
    await client().request('fs/unwatch', { watchId });
  });

  it('never reports .git: a commit in the worktree and a nested repository stay out', async () => {
    const { workspace, path } = await newWorkspace('Git activity');
    const watchId = await watch({ workspaceId: workspace.id, diff: false });
    let mark = client().notifications.length;
    writeFileSync(join(path, 'committed.txt'), 'commit me\n');
    await waitForChange(watchId, mark, 'committed.txt', 'created');

    mark = client().notifications.length;
    git(path, 'add', '-A');
    git(path, 'commit', '-q', '-m', 'from the test');
    git(path, 'init', '-q', 'nested');
    writeFileSync(join(path, 'nested', 'inner.txt'), 'inner\n');
    writeFileSync(join(path, 'after-commit.txt'), 'marker\n');
    await waitForChange(watchId, mark, 'after-commit.txt', 'created');
    await waitForChange(watchId, mark, 'nested/inner.txt', 'created');
    const paths = changesOf(watchId, 0).map((c) => c.path);
    assert.ok(paths.every((p) => !/(^|\/)\.git(\/|$)/.test(p)), `no .git path in ${JSON.stringify(paths)}`);
    await client().request('fs/unwatch', { watchId });
  });

  it('filters by globs: matching paths only, `!` excludes, a plain name covers its directory', async () => {
    const { workspace, path } = await newWorkspace('Globs');
    const ts = await watch({ workspaceId: workspace.id, diff: false, globs: ['src/**/*.ts', '!src/skip/**'] });
    const docs = await watch({ workspaceId: workspace.id, diff: false, globs: ['docs'] });
    const mark = client().notifications.length;
    mkdirSync(join(path, 'src', 'skip'), { recursive: true });
    mkdirSync(join(path, 'docs', 'deep'), { recursive: true });
    writeFileSync(join(path, 'src', 'skip', 'x.ts'), 'skipped\n');
    writeFileSync(join(path, 'src', 'other.js'), 'not ts\n');
    writeFileSync(join(path, 'README.md'), 'changed readme\n');
    writeFileSync(join(path, 'docs', 'deep', 'guide.md'), 'guide\n');
    writeFileSync(join(path, 'src', 'last.ts'), 'matches\n');
    const tsChanges = await waitForChange(ts, mark, 'src/last.ts', 'created');
    assert.deepEqual(tsChanges.map((c) => c.path), ['src/last.ts']);
    await waitForChange(docs, mark, 'docs/deep/guide.md', 'created');
    assert.ok(changesOf(docs, mark).every((c) => c.path === 'docs' || c.path.startsWith('docs/')), JSON.stringify(changesOf(docs, mark)));
    await client().request('fs/unwatch', { watchId: ts });
    await client().request('fs/unwatch', { watchId: docs });
  });

  it('coalesces 200 rapid writes to one file into far fewer notifications, one change per path each', async () => {
    const { workspace, path } = await newWorkspace('Coalesce');
    const watchId = await watch({ workspaceId: workspace.id, diff: false });
    const mark = client().notifications.length;
    for (let i = 0; i < 200; i++) writeFileSync(join(path, 'hot.txt'), `version ${i}\n`);
    writeFileSync(join(path, 'after-storm.txt'), 'done\n');
    await waitForChange(watchId, mark, 'after-storm.txt', 'created');
    const notes = since(mark, 'fs/changed').filter((n) => n.params.watchId === watchId);
    const hot = notes.filter((n) => (n.params.changes as FileChange[]).some((c) => c.path === 'hot.txt'));
    assert.ok(hot.length >= 1 && hot.length < 50, `200 writes gave ${hot.length} notifications naming hot.txt`);
    for (const note of notes) {
      const paths = (note.params.changes as FileChange[]).map((c) => c.path);
      assert.equal(new Set(paths).size, paths.length, `one change per path: ${JSON.stringify(paths)}`);
    }
    assert.equal(changesOf(watchId, mark).find((c) => c.path === 'hot.txt')!.type, 'created');
    await client().request('fs/unwatch', { watchId });
  });

  it('shares one watcher between the watches of a workspace; unwatch stops them; a closed connection ends its own', async () => {
    const { workspace, path } = await newWorkspace('Sharing');
    const before = await counts();
    const first = await watch({ workspaceId: workspace.id, diff: false });
    const second = await watch({ workspaceId: workspace.id, diff: false, globs: ['**/*.txt'] });
    assert.deepEqual(await counts(), { watchers: before.watchers + 1, watches: before.watches + 2 });

    const extra = attachExtraClient(fixture.orchd.host, 'other-host', { owner: false });
    await extra.initialize();
    const theirs = (await extra.request('fs/watch', { workspaceId: workspace.id, diff: true } as never)).watchId;
    assert.deepEqual(await counts(), { watchers: before.watchers + 1, watches: before.watches + 3 });
    const stolen = await client().failure('fs/unwatch', { watchId: theirs });
    assert.equal(stolen.data.kind, 'notFound', 'a watch belongs to the connection that made it');

    await client().request('fs/unwatch', { watchId: first });
    const mark = client().notifications.length;
    writeFileSync(join(path, 'after-unwatch.txt'), 'x\n');
    await waitForChange(second, mark, 'after-unwatch.txt', 'created');
    assert.equal(changesOf(first, mark).length, 0, 'nothing after unwatch');
    const again = await client().failure('fs/unwatch', { watchId: first });
    assert.equal(again.data.kind, 'notFound');

    // The other connection goes away: its watch ends with it; ours keeps the watcher.
    extra.dispose();
    assert.deepEqual(await counts(), { watchers: before.watchers + 1, watches: before.watches + 1 });
    await client().request('fs/unwatch', { watchId: second });
    assert.deepEqual(await counts(), before, 'the last watch closed the watcher');
  });

  it('ends watches with fs/watchEnded when the workspace is archived or deleted, and refuses to watch them', async () => {
    const archived = await newWorkspace('Archive me');
    const deleted = await newWorkspace('Delete me');
    const before = await counts();
    const a = await watch({ workspaceId: archived.workspace.id });
    const d = await watch({ workspaceId: deleted.workspace.id });

    await client().request('workspace/archive', { workspaceId: archived.workspace.id });
    const endedA = await client().waitFor('fs/watchEnded', (p) => p.watchId === a);
    assert.deepEqual(endedA, { watchId: a, workspaceId: archived.workspace.id, reason: 'workspace archived' });
    const refused = await client().failure('fs/watch', { workspaceId: archived.workspace.id });
    assert.equal(refused.data.kind, 'invalidState');
    assert.match(refused.message, /`active` or `merging`.*got `archived`/);

    const mark = client().notifications.length;
    await client().request('workspace/delete', { workspaceId: deleted.workspace.id, force: true });
    const endedD = await client().waitFor('fs/watchEnded', (p) => p.watchId === d);
    assert.equal(endedD.reason, 'workspace deleted');
    assert.equal(since(mark, 'fs/changed').filter((n) => n.params.watchId === d).length, 0, 'no storm of deletions while the worktree goes');
    assert.deepEqual(await counts(), before);
    assert.equal((await client().failure('fs/watch', { workspaceId: deleted.workspace.id })).data.kind, 'notFound');
  });

  it('ends the watches of a workspace whose watcher fails, and the daemon carries on', async () => {
    const { workspace } = await newWorkspace('Failing watcher');
    const watchId = await watch({ workspaceId: workspace.id, diff: false });
    // The failure fs.watch reports when inotify runs out of watches, raised on a real directory watch of this workspace.
    const enospc = Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
    const { dirs } = (watcherOf(workspace.id) as unknown as { current: { dirs: Map<string, { handle: FSWatcher }> } }).current;
    dirs.values().next().value!.handle.emit('error', enospc);
    const ended = await client().waitFor('fs/watchEnded', (p) => p.watchId === watchId);
    assert.match(ended.reason, /^watcher failed: ENOSPC/);
    assert.equal((await client().request('daemon/ping')).pong, true);
    assert.equal((await client().failure('fs/unwatch', { watchId })).data.kind, 'notFound');
  });

  it('sends the live diff: its stats now, then as files change, equal to workspace/diff, never the same twice in a row', async () => {
    const { workspace, path } = await newWorkspace('Live diff');
    const watchId = await watch({ workspaceId: workspace.id });
    const diffs = () => client().notifications.filter((n) => n.method === 'workspace/diffChanged' && n.params.workspaceId === workspace.id).map((n) => n.params);
    const expected = async () => {
      const diff = await client().request('workspace/diff', { workspaceId: workspace.id });
      return { workspaceId: workspace.id, stats: diff.stats, repositories: diff.repositories.map((r) => ({ repositoryId: r.repositoryId, stats: r.stats })) };
    };
    const waitForDiff = async (want: unknown) => {
      await waitUntil(() => diffs().some((d) => JSON.stringify(d) === JSON.stringify(want)), `workspace/diffChanged with ${JSON.stringify(want)}; got ${JSON.stringify(diffs())}`);
    };
    await waitForDiff(await expected());
    assert.equal(diffs()[0]!.stats.files, 0);

    writeFileSync(join(path, 'notes.txt'), 'one\nTWO\nthree\nfour\n');
    writeFileSync(join(path, 'added.txt'), 'a\nb\n');
    const afterEdits = await expected();
    assert.equal(afterEdits.stats.files, 2);
    await waitForDiff(afterEdits);

    // The same content written again: files changed, the diff did not, so nothing is sent for it.
    const mark = client().notifications.length;
    writeFileSync(join(path, 'notes.txt'), 'one\nTWO\nthree\nfour\n');
    await waitForChange(watchId, mark, 'notes.txt', 'changed');
    unlinkSync(join(path, 'added.txt'));
    const afterDelete = await expected();
    await waitForDiff(afterDelete);
    const sent = diffs().map((d) => JSON.stringify(d));
    for (let i = 1; i < sent.length; i++) assert.notEqual(sent[i], sent[i - 1], 'only changed stats are sent');
    await client().request('fs/unwatch', { watchId });
  });

  it("follows a scripted agent's edits with the live diff", async () => {
    const { workspace } = await newWorkspace('Agent edits', soloProjectId);
    const watchId = await watch({ workspaceId: workspace.id });
    const prompt = ['@edit agent/one.txt first file', '@edit agent/two.txt second\\nfile', '@edit notes.txt rewritten by the agent'].join('\n');
    const { session } = await client().request('session/start', { workspaceId: workspace.id, executor: 'scripted-agent', prompt });
    // Finished: its notification was sent and the session is idle again.
    await waitUntil(
      () =>
        fixture.events().some((e) => e.kind === 'notification' && e.sessionId === session.id) &&
        fixture.events().some((e) => e.kind === 'session/updated' && e.sessionId === session.id && (e.data as { session: { status: string } }).session.status === 'idle'),
      'the agent session to finish',
      CHAIN_MS,
    );
    const diff = await client().request('workspace/diff', { workspaceId: workspace.id });
    assert.equal(diff.stats.files, 3);
    await waitUntil(
      () => client().notifications.some((n) => n.method === 'workspace/diffChanged' && n.params.workspaceId === workspace.id && JSON.stringify(n.params.stats) === JSON.stringify(diff.stats)),
      `workspace/diffChanged with ${JSON.stringify(diff.stats)}`,
    );
    const mark = 0;
    const paths = changesOf(watchId, mark).map((c) => c.path);
    for (const path of ['agent/one.txt', 'agent/two.txt', 'notes.txt']) assert.ok(paths.includes(path), `${path} in ${JSON.stringify(paths)}`);
    await client().request('fs/unwatch', { watchId });
  });
});
