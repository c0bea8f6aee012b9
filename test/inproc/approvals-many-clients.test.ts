// Approvals with several clients on one daemon (the service-mode shape, over in-process connections that are not the
// owner): every client that declared `capabilities.approvals` is asked, the first answer wins and the others' requests
// are withdrawn, and a pending approval outlives every client and is asked again of the next one.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Approval } from '../../protocol/approvals.js';
import { CHAIN_MS } from '../support/bounds.js';
import { startAgentFixture, stopAgentFixture, type AgentFixture } from '../support/inproc.js';
import { attachExtraClient, type ExtraClient } from '../support/multi-client.js';
import { waitUntil } from '../support/wait.js';

describe('approvals with many clients (in-process)', () => {
  let fixture: AgentFixture;
  before(async () => {
    fixture = await startAgentFixture();
  });
  after(() => stopAgentFixture(fixture));

  async function workspace(title: string): Promise<{ workspaceId: string; path: string }> {
    const { client } = fixture.orchd;
    const project = (await client.request('project/create', { name: title, repositories: [{ path: fixture.repo }] })).project;
    const task = (await client.request('task/create', { projectId: project.id, title })).task;
    const ws = (await client.request('workspace/create', { taskId: task.id })).workspace;
    return { workspaceId: ws.id, path: ws.repositories[0]!.path };
  }

  const idle = (sessionId: string) =>
    waitUntil(() => fixture.events().some((e) => e.kind === 'session/updated' && e.sessionId === sessionId && (e.data as any).session.status === 'idle'), 'the session to go idle', CHAIN_MS);

  /** A client (not the owner) that records what it is asked and answers as `answer` says (null: never). */
  async function approver(name: string, answer: (approval: Approval) => { decision: string } | Promise<{ decision: string }> | null) {
    const client = attachExtraClient(fixture.orchd.host, name, { owner: false });
    const asked: Approval[] = [];
    const withdrawn: string[] = [];
    client.onApprovalRequest(({ approval }, token) => {
      asked.push(approval);
      token.onCancellationRequested(() => withdrawn.push(approval.id));
      return answer(approval) ?? new Promise(() => {});
    });
    await client.initialize({ approvals: true });
    return { client, asked, withdrawn };
  }

  async function leave(client: ExtraClient): Promise<void> {
    await client.request('shutdown');
    await client.notify('exit');
    await client.closed;
  }

  it('asks every client that answers approvals; the first answer wins and the other request is withdrawn', async () => {
    const { workspaceId, path } = await workspace('First answer wins');
    let release: (() => void) | undefined;
    const bothAsked = new Promise<void>((resolve) => (release = resolve));
    // `a` answers only once `b` has been asked too, so both hold the same question.
    const b = await approver('approver-b', () => null);
    const a = await approver('approver-a', () => bothAsked.then(() => ({ decision: 'allowOnce' })));
    const sub = await b.client.subscribe({ filter: { kinds: ['approval/resolved'] } });
    const resolvedFor: string[] = [];
    b.client.onEvent((subscriptionId, event) => {
      if (subscriptionId === sub.subscriptionId) resolvedFor.push((event.data as any).approval.id);
    });

    const { session } = await fixture.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', permissionMode: 'default', prompt: '@edit a.txt one' });
    await waitUntil(() => a.asked.length === 1 && b.asked.length === 1, 'both clients to be asked');
    assert.equal(a.asked[0]!.id, b.asked[0]!.id, 'the same approval');
    release!();
    await idle(session.id);

    const approvalId = a.asked[0]!.id;
    assert.equal(readFileSync(join(path, 'a.txt'), 'utf8'), 'one\n', 'the agent resumed with the answer');
    const { approvals } = await fixture.orchd.client.request('approval/list', { sessionId: session.id });
    assert.deepEqual(
      approvals.map((x) => [x.id, x.status, x.decidedBy]),
      [[approvalId, 'allowed', 'client:approver-a']],
    );
    await waitUntil(() => b.withdrawn.includes(approvalId), "the other client's request to be withdrawn ($/cancelRequest)");
    await waitUntil(() => resolvedFor.includes(approvalId), 'the other client to see approval/resolved');
    assert.deepEqual(a.withdrawn, [], 'the answer that won is not withdrawn');
    await leave(a.client);
    await leave(b.client);
  });

  it('a pending approval outlives every client that could answer it and is asked again of the next one', async () => {
    const { workspaceId, path } = await workspace('Outlives its clients');
    const first = await approver('approver-1', () => null);
    const second = await approver('approver-2', () => null);
    const { session } = await fixture.orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', permissionMode: 'default', prompt: '@edit b.txt two' });
    await waitUntil(() => first.asked.length === 1 && second.asked.length === 1, 'both clients to be asked');
    const approvalId = first.asked[0]!.id;
    await leave(first.client);
    await leave(second.client);

    const { approvals } = await fixture.orchd.client.request('approval/list', { sessionId: session.id });
    assert.deepEqual(
      approvals.map((x) => [x.id, x.status]),
      [[approvalId, 'pending']],
      'no client is left to answer, and the approval still waits',
    );
    assert.equal(existsSync(join(path, 'b.txt')), false, 'the agent is still waiting');

    const third = await approver('approver-3', () => ({ decision: 'allowOnce' }));
    await idle(session.id);
    assert.deepEqual(
      third.asked.map((x) => x.id),
      [approvalId],
      'the newcomer is asked the same approval',
    );
    assert.equal(readFileSync(join(path, 'b.txt'), 'utf8'), 'two\n');
    await leave(third.client);
  });
});
