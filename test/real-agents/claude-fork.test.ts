// Real Claude Code: fork as of an earlier turn (--resume --fork-session --resume-session-at) and reset a session to
// an earlier turn. What the model is sent on the next turn shows which history the CLI kept.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AGENT_SUITE_MS } from '../support/bounds.js';
import { lastSeq, realAgentHarness, type RealAgentHarness } from './support/harness.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

describe('real Claude Code: fork and reset', { timeout: AGENT_SUITE_MS }, () => {
  let h: RealAgentHarness;
  before(async () => {
    h = await realAgentHarness('claude');
  });
  after(() => h?.close());

  /** The body of the first model request made after `index` that carries `marker`. */
  const sentWith = (index: number, marker: string) => JSON.stringify(h.mock.requests.slice(index).find((r) => JSON.stringify(r.body ?? null).includes(marker))?.body ?? null);

  it('a fork as of turn one, and a reset to turn one, keep turn one and drop turn two', async () => {
    const { workspaceId } = await h.workspace('Source');
    const { session } = await h.orchd.client.request('session/start', { workspaceId, executor: 'claude-code', prompt: 'alpha-turn [mock:text]' });
    await h.idle(session.id);
    let mark = lastSeq(h);
    await h.orchd.client.request('session/followUp', { sessionId: session.id, prompt: 'beta-turn [mock:text]' });
    await h.idle(session.id, mark);
    const [turn1] = (await h.orchd.client.request('execution/list', { sessionId: session.id })).executions.filter((e) => e.runReason === 'codingAgent');

    const other = await h.workspace('Fork');
    let before = h.mock.requests.length;
    const fork = await h.orchd.client.request('session/start', { workspaceId: other.workspaceId, executor: 'claude-code', forkFrom: { sessionId: session.id, executionId: turn1!.id }, prompt: 'gamma-fork [mock:text]' });
    await h.idle(fork.session.id);
    const forkBody = sentWith(before, 'gamma-fork');
    assert.match(forkBody, /alpha-turn/);
    assert.doesNotMatch(forkBody, /beta-turn/);
    const forked = (await h.orchd.client.request('session/get', { sessionId: fork.session.id })).session;
    const source = (await h.orchd.client.request('session/get', { sessionId: session.id })).session;
    assert.ok(forked.agentSessionId && forked.agentSessionId !== source.agentSessionId, 'the fork got its own Claude session id');

    before = h.mock.requests.length;
    mark = lastSeq(h);
    await h.orchd.client.request('session/followUp', { sessionId: session.id, prompt: 'delta-reset [mock:text]', resetTo: turn1!.id });
    await h.idle(session.id, mark);
    const resetBody = sentWith(before, 'delta-reset');
    assert.match(resetBody, /alpha-turn/);
    assert.doesNotMatch(resetBody, /beta-turn/);
  });
});
