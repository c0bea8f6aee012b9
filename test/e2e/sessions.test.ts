// End-to-end: the execution engine over real stdio with the scripted agent (fixtures/fake-agent).
import assert from 'node:assert/strict';
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Event } from '../../protocol/events.js';
import { spawnOrchd, tempDir, type SpawnedOrchd } from '../support/client.js';
import { git, makeRepo } from '../support/repo.js';
import { CHAIN_MS, EVENT_MS, FLOOD_MS, HEAVY_REQUEST_MS } from '../support/bounds.js';
import { waitUntil, processGone } from '../support/wait.js';


function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Setup {
  orchd: SpawnedOrchd;
  repo: string;
  agentHome: string;
  subscriptionId: string;
  workspace: (title: string, scripts?: Record<string, unknown>) => Promise<{ workspaceId: string; taskId: string; path: string }>;
  events: () => Event[];
}

async function setUp(dataDir?: string, env: Record<string, string> = {}): Promise<Setup> {
  const agentHome = tempDir('orchd-agent-home-');
  const orchd = spawnOrchd({ ...(dataDir ? { dataDir } : {}), env: { FAKE_AGENT_HOME: agentHome, ORCHD_LOG_LEVEL: 'info', ...env } });
  await orchd.client.initialize();
  const repo = realpathSync(makeRepo({ 'README.md': '# app\n' }));
  const sub = await orchd.client.request('events/subscribe', {});
  return {
    orchd,
    repo,
    agentHome,
    subscriptionId: sub.subscriptionId,
    events: () => orchd.client.events(sub.subscriptionId),
    async workspace(title, scripts) {
      const project = (await orchd.client.request('project/create', { name: title, repositories: [{ path: repo }], ...(scripts ? { scripts: scripts as never } : {}) })).project;
      const task = (await orchd.client.request('task/create', { projectId: project.id, title })).task;
      const ws = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
      return { workspaceId: ws.id, taskId: task.id, path: ws.repositories[0]!.path };
    },
  };
}

async function tearDown(setup: Setup, keepDataDir = false): Promise<void> {
  await setup.orchd.close({ keepDataDir });
  rmSync(setup.repo, { recursive: true, force: true });
  rmSync(setup.agentHome, { recursive: true, force: true });
}

function waitForEvent(setup: Setup, match: (e: Event) => boolean, what: string, timeoutMs = CHAIN_MS): Promise<Event> {
  return waitUntil(() => setup.events().some(match), what, timeoutMs).then(() => setup.events().find(match)!);
}

describe('sessions end to end (scripted agent)', () => {
  let setup: Setup;
  before(async () => {
    setup = await setUp();
  });
  after(() => tearDown(setup));

  it('runs the full chain: setup → agent → auto-commit → cleanup → task inReview → notification', async () => {
    const { workspaceId, taskId, path } = await setup.workspace('Greeting', {
      setup: [{ command: 'echo "setting up on port $ORCHD_PORT in $ORCHD_WORKSPACE_ID"', name: 'announce' }],
      cleanup: [{ command: 'test -f hello.txt && echo cleaned', name: 'check' }],
    });
    const { session } = await setup.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', prompt: 'Say hi\n@edit hello.txt hi there' });
    const note = await waitForEvent(setup, (e) => e.kind === 'notification' && e.sessionId === session.id, 'the finished notification');
    assert.equal((note.data as any).level, 'info');
    const { executions } = await setup.orchd.client.request('execution/list', { sessionId: session.id });
    assert.deepEqual(
      executions.map((e) => [e.runReason, e.status, e.exitCode]),
      [
        ['setupScript', 'completed', 0],
        ['codingAgent', 'completed', 0],
        ['cleanupScript', 'completed', 0],
      ],
    );
    const agent = executions[1]!;
    assert.notEqual(agent.headsAfter![0]!.oid, agent.headsBefore[0]!.oid, 'HEAD moved: the agent run was auto-committed');
    assert.equal(readFileSync(join(path, 'hello.txt'), 'utf8'), 'hi there\n');
    assert.match(git(path, 'log', '-1', '--format=%s'), /^Say hi/);
    assert.equal(git(path, 'status', '--porcelain'), '');
    assert.equal((await setup.orchd.client.request('task/get', { taskId })).task.status, 'inReview');
    const setupLogs = await setup.orchd.client.request('execution/logs', { executionId: executions[0]!.id });
    assert.match(setupLogs.chunks.map((c) => c.text).join(''), new RegExp(`setting up on port \\d+ in ${workspaceId}`));
    assert.equal(setupLogs.done, true);
    const agentLogs = await setup.orchd.client.request('execution/logs', { executionId: agent.id });
    const lines = agentLogs.chunks.filter((c) => c.stream === 'stdout').map((c) => c.text).join('').trim().split('\n');
    assert.ok(lines.every((l) => JSON.parse(l)), 'the raw agent output is intact JSON lines');
    const finalSession = (await setup.orchd.client.request('session/get', { sessionId: session.id })).session;
    assert.equal(finalSession.status, 'idle');
    assert.match(finalSession.agentSessionId ?? '', /^[0-9a-f-]{36}$/);
    // Live events carried the same output.
    assert.ok(setup.events().some((e) => e.kind === 'execution/output' && e.executionId === agent.id));
    // The conversation, normalized from the raw output.
    const { entries, unknownLines } = await setup.orchd.client.request('session/entries', { sessionId: session.id });
    assert.equal(unknownLines, 0);
    const shapes = entries.map(({ entry }) => (entry.type === 'toolCall' ? `toolCall:${entry.name}:${entry.status}:${entry.path}` : entry.type));
    assert.deepEqual(shapes, ['userMessage', 'systemInfo', 'agentSession', 'assistantMessage', 'toolCall:Write:succeeded:hello.txt', 'usage']);
    assert.equal(entries[0]!.entry.type === 'userMessage' && entries[0]!.entry.text, 'Say hi\n@edit hello.txt hi there');
    const later = await setup.orchd.client.request('session/entries', { sessionId: session.id, sinceIndex: 4 });
    assert.deepEqual(
      later.entries.map((e) => e.index),
      [5, 6],
    );
  });

  it('queues a follow-up sent during a run and starts it afterwards, resuming the agent session', async () => {
    const { workspaceId } = await setup.workspace('Follow');
    // The first turn runs until the test has queued the follow-up: it waits for a file written after that.
    const release = join(setup.agentHome, 'release-follow');
    const { session } = await setup.orchd.client.request('session/start', {
      workspaceId,
      executor: 'scripted-agent',
      permissionMode: 'bypassPermissions',
      prompt: `first prompt\n@bash while [ ! -e ${release} ]; do sleep 0.05; done`,
    });
    const queued = await setup.orchd.client.request('session/followUp', { sessionId: session.id, prompt: '@recall' });
    assert.equal(queued.queued, true);
    assert.equal((await setup.orchd.client.request('session/queue', { sessionId: session.id })).queuedFollowUp?.prompt, '@recall');
    writeFileSync(release, '');
    await waitUntil(() => setup.events().filter((e) => e.kind === 'notification' && e.sessionId === session.id).length >= 1, 'the chain to finish', CHAIN_MS);
    const { executions } = await setup.orchd.client.request('execution/list', { sessionId: session.id });
    assert.equal(executions.length, 2);
    const [first, second] = executions;
    assert.equal(second!.action.type === 'agent' && second!.action.followUp, true);
    const agentSessionId = (await setup.orchd.client.request('session/get', { sessionId: session.id })).session.agentSessionId;
    assert.equal(second!.action.type === 'agent' && second!.action.resumeAgentSessionId, agentSessionId);
    const logs = await setup.orchd.client.request('execution/logs', { executionId: second!.id });
    assert.match(logs.chunks.map((c) => c.text).join(''), /Earlier you said: first prompt/);
    assert.equal(first!.status, 'completed');
    assert.equal((await setup.orchd.client.request('session/queue', { sessionId: session.id })).queuedFollowUp, null);
  });

  it('stops an agent that spawned a grandchild: the whole process group dies', async () => {
    const { workspaceId } = await setup.workspace('Stopper');
    const { session } = await setup.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', permissionMode: 'bypassPermissions', prompt: `@grandchild 300\n@sleep ${2 * EVENT_MS}` });
    const output = await waitForEvent(setup, (e) => e.kind === 'execution/output' && e.sessionId === session.id && /started background process \d+/.test((e.data as any).text), 'the grandchild pid');
    const grandchild = Number(/started background process (\d+)/.exec((output.data as any).text)![1]);
    const execution = (await setup.orchd.client.request('execution/get', { executionId: output.executionId! })).execution;
    assert.ok(!processGone(grandchild) && !processGone(execution.pid!));
    const stopped = await setup.orchd.client.request('session/stop', { sessionId: session.id });
    assert.deepEqual(stopped.stopped, [execution.id]);
    const after = (await setup.orchd.client.request('execution/get', { executionId: execution.id })).execution;
    assert.equal(after.status, 'killed');
    assert.equal(after.reason, 'stopped by request');
    assert.ok(processGone(grandchild), 'the grandchild is gone');
    assert.equal(groupAlive(execution.pgid!), false, 'nothing is left in the process group');
    assert.equal((await setup.orchd.client.request('session/get', { sessionId: session.id })).session.status, 'idle');
  });

  it('stops the chain when a setup script fails, and says why', async () => {
    const { workspaceId, taskId } = await setup.workspace('Broken setup', { setup: [{ command: 'echo nope >&2; exit 3', name: 'install' }] });
    const { session } = await setup.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', prompt: '@edit never.txt x' });
    const note = await waitForEvent(setup, (e) => e.kind === 'notification' && e.sessionId === session.id, 'the failure notification');
    assert.equal((note.data as any).level, 'error');
    assert.match((note.data as any).body, /`install` ended with exit code 3; the agent was not started/);
    const { executions } = await setup.orchd.client.request('execution/list', { sessionId: session.id });
    assert.deepEqual(
      executions.map((e) => [e.runReason, e.status]),
      [['setupScript', 'failed']],
    );
    assert.equal((await setup.orchd.client.request('task/get', { taskId })).task.status, 'inProgress');
    const logs = await setup.orchd.client.request('execution/logs', { executionId: executions[0]!.id });
    assert.deepEqual(
      logs.chunks.map((c) => [c.stream, c.text]),
      [['stderr', 'nope\n']],
    );
  });

  it('keeps the daemon\'s live memory bounded while an agent floods output, and persists every byte', async () => {
    // V8 collects lazily, so peak RSS says little; a hard heap cap says everything. If the daemon kept output in
    // memory, 128 MB of it could not pass through a 160 MB heap; it must, with every byte persisted.
    const capped = await setUp(undefined, { NODE_OPTIONS: '--max-old-space-size=160' });
    try {
      const { workspaceId } = await capped.workspace('Flood');
      const { session } = await capped.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', prompt: '@flood 128' });
      let peakKb = 0;
      const statusPath = `/proc/${capped.orchd.child.pid}/status`;
      const sampler = setInterval(() => {
        const match = /VmRSS:\s+(\d+)/.exec(readFileSync(statusPath, 'utf8'));
        if (match) peakKb = Math.max(peakKb, Number(match[1]));
      }, 20);
      try {
        await waitForEvent(capped, (e) => e.kind === 'notification' && e.sessionId === session.id, 'the flood to end', FLOOD_MS);
      } finally {
        clearInterval(sampler);
      }
      assert.equal(capped.orchd.child.exitCode, null, 'the daemon is still alive');
      const [agent] = (await capped.orchd.client.request('execution/list', { sessionId: session.id }, HEAVY_REQUEST_MS)).executions;
      assert.equal(agent!.status, 'completed');
      let bytes = 0;
      let sinceSeq = 0;
      for (;;) {
        // This client also drains 128 MB of live events on the same pipe, so a page may wait behind them.
        const page = await capped.orchd.client.request('execution/logs', { executionId: agent!.id, sinceSeq, limit: 2000 }, HEAVY_REQUEST_MS);
        for (const chunk of page.chunks) bytes += Buffer.byteLength(chunk.text);
        sinceSeq = page.nextSeq;
        if (!page.chunks.length) break;
      }
      assert.ok(bytes >= 128 * 1024 * 1024, `all output persisted (${bytes} bytes)`);
      assert.ok(peakKb < 320 * 1024, `RSS stayed near the heap cap (peak ${Math.round(peakKb / 1024)} MB)`);
    } finally {
      await tearDown(capped);
    }
  });
});

describe('crash recovery (SIGKILL of the daemon mid-run)', () => {
  it('kills the leftover process group on restart, marks the execution killed, and keeps events and logs', async () => {
    const dataDir = tempDir();
    const first = await setUp(dataDir);
    try {
      const { workspaceId } = await first.workspace('Crashy');
      const { session } = await first.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', permissionMode: 'bypassPermissions', prompt: `before the crash\n@grandchild 300\n@sleep ${2 * EVENT_MS}` });
      const output = await waitForEvent(first, (e) => e.kind === 'execution/output' && /started background process \d+/.test((e.data as any).text), 'the grandchild pid');
      const grandchild = Number(/started background process (\d+)/.exec((output.data as any).text)![1]);
      const execution = (await first.orchd.client.request('execution/get', { executionId: output.executionId! })).execution;
      const lastSeqSeen = Math.max(...first.events().map((e) => e.seq));
      first.orchd.child.kill('SIGKILL');
      await first.orchd.exited;
      assert.ok(!processGone(execution.pid!) && !processGone(grandchild), 'the agent outlived the daemon (orphaned)');

      const second = spawnOrchd({ dataDir, env: { FAKE_AGENT_HOME: first.agentHome } });
      try {
        await second.client.initialize();
        const recovered = (await second.client.request('execution/get', { executionId: execution.id })).execution;
        assert.equal(recovered.status, 'killed');
        assert.match(recovered.reason ?? '', /stopped while this ran; its leftover process group was killed/);
        assert.ok(processGone(execution.pid!));
        assert.ok(processGone(grandchild));
        assert.equal(groupAlive(execution.pgid!), false);
        assert.equal((await second.client.request('session/get', { sessionId: session.id })).session.status, 'idle');
        // Everything acknowledged before the crash is still there, followed by the recovery events.
        const sub = await second.client.request('events/subscribe', { sinceSeq: 0 });
        const events = await second.client.eventsUpTo(sub.subscriptionId, sub.currentSeq);
        assert.ok(events.some((e) => e.seq === lastSeqSeen));
        assert.ok(events.some((e) => e.kind === 'execution/exited' && e.executionId === execution.id && (e.data as any).execution.status === 'killed'));
        const logs = await second.client.request('execution/logs', { executionId: execution.id });
        assert.match(logs.chunks.map((c) => c.text).join(''), /started background process/);
        assert.equal(logs.done, true);
      } finally {
        await second.close({ keepDataDir: true });
      }
    } finally {
      await tearDown(first, true);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
