import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Event } from '../../protocol/events.js';
import { startAgentFixture, stopAgentFixture, type InProcessOrchd } from '../support/inproc.js';
import { git } from '../support/repo.js';
import { CHAIN_MS, EVENT_MS } from '../support/bounds.js';
import { waitUntil } from '../support/wait.js';

describe('workspace control and chain edge cases (in-process)', () => {
  let orchd: InProcessOrchd;
  let repo: string;
  let agentHome: string;
  let events: () => Event[];
  before(async () => {
    ({ orchd, repo, agentHome, events } = await startAgentFixture());
  });
  after(() => stopAgentFixture({ orchd, repo, agentHome }));

  const workspace = async (title: string, scripts?: Record<string, unknown>) => {
    const project = (await orchd.client.request('project/create', { name: title, repositories: [{ path: repo, name: 'app' }], ...(scripts ? { scripts: scripts as never } : {}) })).project;
    const task = (await orchd.client.request('task/create', { projectId: project.id, title })).task;
    return orchd.client.request('workspace/create', { taskId: task.id }).then((r) => r.workspace);
  };
  // Finished: its notification was sent and the session is idle again (so workspace operations accept it).
  const finished = (sessionId: string) =>
    waitUntil(
      () =>
        events().some((e) => e.kind === 'notification' && e.sessionId === sessionId) &&
        events().some((e) => e.kind === 'session/updated' && e.sessionId === sessionId && (e.data as { session: { status: string } }).session.status === 'idle'),
      `session ${sessionId} to finish`,
      CHAIN_MS,
    );

  it('runs parallel setup scripts side by side, then the agent', async () => {
    const ws = await workspace('Parallel', {
      setupMode: 'parallel',
      // Each script waits until the other has started: run one after the other, they would never finish.
      setup: [
        { command: 'touch ../a.started; while [ ! -e ../b.started ]; do sleep 0.05; done; echo a > a.txt', name: 'a' },
        { command: 'touch ../b.started; while [ ! -e ../a.started ]; do sleep 0.05; done; echo b > b.txt', name: 'b' },
      ],
    });
    const { session } = await orchd.client.request('session/start', { workspaceId: ws.id, executor: 'scripted-agent', prompt: 'hello' });
    await finished(session.id);
    const { executions } = await orchd.client.request('execution/list', { sessionId: session.id });
    const setups = executions.filter((e) => e.runReason === 'setupScript');
    assert.equal(setups.length, 2);
    // They overlapped: each started before the other ended.
    assert.ok(setups[0]!.startedAt < setups[1]!.endedAt! && setups[1]!.startedAt < setups[0]!.endedAt!);
    assert.equal(executions.at(-1)!.runReason, 'codingAgent');
  });

  it('finishes a script whose output pauses in the middle of a character', async () => {
    // The first read holds only the first byte of é (the pause makes the read end there): it decodes to nothing yet.
    const ws = await workspace('Split char', { setup: [{ command: "printf '\\303'; sleep 0.3; printf '\\251 done\\n'", name: 'split' }] });
    const { session } = await orchd.client.request('session/start', { workspaceId: ws.id, executor: 'scripted-agent', prompt: 'hello' });
    await finished(session.id);
    const { executions } = await orchd.client.request('execution/list', { sessionId: session.id });
    const setup = executions.find((e) => e.runReason === 'setupScript')!;
    assert.equal(setup.status, 'completed');
    const text = events()
      .filter((e) => e.kind === 'execution/output' && e.executionId === setup.id)
      .map((e) => (e.data as { text: string }).text)
      .join('');
    assert.equal(text, 'é done\n');
  });

  it('resets a workspace to the HEAD before an agent turn (undo)', async () => {
    const ws = await workspace('Undo');
    const { session } = await orchd.client.request('session/start', { workspaceId: ws.id, executor: 'scripted-agent', prompt: '@edit undo.txt to be undone' });
    await finished(session.id);
    const [agent] = (await orchd.client.request('execution/list', { sessionId: session.id })).executions;
    const path = ws.repositories[0]!.path;
    assert.ok(existsSync(join(path, 'undo.txt')));
    const reset = await orchd.client.request('workspace/reset', { workspaceId: ws.id, toExecutionId: agent!.id });
    assert.equal(reset.heads[0]!.oid, agent!.headsBefore[0]!.oid);
    assert.equal(git(path, 'rev-parse', 'HEAD'), agent!.headsBefore[0]!.oid);
    assert.equal(existsSync(join(path, 'undo.txt')), false);
  });

  it('starts a dev server with its own ports, and stops it only when asked to include dev servers', async () => {
    const ws = await workspace('Dev', { devServer: { command: 'echo "port=$ORCHD_PORT ports=$ORCHD_PORTS"; sleep 300', name: 'web' } });
    const { executions } = await orchd.client.request('workspace/runScript', { workspaceId: ws.id, kind: 'devServer' });
    const server = executions[0]!;
    assert.equal(server.status, 'running');
    await waitUntil(() => events().some((e) => e.kind === 'execution/output' && e.executionId === server.id), 'dev server output');
    const text = events().find((e) => e.kind === 'execution/output' && e.executionId === server.id)!.data as { text: string };
    const match = /port=(\d+) ports=(\d+)-(\d+)/.exec(text.text)!;
    assert.equal(Number(match[3]) - Number(match[2]), 9, 'a block of 10 ports');
    assert.equal(match[1], match[2]);
    assert.deepEqual((await orchd.client.request('workspace/stop', { workspaceId: ws.id })).stopped, []);
    assert.deepEqual((await orchd.client.request('workspace/stop', { workspaceId: ws.id, includeDevServers: true })).stopped, [server.id]);
    assert.equal((await orchd.client.request('execution/get', { executionId: server.id })).execution.status, 'killed');
  });

  it('archives a workspace: its archive script runs, then the state is archived', async () => {
    const ws = await workspace('Archive me', { archive: [{ command: 'echo archived > ../archived.marker', name: 'mark' }] });
    const archived = (await orchd.client.request('workspace/archive', { workspaceId: ws.id })).workspace;
    assert.equal(archived.state, 'archived');
    assert.ok(archived.archivedAt);
    assert.equal(readFileSync(join(ws.path, 'archived.marker'), 'utf8'), 'archived\n');
    const refused = await orchd.client.failure('session/start', { workspaceId: ws.id, executor: 'scripted-agent', prompt: 'x' });
    assert.equal(refused.data.kind, 'invalidState');
  });

  it('keeps the queued follow-up when the agent fails', async () => {
    const ws = await workspace('Failing');
    // The agent crashes only once the follow-up is queued: it waits for a file the test writes after queueing.
    const release = join(ws.path, 'release-crash');
    const { session } = await orchd.client.request('session/start', {
      workspaceId: ws.id,
      executor: 'scripted-agent',
      permissionMode: 'bypassPermissions',
      prompt: `@bash while [ ! -e ${release} ]; do sleep 0.05; done\n@crash 7`,
    });
    await orchd.client.request('session/followUp', { sessionId: session.id, prompt: 'try again' });
    writeFileSync(release, '');
    await finished(session.id);
    const note = events().find((e) => e.kind === 'notification' && e.sessionId === session.id)!;
    assert.equal((note.data as { level: string }).level, 'error');
    const { executions } = await orchd.client.request('execution/list', { sessionId: session.id });
    assert.deepEqual(
      executions.map((e) => [e.status, e.exitCode]),
      [['failed', 7]],
    );
    assert.equal((await orchd.client.request('session/queue', { sessionId: session.id })).queuedFollowUp?.prompt, 'try again');
    assert.equal((await orchd.client.request('session/queue', { sessionId: session.id, cancel: true })).queuedFollowUp, null);
  });

  it('refuses an unknown executor, naming the known ones', async () => {
    const ws = await workspace('Unknown executor');
    const failure = await orchd.client.failure('session/start', { workspaceId: ws.id, executor: 'nope', prompt: 'x' });
    assert.equal(failure.data.kind, 'notFound');
    assert.match(failure.message, /`executor` to be one of `scripted-agent`, .*got `nope`/);
  });

  it('shutdown stops every process it started', async () => {
    const ws = await workspace('Shutdown');
    const { session } = await orchd.client.request('session/start', { workspaceId: ws.id, executor: 'scripted-agent', prompt: `@sleep ${2 * EVENT_MS}` });
    await waitUntil(() => events().some((e) => e.kind === 'execution/started' && e.sessionId === session.id), 'the agent to start');
    const started = events().find((e) => e.kind === 'execution/started' && e.sessionId === session.id)!;
    const pid = (started.data as { execution: { pid: number } }).execution.pid;
    await orchd.client.request('shutdown');
    assert.throws(() => process.kill(pid, 0), 'the agent is gone after shutdown');
    const engine = orchd.host.engine!;
    assert.equal(engine.running.size, 0);
  });
});
