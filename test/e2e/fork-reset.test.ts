// Fork and reset of an agent conversation, with the scripted agent (Claude's --fork-session and
// --resume-session-at): a fork as of an earlier turn starts a new agent session that remembers only up to that turn;
// a reset continues the same session from an earlier turn.
import assert from 'node:assert/strict';
import { realpathSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { spawnOrchd, tempDir, type SpawnedOrchd } from '../support/client.js';
import { makeRepo } from '../support/repo.js';
import { CHAIN_MS } from '../support/bounds.js';
import { waitUntil } from '../support/wait.js';

describe('fork and reset (scripted agent)', () => {
  let orchd: SpawnedOrchd;
  let repo: string;
  let agentHome: string;
  let subscriptionId = '';
  let projectId = '';
  before(async () => {
    agentHome = tempDir('orchd-agent-home-');
    orchd = spawnOrchd({ env: { FAKE_AGENT_HOME: agentHome } });
    repo = realpathSync(makeRepo({ 'README.md': '# app\n' }));
    await orchd.client.initialize();
    subscriptionId = (await orchd.client.request('events/subscribe', {})).subscriptionId;
    projectId = (await orchd.client.request('project/create', { name: 'fork', repositories: [{ path: repo }] })).project.id;
  });
  after(async () => {
    await orchd.close();
    rmSync(repo, { recursive: true, force: true });
    rmSync(agentHome, { recursive: true, force: true });
  });

  const workspace = async (title: string) => {
    const task = (await orchd.client.request('task/create', { projectId, title })).task;
    return (await orchd.client.request('workspace/create', { taskId: task.id })).workspace.id;
  };
  const idleCount = (sessionId: string) => orchd.client.events(subscriptionId).filter((e) => e.kind === 'session/updated' && e.sessionId === sessionId && (e.data as any).session.status === 'idle').length;
  const runTo = async (sessionId: string, count: number) => waitUntil(() => idleCount(sessionId) >= count, `session ${sessionId} idle ${count} times`, CHAIN_MS);
  const agentRuns = async (sessionId: string) => (await orchd.client.request('execution/list', { sessionId })).executions.filter((e) => e.runReason === 'codingAgent');
  const outputOf = async (executionId: string) => (await orchd.client.request('execution/logs', { executionId })).chunks.filter((c) => c.stream === 'stdout').map((c) => c.text).join('');

  it('forks as of an earlier turn into a new agent session, and resets a session to an earlier turn', async () => {
    const { session } = await orchd.client.request('session/start', { workspaceId: await workspace('source'), executor: 'scripted-agent', prompt: 'first prompt' });
    await runTo(session.id, 1);
    await orchd.client.request('session/followUp', { sessionId: session.id, prompt: 'second prompt' });
    await runTo(session.id, 2);
    const [turn1] = await agentRuns(session.id);
    const source = (await orchd.client.request('session/get', { sessionId: session.id })).session;

    const forked = await orchd.client.request('session/start', { workspaceId: await workspace('fork'), executor: 'scripted-agent', forkFrom: { sessionId: session.id, executionId: turn1!.id }, prompt: '@recall' });
    await runTo(forked.session.id, 1);
    const [forkRun] = await agentRuns(forked.session.id);
    assert.equal(forkRun!.action.type === 'agent' && forkRun!.action.fork, true);
    assert.equal(forkRun!.action.type === 'agent' && forkRun!.action.resumeAgentSessionId, source.agentSessionId);
    const forkOutput = await outputOf(forkRun!.id);
    assert.match(forkOutput, /Earlier you said: first prompt/);
    assert.doesNotMatch(forkOutput, /second prompt/, 'the fork is as of the first turn');
    const forkSession = (await orchd.client.request('session/get', { sessionId: forked.session.id })).session;
    assert.ok(forkSession.agentSessionId && forkSession.agentSessionId !== source.agentSessionId, 'the fork has its own agent session');

    await orchd.client.request('session/followUp', { sessionId: session.id, prompt: '@recall', resetTo: turn1!.id });
    await runTo(session.id, 3);
    const resetRun = (await agentRuns(session.id))[2]!;
    assert.ok(resetRun.action.type === 'agent' && resetRun.action.resumeAt, 'the reset resumed at a message id');
    const resetOutput = await outputOf(resetRun.id);
    assert.match(resetOutput, /Earlier you said: first prompt/);
    assert.doesNotMatch(resetOutput, /second prompt/, 'the turns after the reset point are dropped');
  });

  it('refuses forks and resets that cannot work, naming the field', async () => {
    const ws = await workspace('refusals');
    const unknown = await orchd.client.failure('session/start', { workspaceId: ws, executor: 'scripted-agent', forkFrom: { sessionId: 'ses_nope' }, prompt: 'x' });
    assert.equal(unknown.data.kind, 'notFound');
    const { session } = await orchd.client.request('session/start', { workspaceId: ws, executor: 'scripted-agent', prompt: 'only turn' });
    await runTo(session.id, 1);
    const notMine = await orchd.client.failure('session/followUp', { sessionId: session.id, prompt: 'x', resetTo: 'exe_nope' });
    assert.equal(notMine.data.kind, 'notFound');
    assert.match(notMine.message, /`resetTo`/);
  });
});
