// The approval question of `orchd run` comes after the tool line it is about: `approval/request` reaches the CLI
// before the events that precede it (and the tool call's entry may even be written after `approval/requested`), so
// the prompter waits until the live view has shown both. Driven with the real renderer and prompter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Approval } from '../../protocol/approvals.js';
import type { NormalizedEntry } from '../../protocol/entries.js';
import type { Event } from '../../protocol/events.js';
import { ApprovalOrder } from '../../src/cli/run/approval-order.js';
import { ApprovalPrompter } from '../../src/cli/run/approvals-prompt.js';
import { RunRenderer } from '../../src/cli/run/render.js';

/** Every pending microtask and I/O callback run: the prompter has gone as far as it can without more events. */
const drained = () => new Promise<void>((resolve) => setImmediate(resolve));

let seq = 0;
const event = (kind: string, data: unknown): Event => ({ seq: ++seq, kind, at: '2026-01-01T00:00:00.000Z', data });
const approval: Approval = {
  id: 'apr_1',
  sessionId: 'ses_1',
  executionId: 'exe_1',
  tool: 'Bash',
  toolCallId: 'toolu_1',
  input: { command: 'rm -rf build' },
  title: 'Bash: rm -rf build',
  options: ['allowOnce', 'allowSession', 'deny'],
  status: 'pending',
  decision: null,
  reason: null,
  decidedBy: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  resolvedAt: null,
};
const toolEntry: NormalizedEntry = {
  id: 'exe_1/tool/toolu_1',
  executionId: 'exe_1',
  type: 'toolCall',
  toolCallId: 'toolu_1',
  name: 'Bash',
  kind: 'command',
  status: 'pending',
  title: 'rm -rf build',
  input: { command: 'rm -rf build' },
  output: null,
  path: null,
  command: 'rm -rf build',
  exitCode: null,
  diff: null,
};
const before = event('session/entryUpserted', { sessionId: 'ses_1', entry: { id: 'exe_1/msg/1', executionId: 'exe_1', type: 'assistantMessage', text: 'Cleaning up first.' } });
const requested = event('approval/requested', { approval });
const toolCall = event('session/entryUpserted', { sessionId: 'ses_1', entry: toolEntry });

/** The live view, the order keeper and the prompter wired as run.ts wires them; `screen` is what was written, questions included. */
function harness(waitMs?: number) {
  let screen = '';
  const renderer = new RunRenderer({ write: (text) => (screen += text), tty: false, color: false, agent: 'scripted-agent' });
  const order = new ApprovalOrder(waitMs);
  const asked: string[] = [];
  const prompter = new ApprovalPrompter({
    interactive: true,
    yes: false,
    ready: (a, signal) => order.ready(a, signal),
    onAsking: (asking) => (asking ? renderer.hold() : renderer.release()),
    ask: async (question) => {
      screen += `${question}\n`;
      asked.push(screen);
      return 'y';
    },
  });
  const deliver = (e: Event) => {
    renderer.event(e);
    order.shown(e);
  };
  return { prompter, deliver, asked, screen: () => screen, order };
}

describe('approval questions keep their place in the live view', () => {
  it('a request that arrives before its events is asked after the tool line', async () => {
    const h = harness();
    const answer = h.prompter.answer(approval, new AbortController().signal);
    // The prompter has gone as far as it can: nothing may be asked before the events.
    await drained();
    assert.equal(h.asked.length, 0);
    h.deliver(before);
    h.deliver(requested);
    h.deliver(toolCall);
    assert.deepEqual(await answer, { decision: 'allowOnce' });
    const screen = h.asked[0]!;
    const toolLine = screen.indexOf('⏺ Bash  rm -rf build');
    const question = screen.indexOf('Allow Bash: rm -rf build?');
    assert.ok(screen.indexOf('Cleaning up first.') >= 0 && screen.indexOf('Cleaning up first.') < toolLine, screen);
    assert.ok(toolLine >= 0 && toolLine < question, `the tool line comes before the question:\n${screen}`);
  });

  it('waits for the tool call entry even when approval/requested was written before it', async () => {
    const h = harness();
    h.deliver(before);
    h.deliver(requested);
    const answer = h.prompter.answer(approval, new AbortController().signal);
    await drained();
    assert.equal(h.order.isReady(approval), false);
    assert.equal(h.asked.length, 0, 'not asked while the tool call is unseen');
    h.deliver(toolCall);
    await answer;
    assert.ok(h.asked[0]!.indexOf('⏺ Bash') < h.asked[0]!.indexOf('Allow Bash'), h.asked[0]);
  });

  it('asks at once when everything before it was shown already', async () => {
    const h = harness();
    h.deliver(toolCall);
    h.deliver(requested);
    assert.equal(h.order.isReady(approval), true);
    await h.prompter.answer(approval, new AbortController().signal);
    assert.equal(h.asked.length, 1);
  });

  it('an approval without a tool call id needs only its event', async () => {
    const h = harness();
    const bare = { ...approval, id: 'apr_2', toolCallId: null };
    assert.equal(h.order.isReady(bare), false);
    h.deliver(event('approval/requested', { approval: bare }));
    assert.equal(h.order.isReady(bare), true);
  });

  it('an approval whose events never come is asked after the bound', async () => {
    const h = harness(10);
    const answer = await h.prompter.answer({ ...approval, id: 'apr_elsewhere' }, new AbortController().signal);
    assert.deepEqual(answer, { decision: 'allowOnce' });
    assert.equal(h.asked.length, 1);
  });

  it('an approval settled elsewhere while it waited is not asked', async () => {
    const h = harness();
    const controller = new AbortController();
    const answer = h.prompter.answer(approval, controller.signal);
    await drained();
    controller.abort();
    assert.deepEqual(await answer, { decision: 'deny', reason: 'no longer needed' });
    assert.equal(h.asked.length, 0);
  });
});
