// The generic `acp` executor: any agent that speaks ACP on stdio, its command line from a project profile. Driven
// here with fixtures/acp-agent (a scripted ACP agent) through orchd over real stdio.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Approval } from '../../protocol/approvals.js';
import { ROOT, spawnOrchd, tempDir, type SpawnedOrchd } from '../support/client.js';
import { makeRepo } from '../support/repo.js';
import { CHAIN_MS } from '../support/bounds.js';
import { waitUntil } from '../support/wait.js';

describe('acp executor with a command line from a profile', () => {
  let orchd: SpawnedOrchd;
  let repo: string;
  let state: string;
  const asked: Approval[] = [];
  let subscriptionId = '';
  before(async () => {
    orchd = spawnOrchd();
    repo = realpathSync(makeRepo({ 'README.md': '# app\n' }));
    state = tempDir('orchd-acp-state-');
    orchd.client.connection.onRequest('approval/request', (params: { approval: Approval }) => {
      asked.push(params.approval);
      return { decision: asked.length === 1 ? 'allowOnce' : 'deny' };
    });
    await orchd.client.initialize({ capabilities: { approvals: true } });
    subscriptionId = (await orchd.client.request('events/subscribe', {})).subscriptionId;
  });
  after(async () => {
    await orchd.close();
    rmSync(repo, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  });

  const idle = (sessionId: string, count: number) =>
    waitUntil(
      () => orchd.client.events(subscriptionId).filter((e) => e.kind === 'session/updated' && e.sessionId === sessionId && (e.data as any).session.status === 'idle').length >= count,
      'the session to go idle',
      CHAIN_MS,
    );

  it('runs the profile’s command, asks approvals, edits, and follows up with session/load', async () => {
    const profiles = { scripted: { executor: 'acp', command: [process.execPath, join(ROOT, 'fixtures', 'acp-agent', 'acp-agent.mjs')], env: { ACP_AGENT_STATE: state } } };
    const project = (await orchd.client.request('project/create', { name: 'acp', repositories: [{ path: repo }], settings: { profiles } as never })).project;
    const task = (await orchd.client.request('task/create', { projectId: project.id, title: 'acp' })).task;
    const ws = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
    const path = ws.repositories[0]!.path;
    const { session } = await orchd.client.request('session/start', { workspaceId: ws.id, profile: 'scripted', prompt: 'Write it [edit path=a.txt content=hello]' });
    assert.equal(session.executor, 'acp');
    assert.deepEqual(session.profile.command, profiles.scripted.command);
    await idle(session.id, 1);
    assert.equal(readFileSync(join(path, 'a.txt'), 'utf8'), 'hello');
    await orchd.client.request('session/followUp', { sessionId: session.id, prompt: 'Again [edit path=b.txt content=no]' });
    await idle(session.id, 2);
    assert.equal(existsSync(join(path, 'b.txt')), false, 'the second edit was denied');
    const { executions } = await orchd.client.request('execution/list', { sessionId: session.id });
    assert.deepEqual(
      executions.map((e) => [e.status, e.action.type === 'agent' && e.action.resumeAgentSessionId !== null]),
      [
        ['completed', false],
        ['completed', true],
      ],
    );
    const { entries, unknownLines } = await orchd.client.request('session/entries', { sessionId: session.id });
    assert.equal(unknownLines, 0);
    assert.deepEqual(
      entries.map((e) => e.entry).filter((e) => e.type === 'toolCall').map((e) => e.type === 'toolCall' && e.status),
      ['succeeded', 'denied'],
    );
  });

  it('refuses `acp` without a command line, naming the field', async () => {
    const project = (await orchd.client.request('project/create', { name: 'acp-none', repositories: [{ path: repo }] })).project;
    const task = (await orchd.client.request('task/create', { projectId: project.id, title: 'none' })).task;
    const ws = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
    const failure = await orchd.client.failure('session/start', { workspaceId: ws.id, executor: 'acp', prompt: 'hi' });
    assert.equal(failure.data.kind, 'invalidParams');
    assert.match(failure.message, /`command`/);
  });
});
