// The Claude stream-json driver: what it writes to the agent for a turn, for each approval answer, on interrupt,
// and for control requests it does not handle.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ApprovalAnswer } from '../../protocol/approvals.js';
import { createClaudeDriver, mayConcernDriver } from '../../src/executors/claude/driver.js';
import type { AgentHooks, ApprovalAsk } from '../../src/executors/types.js';

function harness(answer: (ask: ApprovalAsk, signal?: AbortSignal) => Promise<ApprovalAnswer>) {
  const written: any[] = [];
  let closed = false;
  const asks: ApprovalAsk[] = [];
  const hooks: AgentHooks = { requestApproval: (ask, signal) => (asks.push(ask), answer(ask, signal)), warn: () => {} };
  const driver = createClaudeDriver('do it', hooks);
  driver.start({ writeLine: (line) => written.push(JSON.parse(line)), close: () => void (closed = true) });
  return { driver, written, asks, closed: () => closed };
}

const canUseTool = (id: string, tool = 'Bash', input: object = { command: 'ls' }) =>
  JSON.stringify({ type: 'control_request', request_id: id, request: { subtype: 'can_use_tool', tool_name: tool, input, tool_use_id: `t-${id}` } });
const tick = () => new Promise((r) => setImmediate(r));

describe('Claude driver', () => {
  it('starts with initialize and the prompt as a stream-json user message, and closes stdin at the result', () => {
    const h = harness(async () => ({ decision: 'allowOnce' }));
    assert.deepEqual(
      h.written.map((m) => m.type === 'control_request' ? m.request.subtype : m.type),
      ['initialize', 'user'],
    );
    assert.equal(h.written[1].message.content, 'do it');
    h.driver.onStdoutLine(JSON.stringify({ type: 'result', subtype: 'success' }));
    assert.equal(h.closed(), true);
    assert.equal(h.driver.interrupt(), false, 'nothing to interrupt once the turn is over');
  });

  it('leaves lines that cannot concern it unparsed, and still finds a result or a control request written with escapes', async () => {
    // A property over every line it would act on: what mayConcernDriver passes over is never one of them.
    const type = fc.constantFrom('result', 'control_request', 'control_cancel_request', 'assistant', 'user', 'system');
    // Characters of the type written as \\u escapes where the mask says so (JSON allows it; no CLI does it).
    const escape = (text: string, mask: boolean[]) => [...text].map((c, i) => (mask[i] ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');
    fc.assert(
      fc.property(type, fc.array(fc.boolean(), { maxLength: 22 }), fc.string(), (t, mask, text) => {
        const line = `{"type":"${escape(t, mask)}","text":${JSON.stringify(text)}}`;
        assert.equal(JSON.parse(line).type, t);
        const acted = ['result', 'control_request', 'control_cancel_request'].includes(t);
        if (acted) assert.equal(mayConcernDriver(line), true, line);
      }),
    );
    assert.equal(mayConcernDriver(JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: 'line 1 of 9' }] } })), false);
    const h = harness(async () => ({ decision: 'allowOnce' }));
    h.driver.onStdoutLine('{"type":"assistant","message":{"content":[]}}');
    assert.equal(h.closed(), false);
    h.driver.onStdoutLine('{"type":"\\u0072esult","subtype":"success"}');
    assert.equal(h.closed(), true, 'a result whose type is escaped ends the turn');
  });

  it('answers can_use_tool: allow with the input, allowSession with a session rule, deny with the reason', async () => {
    const answers: ApprovalAnswer[] = [{ decision: 'allowOnce' }, { decision: 'allowSession' }, { decision: 'deny', reason: 'no' }];
    const h = harness(async () => answers.shift()!);
    h.driver.onStdoutLine(canUseTool('a'));
    h.driver.onStdoutLine(canUseTool('b', 'Write', { file_path: '/w/x' }));
    h.driver.onStdoutLine(canUseTool('c'));
    await tick();
    const responses = h.written.filter((m) => m.type === 'control_response').map((m) => [m.response.request_id, m.response.response]);
    assert.deepEqual(responses, [
      ['a', { behavior: 'allow', updatedInput: { command: 'ls' } }],
      ['b', { behavior: 'allow', updatedInput: { file_path: '/w/x' }, updatedPermissions: [{ type: 'addRules', rules: [{ toolName: 'Write' }], behavior: 'allow', destination: 'session' }] }],
      ['c', { behavior: 'deny', message: 'no' }],
    ]);
    assert.deepEqual(
      h.asks.map((a) => [a.tool, a.toolCallId, a.title]),
      [
        ['Bash', 't-a', 'Bash: ls'],
        ['Write', 't-b', 'Write: /w/x'],
        ['Bash', 't-c', 'Bash: ls'],
      ],
    );
  });

  it('on interrupt sends the interrupt request and withdraws open questions without answering them', async () => {
    let aborted = false;
    const h = harness(
      (_ask, signal) =>
        new Promise((_, reject) =>
          signal?.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('withdrawn'));
          }),
        ),
    );
    h.driver.onStdoutLine(canUseTool('x'));
    assert.equal(h.driver.interrupt(), true);
    await tick();
    assert.equal(aborted, true);
    assert.deepEqual(
      h.written.slice(2).map((m) => [m.type, m.request?.subtype]),
      [['control_request', 'interrupt']],
      'no control_response for the withdrawn question',
    );
  });

  it('withdraws a question the agent cancels, and refuses control requests it does not handle', async () => {
    let aborted = false;
    const h = harness((_ask, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => ((aborted = true), reject(new Error('x'))))));
    h.driver.onStdoutLine(canUseTool('q'));
    h.driver.onStdoutLine(JSON.stringify({ type: 'control_cancel_request', request_id: 'q' }));
    h.driver.onStdoutLine(JSON.stringify({ type: 'control_request', request_id: 'm', request: { subtype: 'mcp_message', server_name: 's', message: {} } }));
    await tick();
    assert.equal(aborted, true);
    const responses = h.written.filter((m) => m.type === 'control_response');
    assert.deepEqual(
      responses.map((m) => [m.response.request_id, m.response.subtype]),
      [['m', 'error']],
    );
  });
});
