// Real Codex through orchd's `codex-exec` fallback (`codex exec --json`): an edit in the sandbox, auto-committed,
// normalized, and a follow-up that resumes the thread. It has no approvals: the sandbox decides.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AGENT_SUITE_MS } from '../support/bounds.js';
import { git } from '../support/repo.js';
import { lastSeq, realAgentHarness, type RealAgentHarness } from './support/harness.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

describe('real Codex through codex exec --json', { timeout: AGENT_SUITE_MS }, () => {
  let h: RealAgentHarness;
  before(async () => {
    h = await realAgentHarness('codex');
  });
  after(() => h?.close());

  it('edits, commits, normalizes, and resumes the thread on a follow-up', async () => {
    const { workspaceId, path } = await h.workspace('Exec');
    const { session } = await h.orchd.client.request('session/start', { workspaceId, executor: 'codex-exec', prompt: 'Create it. [mock:edit-file path=hello.txt content=from-exec]' });
    await h.idle(session.id);
    assert.equal(readFileSync(join(path, 'hello.txt'), 'utf8'), 'from-exec');
    assert.match(git(path, 'log', '-1', '--format=%s'), /^Create it/);
    const { entries, unknownLines } = await h.orchd.client.request('session/entries', { sessionId: session.id });
    const tools = entries.map((e) => e.entry).filter((e) => e.type === 'toolCall');
    assert.ok(tools.some((t) => t.type === 'toolCall' && t.kind === 'command' && t.status === 'succeeded'), JSON.stringify(tools));
    assert.ok(entries.some((e) => e.entry.type === 'assistantMessage' && e.entry.text.includes('done')));
    assert.ok(unknownLines <= 2, `only Codex's stderr warnings are unknown, got ${unknownLines}`);
    const thread = (await h.orchd.client.request('session/get', { sessionId: session.id })).session.agentSessionId;
    assert.ok(thread, 'the thread id was recorded');
    assert.equal(h.asked.length, 0, 'exec never asks');

    const mark = lastSeq(h);
    const before = h.mock.requests.length;
    await h.orchd.client.request('session/followUp', { sessionId: session.id, prompt: 'And now? [mock:text]' });
    await h.idle(session.id, mark);
    const runs = (await h.orchd.client.request('execution/list', { sessionId: session.id })).executions.filter((e) => e.runReason === 'codingAgent');
    assert.deepEqual(
      runs.map((r) => r.status),
      ['completed', 'completed'],
    );
    assert.equal(runs[1]!.action.type === 'agent' && runs[1]!.action.resumeAgentSessionId, thread);
    const resumed = h.mock.requests.slice(before).find((r) => JSON.stringify(r.body ?? null).includes('And now?'));
    assert.ok(resumed && JSON.stringify(resumed.body).includes('Create it.'), 'the resumed thread carries the first turn');
  });
});
