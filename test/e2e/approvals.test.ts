// End-to-end: approvals over real stdio with the scripted agent speaking Claude's control protocol. A host that
// declared `capabilities.approvals` answers `approval/request`; other clients use approval/list and approval/respond;
// rules, session grants, the timeout policy, stop and restart each decide or close an approval.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Approval } from '../../protocol/approvals.js';
import type { NormalizedEntry } from '../../protocol/entries.js';
import type { Event } from '../../protocol/events.js';
import { spawnOrchd, tempDir, type SpawnedOrchd } from '../support/client.js';
import { makeRepo } from '../support/repo.js';
import { CHAIN_MS } from '../support/bounds.js';
import { waitUntil } from '../support/wait.js';

interface Harness {
  orchd: SpawnedOrchd;
  repo: string;
  agentHome: string;
  events: () => Event[];
  asked: Approval[];
  answer: (approval: Approval) => { decision: string; reason?: string } | null;
  workspace: (title: string, settings?: Record<string, unknown>) => Promise<{ workspaceId: string; path: string }>;
}

async function harness(options: { approvals: boolean; dataDir?: string; agentHome?: string; repo?: string }): Promise<Harness> {
  const agentHome = options.agentHome ?? tempDir('orchd-agent-home-');
  const orchd = spawnOrchd({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), env: { FAKE_AGENT_HOME: agentHome } });
  const h: Harness = {
    orchd,
    repo: options.repo ?? realpathSync(makeRepo({ 'README.md': '# app\n' })),
    agentHome,
    events: () => [],
    asked: [],
    answer: () => ({ decision: 'allowOnce' }),
    async workspace(title, settings) {
      const project = (await orchd.client.request('project/create', { name: title, repositories: [{ path: h.repo }], ...(settings ? { settings: settings as never } : {}) })).project;
      const task = (await orchd.client.request('task/create', { projectId: project.id, title })).task;
      const ws = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
      return { workspaceId: ws.id, path: ws.repositories[0]!.path };
    },
  };
  // The host side of `approval/request`: record it, answer as the test says (null: never answer).
  orchd.client.connection.onRequest('approval/request', (params: { approval: Approval }) => {
    h.asked.push(params.approval);
    const answer = h.answer(params.approval);
    return answer ?? new Promise(() => {});
  });
  await orchd.client.initialize({ capabilities: { approvals: options.approvals } });
  const sub = await orchd.client.request('events/subscribe', {});
  h.events = () => orchd.client.events(sub.subscriptionId);
  return h;
}

async function finished(h: Harness, sessionId: string, timeoutMs = CHAIN_MS): Promise<void> {
  await waitUntil(() => h.events().some((e) => e.kind === 'session/updated' && e.sessionId === sessionId && (e.data as any).session.status === 'idle'), 'the session to go idle', timeoutMs);
}

/** The entries as the live `session/entryUpserted` events left them: the last upsert of each id. */
function liveEntries(h: Harness, sessionId: string): NormalizedEntry[] {
  const byId = new Map<string, NormalizedEntry>();
  for (const e of h.events()) if (e.kind === 'session/entryUpserted' && e.sessionId === sessionId) byId.set((e.data as any).entry.id, (e.data as any).entry);
  return [...byId.values()];
}

describe('approvals end to end (scripted agent, control protocol)', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ approvals: true });
  });
  after(async () => {
    await h.orchd.close();
    rmSync(h.repo, { recursive: true, force: true });
    rmSync(h.agentHome, { recursive: true, force: true });
  });

  it('asks the host: an edit allowed once, a command denied with a reason; entries show both, live and replayed alike', async () => {
    const { workspaceId, path } = await h.workspace('Ask');
    h.answer = (approval) => (approval.tool === 'Write' ? { decision: 'allowOnce' } : { decision: 'deny', reason: 'no shell today' });
    const { session } = await h.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', permissionMode: 'default', prompt: '@edit a.txt one\n@bash echo two > b.txt' });
    await finished(h, session.id);
    assert.deepEqual(
      h.asked.map((a) => [a.tool, a.sessionId, a.status]),
      [
        ['Write', session.id, 'pending'],
        ['Bash', session.id, 'pending'],
      ],
    );
    assert.equal(readFileSync(join(path, 'a.txt'), 'utf8'), 'one\n');
    assert.equal(existsSync(join(path, 'b.txt')), false, 'the denied command did not run');
    const { approvals } = await h.orchd.client.request('approval/list', { sessionId: session.id });
    assert.deepEqual(
      approvals.map((a) => [a.tool, a.status, a.decision, a.decidedBy, a.reason]),
      [
        ['Write', 'allowed', 'allowOnce', 'client:orchd-tests', null],
        ['Bash', 'denied', 'deny', 'client:orchd-tests', 'no shell today'],
      ],
    );
    assert.equal(approvals[1]!.title, 'Bash: echo two > b.txt');
    const resolved = h.events().filter((e) => e.kind === 'approval/resolved' && e.sessionId === session.id);
    assert.equal(resolved.length, 2);

    const { entries, unknownLines } = await h.orchd.client.request('session/entries', { sessionId: session.id });
    assert.equal(unknownLines, 0);
    const tools = entries.map((e) => e.entry).filter((e) => e.type === 'toolCall');
    assert.deepEqual(
      tools.map((t) => t.type === 'toolCall' && [t.name, t.status]),
      [
        ['Write', 'succeeded'],
        ['Bash', 'denied'],
      ],
    );
    const write = tools[0]!;
    assert.ok(write.type === 'toolCall' && write.diff?.includes('+one'), 'the edit carries a diff');
    // Raw output is the source of truth: the live upserts end where a replay of the raw log ends.
    const live = liveEntries(h, session.id);
    assert.deepEqual(
      live.map((e) => e.id).sort(),
      entries.map((e) => e.entry.id).sort(),
    );
    for (const { entry } of entries) assert.deepEqual(live.find((e) => e.id === entry.id), entry, `live entry ${entry.id} matches the replay`);
    // Catch-up by event position: everything after seq 0, nothing after the position the answer covers.
    const all = await h.orchd.client.request('session/entries', { sessionId: session.id, sinceSeq: 0 });
    assert.equal(all.entries.length, entries.length);
    assert.deepEqual((await h.orchd.client.request('session/entries', { sessionId: session.id, sinceSeq: all.seq })).entries, []);
    const lastToolEvent = h.events().filter((e) => e.kind === 'session/entryUpserted' && e.sessionId === session.id && (e.data as any).entry.id === tools[1]!.id).at(-1)!;
    const since = await h.orchd.client.request('session/entries', { sessionId: session.id, sinceSeq: lastToolEvent.seq - 1 });
    assert.ok(since.entries.some((e) => e.entry.id === tools[1]!.id) && since.entries.length < entries.length, 'only entries upserted after that seq');
    // The raw log holds both sides: what orchd wrote to the agent is there as stdin.
    const agent = (await h.orchd.client.request('execution/list', { sessionId: session.id })).executions.find((e) => e.runReason === 'codingAgent')!;
    const logs = await h.orchd.client.request('execution/logs', { executionId: agent.id });
    const stdin = logs.chunks.filter((c) => c.stream === 'stdin').map((c) => c.text).join('');
    assert.match(stdin, /"subtype":"initialize"/);
    assert.match(stdin, /"behavior":"deny","message":"no shell today"/);
  });

  it('applies project rules and the built-in destructive-command rule before asking anyone', async () => {
    const { workspaceId, path } = await h.workspace('Rules', { approvals: { rules: [{ tool: 'Bash', pattern: '^echo ', action: 'allow' }] } });
    h.asked.length = 0;
    const { session } = await h.orchd.client.request('session/start', {
      workspaceId,
      executor: 'scripted-agent',
      permissionMode: 'default',
      prompt: '@bash echo ruled > r.txt\n@bash rm -rf /tmp/orchd-not-yours',
    });
    await finished(h, session.id);
    assert.equal(h.asked.length, 0, 'nobody was asked');
    assert.equal(readFileSync(join(path, 'r.txt'), 'utf8'), 'ruled\n');
    const { approvals } = await h.orchd.client.request('approval/list', { sessionId: session.id });
    assert.deepEqual(
      approvals.map((a) => [a.status, a.decidedBy]),
      [
        ['allowed', 'rule:Bash /^echo /'],
        ['denied', 'rule:builtin/recursive-delete-outside-worktree'],
      ],
    );
  });

  it('stops an agent waiting for an answer: the approval is cancelled and no process is left', async () => {
    const { workspaceId } = await h.workspace('Stop');
    h.answer = () => null;
    h.asked.length = 0;
    const { session } = await h.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', permissionMode: 'default', prompt: '@bash echo never' });
    await waitUntil(() => h.asked.length === 1, 'the approval request');
    const { stopped } = await h.orchd.client.request('session/stop', { sessionId: session.id });
    assert.equal(stopped.length, 1);
    const execution = (await h.orchd.client.request('execution/get', { executionId: stopped[0]! })).execution;
    assert.equal(execution.status, 'killed');
    assert.throws(() => process.kill(-execution.pgid!, 0), 'the process group is gone');
    const { approvals } = await h.orchd.client.request('approval/list', { sessionId: session.id });
    assert.deepEqual(
      approvals.map((a) => a.status),
      ['cancelled'],
    );
    const failure = await h.orchd.client.failure('approval/respond', { approvalId: approvals[0]!.id, decision: 'allowOnce' });
    assert.equal(failure.data.kind, 'invalidState');
    assert.match(failure.message, /to be pending, got `cancelled`/);
  });

  it('rejects answers to unknown approvals with notFound', async () => {
    const failure = await h.orchd.client.failure('approval/respond', { approvalId: 'apr_nope', decision: 'deny' });
    assert.equal(failure.data.kind, 'notFound');
  });
});

describe('approvals without a host that answers', () => {
  it('waits for approval/respond; allowSession carries over to the follow-up; the timeout policy denies', async () => {
    const h = await harness({ approvals: false });
    try {
      const { workspaceId, path } = await h.workspace('Poll');
      const { session } = await h.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', permissionMode: 'default', prompt: '@bash echo first > f.txt' });
      await waitUntil(() => h.events().some((e) => e.kind === 'approval/requested' && e.sessionId === session.id), 'approval/requested');
      assert.equal(h.asked.length, 0, 'a client without the capability is not sent approval/request');
      const { approvals } = await h.orchd.client.request('approval/list', { status: ['pending'] });
      assert.equal(approvals.length, 1);
      const { approval } = await h.orchd.client.request('approval/respond', { approvalId: approvals[0]!.id, decision: 'allowSession' });
      assert.equal(approval.status, 'allowed');
      await finished(h, session.id);
      assert.equal(readFileSync(join(path, 'f.txt'), 'utf8'), 'first\n');
      // The follow-up is a new agent process: orchd remembers the grant.
      await h.orchd.client.request('session/followUp', { sessionId: session.id, prompt: '@bash echo second > s.txt' });
      await waitUntil(() => existsSync(join(path, 's.txt')), 'the follow-up to run its command without asking');
      await waitUntil(() => h.events().filter((e) => e.kind === 'approval/resolved' && e.sessionId === session.id).length === 2, 'the second approval');
      const all = (await h.orchd.client.request('approval/list', { sessionId: session.id })).approvals;
      assert.deepEqual(
        all.map((a) => a.decidedBy),
        ['client:orchd-tests', 'session'],
      );

      const timed = await h.workspace('Timeout', { approvals: { timeoutSeconds: 1, onTimeout: 'deny' } });
      const second = await h.orchd.client.request('session/start', { workspaceId: timed.workspaceId, executor: 'scripted-agent', permissionMode: 'default', prompt: '@bash echo late > l.txt' });
      await finished(h, second.session.id);
      const [late] = (await h.orchd.client.request('approval/list', { sessionId: second.session.id })).approvals;
      assert.deepEqual([late!.status, late!.decidedBy], ['denied', 'timeout']);
      assert.equal(existsSync(join(timed.path, 'l.txt')), false);
    } finally {
      await h.orchd.close();
      rmSync(h.repo, { recursive: true, force: true });
      rmSync(h.agentHome, { recursive: true, force: true });
    }
  });

  it('expires approvals left pending by a daemon that was killed, on the next start', async () => {
    const dataDir = tempDir('orchd-approvals-crash-');
    const first = await harness({ approvals: false, dataDir });
    const { workspaceId } = await first.workspace('Crash');
    const { session } = await first.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', permissionMode: 'default', prompt: '@bash echo waiting' });
    await waitUntil(() => first.events().some((e) => e.kind === 'approval/requested'), 'approval/requested');
    first.orchd.child.kill('SIGKILL');
    await first.orchd.exited;
    const second = await harness({ approvals: false, dataDir, agentHome: first.agentHome, repo: first.repo });
    try {
      const { approvals } = await second.orchd.client.request('approval/list', { sessionId: session.id });
      assert.deepEqual(
        approvals.map((a) => [a.status, a.decidedBy]),
        [['expired', 'orchd']],
      );
      assert.match(approvals[0]!.reason ?? '', /orchd stopped while this waited/);
    } finally {
      await second.orchd.close();
      rmSync(first.repo, { recursive: true, force: true });
      rmSync(first.agentHome, { recursive: true, force: true });
    }
  });
});
