// Issue 10, engine semantics: workspace operations against running sessions (9), project/task deletion cascading to
// workspaces (10), and port blocks given back (11). Real git repositories, real SQLite, the scripted agent.
import assert from 'node:assert/strict';
import { existsSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Event } from '../../protocol/events.js';
import type { Workspace } from '../../protocol/workspace.js';
import { PortBlocks } from '../../src/executions/ports.js';
import { withWorkspaceOperation } from '../../src/workspaces/busy.js';
import { setWorkspaceState } from '../../src/workspaces/service.js';
import { tempDir } from '../support/client.js';
import { inProcessOrchd, startAgentFixture, stopAgentFixture, type InProcessOrchd } from '../support/inproc.js';
import { git, makeRepo } from '../support/repo.js';
import { waitUntil, processGone } from '../support/wait.js';


describe('hardening: engine semantics (in-process)', () => {
  let orchd: InProcessOrchd;
  let repo: string;
  let agentHome: string;
  let events: () => Event[];
  before(async () => {
    ({ orchd, repo, agentHome, events } = await startAgentFixture());
  });
  after(() => stopAgentFixture({ orchd, repo, agentHome }));

  const project = (name: string, scripts?: Record<string, unknown>) =>
    orchd.client.request('project/create', { name, repositories: [{ path: repo, name: 'app' }], ...(scripts ? { scripts: scripts as never } : {}) }).then((r) => r.project);
  const workspaceIn = async (projectId: string, title: string): Promise<Workspace> => {
    const task = (await orchd.client.request('task/create', { projectId, title })).task;
    return orchd.client.request('workspace/create', { taskId: task.id }).then((r) => r.workspace);
  };
  const workspace = async (title: string, scripts?: Record<string, unknown>) => workspaceIn((await project(title, scripts)).id, title);
  /** Start a session whose agent sleeps, and resolve once its agent process runs. */
  const sleepingAgent = async (workspaceId: string, prompt = '@sleep 60000') => {
    const { session } = await orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', prompt });
    await waitUntil(() => events().some((e) => e.kind === 'execution/started' && e.sessionId === session.id), 'the agent to start');
    const started = events().find((e) => e.kind === 'execution/started' && e.sessionId === session.id)!;
    const execution = (started.data as { execution: { id: string; pid: number } }).execution;
    return { session, execution };
  };
  const branches = () => git(repo, 'branch', '--list', '--format=%(refname:short)').split('\n').filter(Boolean);

  describe('operations on a workspace with a running session (item 9)', () => {
    it('refuses merge, rebase, reset, delete and archive while the agent runs, naming the session', async () => {
      const ws = await workspace('Busy');
      const { session, execution } = await sleepingAgent(ws.id, '@sleep 60000\n@edit late.txt written after the merge');
      const expected = new RegExp(`^Expected workspace \`${ws.id}\` to have no running session, got session \`${session.id}\` running; stop it first or pass \`force\`$`);
      const attempts = [
        orchd.client.failure('workspace/merge', { workspaceId: ws.id }),
        orchd.client.failure('workspace/rebase', { workspaceId: ws.id }),
        orchd.client.failure('workspace/reset', { workspaceId: ws.id, toExecutionId: execution.id }),
        orchd.client.failure('workspace/delete', { workspaceId: ws.id }),
        orchd.client.failure('workspace/archive', { workspaceId: ws.id }),
      ];
      for (const failure of await Promise.all(attempts)) {
        assert.equal(failure.data.kind, 'invalidState', failure.message);
        assert.match(failure.message, expected);
        assert.equal(failure.data.sessionId, session.id);
        assert.equal(failure.data.workspaceId, ws.id);
      }
      const after = (await orchd.client.request('workspace/get', { workspaceId: ws.id })).workspace;
      assert.equal(after.state, 'active');
      assert.equal(after.mergedAt, null);
      assert.equal((await orchd.client.request('task/get', { taskId: ws.taskId })).task.status, 'inProgress');
      assert.ok(!events().some((e) => e.kind === 'workspace/merged' && e.workspaceId === ws.id));
      assert.equal((await orchd.client.request('execution/get', { executionId: execution.id })).execution.status, 'running');
      assert.ok(existsSync(ws.repositories[0]!.path));
      await orchd.client.request('session/stop', { sessionId: session.id });
    });

    it('with `force`, stops the session first and then merges', async () => {
      const ws = await workspace('Forced merge');
      const { session, execution } = await sleepingAgent(ws.id, '@sleep 60000\n@edit late.txt never written');
      const result = await orchd.client.request('workspace/merge', { workspaceId: ws.id, force: true });
      assert.equal(result.merged, true);
      assert.equal((await orchd.client.request('execution/get', { executionId: execution.id })).execution.status, 'killed');
      assert.equal((await orchd.client.request('session/get', { sessionId: session.id })).session.status, 'idle');
      assert.ok(processGone(execution.pid), 'the agent process is gone');
      assert.equal(existsSync(join(ws.repositories[0]!.path, 'late.txt')), false);
    });

    it('with `force`, delete stops the agent and removes the workspace', async () => {
      const ws = await workspace('Forced delete');
      const { execution } = await sleepingAgent(ws.id);
      await orchd.client.request('workspace/delete', { workspaceId: ws.id, force: true, deleteBranches: true });
      assert.ok(processGone(execution.pid));
      assert.equal(existsSync(ws.path), false);
      assert.ok(!branches().includes(ws.branch));
    });

    it('refuses session/start while an operation holds the workspace or it is `merging`', async () => {
      const engine = orchd.host.engine!;
      const ws = await workspace('Held');
      const during = await withWorkspaceOperation(engine, ws.id, 'merge', false, () =>
        orchd.client.failure('session/start', { workspaceId: ws.id, executor: 'scripted-agent', prompt: 'hello' }),
      );
      assert.equal(during.data.kind, 'invalidState');
      assert.equal(during.data.operation, 'merge');
      assert.match(during.message, /to start a session, got `merge` in progress$/);

      // The state another orchd process leaves while it merges the workspace.
      await setWorkspaceState(engine, (await orchd.client.request('workspace/get', { workspaceId: ws.id })).workspace, 'merging');
      const merging = await orchd.client.failure('session/start', { workspaceId: ws.id, executor: 'scripted-agent', prompt: 'hello' });
      assert.equal(merging.data.kind, 'invalidState');
      assert.equal(merging.data.state, 'merging');
      assert.equal((await orchd.client.request('session/list', { workspaceId: ws.id })).sessions.length, 0);
    });

    it('refuses a second operation while one holds the workspace', async () => {
      const engine = orchd.host.engine!;
      const ws = await workspace('Two at once');
      const second = await withWorkspaceOperation(engine, ws.id, 'delete', false, () => orchd.client.failure('workspace/merge', { workspaceId: ws.id }));
      assert.equal(second.data.kind, 'invalidState');
      assert.match(second.message, /to have no operation in progress, got `delete`$/);
    });
  });

  describe('deleting a project or task deletes its workspaces (item 10)', () => {
    it('project/delete refuses while a session runs, then with `force` leaves no worktree, branch or process', async () => {
      const p = await project('Doomed', { devServer: { command: 'sleep 300', name: 'web' } });
      const a = await workspaceIn(p.id, 'doomed a');
      const b = await workspaceIn(p.id, 'doomed b');
      const { session, execution: agent } = await sleepingAgent(a.id);
      const server = (await orchd.client.request('workspace/runScript', { workspaceId: b.id, kind: 'devServer' })).executions[0]!;
      assert.ok(server.pid && !processGone(server.pid));

      const refused = await orchd.client.failure('project/delete', { projectId: p.id, deleteBranches: true });
      assert.equal(refused.data.kind, 'invalidState');
      assert.equal(refused.data.sessionId, session.id);
      assert.ok(existsSync(a.path) && existsSync(b.path), 'a refusal removes nothing');
      assert.ok(!processGone(server.pid), 'a refusal stops nothing');
      await orchd.client.request('project/get', { projectId: p.id });

      await orchd.client.request('project/delete', { projectId: p.id, force: true, deleteBranches: true });
      assert.equal(existsSync(a.path), false);
      assert.equal(existsSync(b.path), false);
      assert.ok(!branches().includes(a.branch) && !branches().includes(b.branch), 'the workspace branches are gone');
      const worktrees = git(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree '));
      assert.ok(!worktrees.some((l) => l.includes(a.path) || l.includes(b.path)), 'git forgot the worktrees');
      assert.ok(processGone(agent.pid), 'the agent is stopped');
      assert.ok(processGone(server.pid), 'the dev server is stopped');
      const deleted = events().filter((e) => e.kind === 'workspace/deleted' && e.projectId === p.id);
      assert.deepEqual(deleted.map((e) => e.workspaceId).sort(), [a.id, b.id].sort());
      assert.ok(deleted.every((e) => (e.data as { reason: string }).reason === 'projectDeleted'));
      const kinds = events().filter((e) => e.projectId === p.id).map((e) => e.kind);
      assert.ok(kinds.lastIndexOf('workspace/deleted') < kinds.indexOf('project/deleted'), 'workspaces go before the project');
      assert.equal((await orchd.client.failure('project/get', { projectId: p.id })).data.kind, 'notFound');
    });

    it('task/delete removes its workspace, refusing first when uncommitted changes would be lost', async () => {
      const ws = await workspace('Task with work');
      writeFileSync(join(ws.repositories[0]!.path, 'wip.txt'), 'unsaved\n');
      const refused = await orchd.client.failure('task/delete', { taskId: ws.taskId, deleteBranches: true });
      assert.equal(refused.data.kind, 'dirtyWorkingTree');
      assert.equal(refused.data.workspaceId, ws.id);
      assert.ok(existsSync(join(ws.repositories[0]!.path, 'wip.txt')));
      await orchd.client.request('task/get', { taskId: ws.taskId });

      await orchd.client.request('task/delete', { taskId: ws.taskId, force: true, deleteBranches: true });
      assert.equal(existsSync(ws.path), false);
      assert.ok(!branches().includes(ws.branch));
      const deleted = events().find((e) => e.kind === 'workspace/deleted' && e.workspaceId === ws.id);
      assert.equal((deleted?.data as { reason: string } | undefined)?.reason, 'taskDeleted');
      assert.equal((await orchd.client.failure('workspace/get', { workspaceId: ws.id })).data.kind, 'notFound');
    });

    it('a task deleted while workspace/create asks git about branches fails the create with notFound, not an internal error', async () => {
      const p = await project('Raced');
      const task = (await orchd.client.request('task/create', { projectId: p.id, title: 'raced' })).task;
      // Both at once: the create reads the task, then awaits git; the delete (database only) lands in between.
      const [create, removal] = await Promise.allSettled([orchd.client.request('workspace/create', { taskId: task.id }), orchd.client.request('task/delete', { taskId: task.id })]);
      assert.equal(removal.status, 'fulfilled');
      if (create.status === 'rejected') {
        assert.equal((create.reason as { data?: { kind?: string } }).data?.kind, 'notFound', String(create.reason));
      } else {
        // The create won the race after all: then the delete took its workspace with it.
        assert.equal((await orchd.client.failure('workspace/get', { workspaceId: create.value.workspace.id })).data.kind, 'notFound');
      }
      assert.equal((await orchd.client.failure('task/get', { taskId: task.id })).data.kind, 'notFound');
    });

    it('task/delete keeps the branch unless `deleteBranches`', async () => {
      const ws = await workspace('Keep my branch');
      await orchd.client.request('task/delete', { taskId: ws.taskId });
      assert.equal(existsSync(ws.path), false);
      assert.ok(branches().includes(ws.branch));
    });
  });

  describe('port blocks (item 11)', () => {
    it('gives a block back when its workspace is deleted or archived, so blocks are reused', async () => {
      const engine = orchd.host.engine!;
      const p = await project('Ports');
      const before = engine.ports.held().size;
      for (let round = 0; round < 6; round++) {
        const ws = await workspaceIn(p.id, `ports ${round}`);
        assert.ok(engine.ports.held().has(ws.id), 'a new workspace holds a block');
        if (round % 2) (await orchd.client.request('workspace/archive', { workspaceId: ws.id })).workspace;
        else await orchd.client.request('workspace/delete', { workspaceId: ws.id, deleteBranches: true });
        assert.equal(engine.ports.held().has(ws.id), false, 'its block went back');
      }
      assert.equal(engine.ports.held().size, before);
    });

    it('hands a released block to the next workspace when the range is full', async () => {
      // Three blocks in the range; tests run on a shared machine, so pick a range and let the free-port probe decide.
      const ports = new PortBlocks({ first: 47000, last: 47030 });
      const a = await ports.blockFor('ws_a');
      const b = await ports.blockFor('ws_b');
      const c = await ports.blockFor('ws_c');
      assert.equal(new Set([a, b, c]).size, 3);
      assert.equal(await ports.blockFor('ws_a'), a, 'stable for the same workspace');
      await assert.rejects(ports.blockFor('ws_d'), /no block of 10 free ports left/);
      ports.release('ws_b');
      assert.equal(await ports.blockFor('ws_d'), b);
      assert.deepEqual(ports.retainOnly(['ws_a']).sort(), ['ws_c', 'ws_d']);
      assert.deepEqual([...ports.held().keys()], ['ws_a']);
    });

    it('never gives two workspaces asking at once the same block', async () => {
      const ports = new PortBlocks({ first: 47100, last: 47200 });
      const blocks = await Promise.all(['ws_1', 'ws_2', 'ws_3', 'ws_4', 'ws_1'].map((id) => ports.blockFor(id)));
      assert.equal(new Set(blocks.slice(0, 4)).size, 4);
      assert.equal(blocks[4], blocks[0]);
    });
  });
});

describe('hardening: port blocks across a restart (item 11)', () => {
  it('a restarted daemon holds blocks only for live workspaces', async () => {
    const dataDir = tempDir();
    const repo = realpathSync(makeRepo());
    try {
      const first = inProcessOrchd({ dataDir });
      await first.client.initialize();
      const p = (await first.client.request('project/create', { name: 'Restart', repositories: [{ path: repo }], scripts: { devServer: { command: 'sleep 300' } } as never })).project;
      const live = (await first.client.request('workspace/create', { taskId: (await first.client.request('task/create', { projectId: p.id, title: 'live' })).task.id })).workspace;
      const archived = (await first.client.request('workspace/create', { taskId: (await first.client.request('task/create', { projectId: p.id, title: 'archived' })).task.id })).workspace;
      await first.client.request('workspace/archive', { workspaceId: archived.id });
      await first.close();

      const second = inProcessOrchd({ dataDir });
      await second.client.initialize();
      const engine = second.host.engine!;
      assert.deepEqual([...engine.ports.held().keys()], [], 'nothing is held before a workspace needs its ports');
      await second.client.request('workspace/runScript', { workspaceId: live.id, kind: 'devServer' });
      assert.deepEqual([...engine.ports.held().keys()], [live.id]);
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
