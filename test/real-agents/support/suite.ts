// The end-to-end story every real agent must pass through orchd over real stdio: listed with its version; setup
// script, an approval allowed, the file edited and auto-committed, the task in review, normalized entries; a
// follow-up that resumes the agent's session with the next approval denied; a stop mid-turn leaving no process.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AGENT_EVENT_MS, AGENT_SUITE_MS, OUTLASTING_SLOW_DELTAS } from '../../support/bounds.js';
import { git } from '../../support/repo.js';
import { waitUntil } from '../../support/wait.js';
import type { AgentId } from './install.js';
import { lastSeq, realAgentHarness, type RealAgentHarness } from './harness.js';

export interface RealAgentSuite {
  agent: AgentId;
  executor: string;
  /** The permission mode that makes the agent ask before it edits (undefined: the executor's default asks). */
  askingMode?: string;
  /** The approval's tool name for the edit. */
  editTool: RegExp;
  /** The kind of the tool-call entry the edit becomes (Codex edits through a shell command). */
  editKind: 'edit' | 'command';
  /** Whether the model request on resume carries the earlier turn where the mock can see it. */
  resumeVisibleToModel?: boolean;
}

export function describeRealAgent(suite: RealAgentSuite): void {
  describe(`real ${suite.executor} through orchd`, { timeout: AGENT_SUITE_MS }, () => {
    let h: RealAgentHarness;
    const mode = suite.askingMode ? { permissionMode: suite.askingMode } : {};
    before(async () => {
      h = await realAgentHarness(suite.agent);
    });
    after(() => h?.close());

    it('is listed in executor/list with the installed version', async () => {
      const { executors } = await h.orchd.client.request('executor/list', {});
      const info = executors.find((e) => e.id === suite.executor)!;
      assert.equal(info.available, true, info.hint ?? '');
      assert.equal(info.version, h.cli.version);
      assert.equal(info.capabilities.approvals, true);
    });

    it('runs setup, edits after an allowed approval, auto-commits, resumes on follow-up, and honours a denial', async () => {
      const { workspaceId, taskId, path } = await h.workspace('Hello', { setup: [{ command: 'echo prepared > .setup-ran', name: 'prepare' }] });
      h.answer = () => ({ decision: 'allowOnce' });
      h.asked.length = 0;
      const { session } = await h.orchd.client.request('session/start', {
        workspaceId,
        executor: suite.executor,
        ...mode,
        prompt: 'Create the greeting file. [mock:edit-file path=hello.txt content=hi-from-agent]',
      });
      await h.idle(session.id);
      assert.equal(readFileSync(join(path, 'hello.txt'), 'utf8'), 'hi-from-agent');
      assert.ok(existsSync(join(path, '.setup-ran')), 'the setup script ran first');
      assert.ok(h.asked.length >= 1, 'the host was asked');
      assert.match(h.asked[0]!.tool, suite.editTool);
      assert.match(git(path, 'log', '-1', '--format=%s'), /^Create the greeting file/, 'auto-committed');
      assert.equal(git(path, 'status', '--porcelain'), '');
      assert.equal((await h.orchd.client.request('task/get', { taskId })).task.status, 'inReview');
      const entries = await h.entries(session.id);
      const edit = entries.find((e) => e.type === 'toolCall' && e.kind === suite.editKind && e.status === 'succeeded');
      assert.ok(edit, `a succeeded ${suite.editKind} tool call: ${JSON.stringify(entries.filter((e) => e.type === 'toolCall'))}`);
      assert.ok(entries.some((e) => e.type === 'assistantMessage' && e.text.includes('done')), 'the final answer is an assistant message');
      const agentSessionId = (await h.orchd.client.request('session/get', { sessionId: session.id })).session.agentSessionId;
      assert.ok(agentSessionId, 'the agent session id was recorded');

      h.answer = () => ({ decision: 'deny', reason: 'not this one' });
      const mark = lastSeq(h);
      const requestsBefore = h.mock.requests.length;
      await h.orchd.client.request('session/followUp', { sessionId: session.id, prompt: 'Now another file. [mock:edit-file path=denied.txt content=no]' });
      await h.idle(session.id, mark);
      assert.equal(existsSync(join(path, 'denied.txt')), false, 'the denied edit did not happen');
      const agents = (await h.orchd.client.request('execution/list', { sessionId: session.id })).executions.filter((e) => e.runReason === 'codingAgent');
      assert.equal(agents.length, 2);
      assert.equal(agents[1]!.action.type === 'agent' && agents[1]!.action.resumeAgentSessionId, agentSessionId);
      if (suite.resumeVisibleToModel !== false) {
        const resumed = h.mock.requests.slice(requestsBefore).find((r) => JSON.stringify(r.body ?? null).includes('Now another file'));
        assert.ok(resumed && JSON.stringify(resumed.body).includes('Create the greeting file'), 'the resumed conversation carries the first turn');
      }
      const later = await h.entries(session.id);
      assert.ok(
        later.some((e) => e.type === 'toolCall' && e.executionId === agents[1]!.id && e.status === 'denied'),
        `a denied tool call in the follow-up: ${JSON.stringify(later.filter((e) => e.type === 'toolCall'))}`,
      );
      const { approvals } = await h.orchd.client.request('approval/list', { sessionId: session.id });
      assert.deepEqual(
        approvals.map((a) => a.status),
        ['allowed', 'denied'],
      );
    });

    it('stops mid-turn: the agent is interrupted and no process is left', async () => {
      const { workspaceId } = await h.workspace('Slow');
      const { session } = await h.orchd.client.request('session/start', { workspaceId, executor: suite.executor, prompt: `Take your time. [mock:slow n=${OUTLASTING_SLOW_DELTAS} ms=100]` });
      await waitUntil(() => h.mock.requests.some((r) => JSON.stringify(r.body ?? null).includes('Take your time')), 'the agent to call the model', AGENT_EVENT_MS);
      const { stopped } = await h.orchd.client.request('session/stop', { sessionId: session.id }, AGENT_EVENT_MS);
      assert.equal(stopped.length, 1);
      const execution = (await h.orchd.client.request('execution/get', { executionId: stopped[0]! })).execution;
      assert.equal(execution.status, 'killed');
      assert.throws(() => process.kill(-execution.pgid!, 0), 'the process group is gone');
    });
  });
}
