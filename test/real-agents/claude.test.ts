// Real Claude Code through orchd over real stdio, against the project's mock model: setup script, normalized
// entries, a file edited in the worktree and auto-committed, the task in review, a follow-up that resumes, an
// approval allowed then one denied, and a stop mid-turn that leaves no process. The CLI installs on first use.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { git } from '../support/repo.js';
import { waitUntil } from '../support/wait.js';
import { lastSeq, realAgentHarness, type RealAgentHarness } from './support/harness.js';

describe('real Claude Code through orchd', { timeout: 600_000 }, () => {
  let h: RealAgentHarness;
  before(async () => {
    h = await realAgentHarness('claude');
  });
  after(() => h?.close());

  it('lists the installed CLI in executor/list with its version', async () => {
    const { executors } = await h.orchd.client.request('executor/list', {});
    const claude = executors.find((e) => e.id === 'claude-code')!;
    assert.equal(claude.available, true);
    assert.equal(claude.version, h.cli.version);
    assert.equal(claude.capabilities.approvals, true);
  });

  it('runs setup, edits with an allowed approval, auto-commits, resumes on follow-up, and denies the next ask', async () => {
    const { workspaceId, taskId, path } = await h.workspace('Hello', { setup: [{ command: 'echo prepared > .setup-ran', name: 'prepare' }] });
    h.answer = () => ({ decision: 'allowOnce' });
    const { session } = await h.orchd.client.request('session/start', {
      workspaceId,
      executor: 'claude-code',
      permissionMode: 'default',
      prompt: 'Create the greeting file. [mock:edit-file path=hello.txt content=hi-from-claude]',
    });
    await h.idle(session.id);
    assert.equal(readFileSync(join(path, 'hello.txt'), 'utf8'), 'hi-from-claude');
    assert.ok(existsSync(join(path, '.setup-ran')), 'the setup script ran first');
    assert.equal(h.asked.length, 1);
    assert.equal(h.asked[0]!.tool, 'Write');
    assert.match(git(path, 'log', '-1', '--format=%s'), /^Create the greeting file/);
    assert.equal((await h.orchd.client.request('task/get', { taskId })).status, 'inReview');
    const entries = await h.entries(session.id);
    const write = entries.find((e) => e.type === 'toolCall' && e.name === 'Write');
    assert.ok(write && write.type === 'toolCall' && write.status === 'succeeded' && write.kind === 'edit' && write.path?.endsWith('hello.txt'));
    assert.ok(entries.some((e) => e.type === 'assistantMessage' && e.text.includes('done')));
    assert.ok(entries.some((e) => e.type === 'usage'));
    const system = entries.find((e) => e.type === 'systemInfo');
    assert.ok(system && system.type === 'systemInfo' && system.agentVersion === h.cli.version);
    const agentSessionId = (await h.orchd.client.request('session/get', { sessionId: session.id })).agentSessionId;
    assert.match(agentSessionId ?? '', /^[0-9a-f-]{36}$/);

    // Follow-up: a new process resuming Claude's session; the model sees the first turn; this time the host denies.
    h.answer = () => ({ decision: 'deny', reason: 'not this one' });
    const mark = lastSeq(h);
    const requestsBefore = h.mock.requests.length;
    await h.orchd.client.request('session/followUp', { sessionId: session.id, prompt: 'Now another file. [mock:edit-file path=denied.txt content=no]' });
    await h.idle(session.id, mark);
    assert.equal(existsSync(join(path, 'denied.txt')), false, 'the denied write did not happen');
    const { executions } = await h.orchd.client.request('execution/list', { sessionId: session.id });
    const followUp = executions.filter((e) => e.runReason === 'codingAgent')[1]!;
    assert.equal(followUp.action.type === 'agent' && followUp.action.resumeAgentSessionId, agentSessionId);
    const resumed = h.mock.requests.slice(requestsBefore).find((r) => r.path.startsWith('/v1/messages') && JSON.stringify(r.body).includes('Now another file'));
    assert.ok(resumed && JSON.stringify(resumed.body).includes('Create the greeting file'), 'the resumed conversation carries the first turn');
    const after = await h.entries(session.id);
    const denied = after.find((e) => e.type === 'toolCall' && e.executionId === followUp.id && e.name === 'Write');
    assert.ok(denied && denied.type === 'toolCall' && denied.status === 'denied');
    const { approvals } = await h.orchd.client.request('approval/list', { sessionId: session.id });
    assert.deepEqual(
      approvals.map((a) => [a.tool, a.status]),
      [
        ['Write', 'allowed'],
        ['Write', 'denied'],
      ],
    );
  });

  it('stops mid-turn: the interrupt ends the turn and no process is left', async () => {
    const { workspaceId } = await h.workspace('Slow');
    const { session } = await h.orchd.client.request('session/start', { workspaceId, executor: 'claude-code', prompt: 'Take your time. [mock:slow n=200 ms=100]' });
    await waitUntil(() => h.events().some((e) => e.kind === 'session/entryUpserted' && e.sessionId === session.id && (e.data as any).entry.type === 'systemInfo'), 'the agent to start', 60_000);
    const { stopped } = await h.orchd.client.request('session/stop', { sessionId: session.id }, 30_000);
    assert.equal(stopped.length, 1);
    const execution = await h.orchd.client.request('execution/get', { executionId: stopped[0]! });
    assert.equal(execution.status, 'killed');
    assert.throws(() => process.kill(-execution.pgid!, 0), 'the process group is gone');
  });
});
