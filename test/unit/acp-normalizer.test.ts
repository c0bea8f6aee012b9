// The ACP normalizer on real captures (fixtures/captures/{gemini,qwen}/*acp*.jsonl and orchd-*.jsonl, recorded from
// the real CLIs against the mock model) and on small hand-written logs for the cases captures do not show.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createAcpNormalizer } from '../../src/normalizers/acp.js';
import type { EntryDraft, RawStream } from '../../src/normalizers/types.js';

const CAPTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'captures');

type Line = [RawStream, string | Record<string, unknown>];

/** Feed lines through a fresh normalizer: every draft in order, the final state per id, and the unknown count. */
function run(lines: Line[]): { drafts: EntryDraft[]; entries: EntryDraft[]; unknownLines: number } {
  const normalizer = createAcpNormalizer();
  const drafts: EntryDraft[] = [];
  const byId = new Map<string, EntryDraft>();
  for (const [stream, line] of lines) {
    for (const draft of normalizer.push(typeof line === 'string' ? line : JSON.stringify(line), stream)) {
      drafts.push(draft);
      byId.set(draft.id, draft);
    }
  }
  return { drafts, entries: [...byId.values()], unknownLines: normalizer.unknownLines };
}

function capture(path: string): Line[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((text) => {
      const { dir, line } = JSON.parse(text) as { dir: 'in' | 'out'; line: string };
      return [dir === 'in' ? 'stdin' : 'stdout', line];
    });
}

const toolCalls = (entries: EntryDraft[]) => entries.filter((e): e is Extract<EntryDraft, { type: 'toolCall' }> => e.type === 'toolCall');
const ofType = <T extends EntryDraft['type']>(entries: EntryDraft[], type: T) => entries.filter((e): e is Extract<EntryDraft, { type: T }> => e.type === type);

describe('ACP normalizer on real captures', () => {
  const files = ['gemini', 'qwen'].flatMap((cli) =>
    readdirSync(join(CAPTURES, cli))
      .filter((name) => name.endsWith('.jsonl') && (name.startsWith('acp-') || name.startsWith('orchd-')))
      .map((name) => join(cli, name)),
  );
  /** What each capture must show: the final statuses of its tool calls, and its text. */
  const expected: Record<string, { statuses: string[]; text: RegExp }> = {
    'gemini/acp-edit-allow.jsonl': { statuses: ['succeeded'], text: /^done$/ },
    'gemini/acp-edit-reject.jsonl': { statuses: ['denied'], text: /^done$/ },
    'gemini/orchd-edit-allow.jsonl': { statuses: ['succeeded'], text: /^done$/ },
    'gemini/orchd-load-deny.jsonl': { statuses: ['denied'], text: /^done$/ },
    'gemini/orchd-load-cancel.jsonl': { statuses: [], text: /^slow0 / },
    'gemini/orchd-api-error.jsonl': { statuses: [], text: /^$/ },
    'qwen/acp-edit-allow.jsonl': { statuses: ['succeeded'], text: /^done$/ },
  };

  test('the captures are there', () => {
    for (const name of Object.keys(expected)) assert.ok(files.includes(name), `missing capture ${name}`);
  });

  for (const name of files) {
    test(name, () => {
      const lines = capture(join(CAPTURES, name));
      const { drafts, entries, unknownLines } = run(lines);
      assert.equal(unknownLines, 0, 'every line understood');

      // Each tool call is paired with its outcome: nothing is left pending, awaiting approval or running.
      for (const call of toolCalls(entries)) assert.ok(['succeeded', 'failed', 'denied'].includes(call.status), `${call.toolCallId} ended ${call.status}`);
      const want = expected[name];
      if (want) {
        assert.deepEqual(toolCalls(entries).map((t) => t.status), want.statuses);
        assert.match(ofType(entries, 'assistantMessage').map((e) => e.text).join('|'), want.text);
      }

      // The session id: from session/new, or the loaded one.
      const sent = lines.filter(([stream]) => stream === 'stdin').map(([, line]) => JSON.parse(line as string) as Record<string, any>);
      const promptSession = sent.find((m) => m.method === 'session/prompt')?.params.sessionId as string;
      assert.deepEqual(ofType(entries, 'agentSession').map((e) => e.agentSessionId), [promptSession]);

      // Replaying the same raw log yields the same drafts, in the same order.
      assert.deepEqual(run(lines).drafts, drafts);
    });
  }

  test('an allowed Gemini edit: kind, path relative to the cwd, a diff from the permission request, usage from _meta.quota', () => {
    const { entries } = run(capture(join(CAPTURES, 'gemini', 'acp-edit-allow.jsonl')));
    const [edit] = toolCalls(entries);
    assert.equal(edit?.kind, 'edit');
    assert.equal(edit?.name, 'edit');
    assert.equal(edit?.title, 'Writing to hello.txt');
    assert.equal(edit?.path, 'hello.txt');
    assert.equal(edit?.diff, '--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1,1 @@\n+hi\n');
    const [usage] = ofType(entries, 'usage');
    assert.deepEqual([usage?.inputTokens, usage?.outputTokens], [529, 33]);
    const [system] = ofType(entries, 'systemInfo');
    assert.equal(system?.agentVersion, '0.61.0');
    assert.equal(system?.cwd, '/tmp/orchd-captures/gemini/acp-edit-allow/repo');
  });

  test('a model API error: Gemini passes the API’s JSON error body as the message; the entry reads it', () => {
    const { entries } = run(capture(join(CAPTURES, 'gemini', 'orchd-api-error.jsonl')));
    assert.deepEqual(ofType(entries, 'error').map((e) => e.message), ['`session/prompt` failed: mock says no (INVALID_ARGUMENT)']);
  });

  test('a Gemini follow-up: the replayed history between session/load and session/prompt makes no entries', () => {
    const lines = capture(join(CAPTURES, 'gemini', 'orchd-load-deny.jsonl'));
    const promptAt = lines.findIndex(([stream, line]) => stream === 'stdin' && (line as string).includes('"session/prompt"'));
    const replayed = lines.slice(0, promptAt).filter(([stream, line]) => stream === 'stdout' && (line as string).includes('"session/update"'));
    assert.ok(replayed.length >= 3, 'the capture has a replay');
    const { drafts } = run(lines.slice(0, promptAt));
    assert.deepEqual(drafts.map((d) => d.type).sort(), ['agentSession', 'systemInfo', 'systemInfo']);
  });
});

describe('ACP normalizer on hand-written logs', () => {
  const SESSION = 's-1';
  const setup: Line[] = [
    ['stdin', { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: 1 } }],
    ['stdout', { jsonrpc: '2.0', id: 0, result: { protocolVersion: 1, agentInfo: { name: 'x', version: '2.0.0' }, agentCapabilities: {} } }],
    ['stdin', { jsonrpc: '2.0', id: 1, method: 'session/new', params: { cwd: '/w', mcpServers: [] } }],
    ['stdout', { jsonrpc: '2.0', id: 1, result: { sessionId: SESSION } }],
    ['stdin', { jsonrpc: '2.0', id: 2, method: 'session/prompt', params: { sessionId: SESSION, prompt: [{ type: 'text', text: 'go' }] } }],
  ];
  const update = (payload: Record<string, unknown>): Line => ['stdout', { jsonrpc: '2.0', method: 'session/update', params: { sessionId: SESSION, update: payload } }];
  const text = (kind: string, value: string, extra: Record<string, unknown> = {}) => update({ sessionUpdate: kind, content: { type: 'text', text: value }, ...extra });
  const result = (value: Record<string, unknown>): Line => ['stdout', { jsonrpc: '2.0', id: 2, result: value }];

  test('message chunks coalesce; a tool call or a new message id starts a new message', () => {
    const { entries, drafts } = run([
      ...setup,
      text('agent_thought_chunk', 'Hm'),
      text('agent_thought_chunk', 'm.'),
      text('agent_message_chunk', 'Hello '),
      text('agent_message_chunk', 'there'),
      update({ sessionUpdate: 'tool_call', toolCallId: 't1', title: 'cat a.txt', kind: 'read', status: 'completed', locations: [{ path: '/w/a.txt' }] }),
      text('agent_message_chunk', 'After.'),
      text('agent_message_chunk', ' One', { messageId: 'm1' }),
      text('agent_message_chunk', 'Two', { messageId: 'm2' }),
      result({ stopReason: 'end_turn' }),
    ]);
    assert.deepEqual(
      entries.filter((e) => e.type === 'assistantMessage' || e.type === 'thinking').map((e) => [e.id, e.type, (e as { text: string }).text]),
      [
        ['thinking-1', 'thinking', 'Hmm.'],
        ['msg-2', 'assistantMessage', 'Hello there'],
        ['msg-3', 'assistantMessage', 'After. One'],
        ['msg-4', 'assistantMessage', 'Two'],
      ],
    );
    // Upserted with the text so far.
    assert.deepEqual(drafts.filter((d) => d.id === 'msg-2').map((d) => (d as { text: string }).text), ['Hello ', 'Hello there']);
    const [read] = toolCalls(entries);
    assert.deepEqual([read?.kind, read?.path, read?.status], ['read', 'a.txt', 'succeeded']);
  });

  test('a Claude-style call: pending, awaiting approval, running after the allow answer, succeeded with output', () => {
    const request: Line = ['stdout', { jsonrpc: '2.0', id: 0, method: 'session/request_permission', params: { sessionId: SESSION, toolCall: { toolCallId: 't1' }, options: [{ optionId: 'allow', name: 'Allow', kind: 'allow_once' }, { optionId: 'reject', name: 'Reject', kind: 'reject_once' }] } }];
    const { drafts, entries } = run([
      ...setup,
      update({ sessionUpdate: 'tool_call', toolCallId: 't1', title: 'Run ls', name: 'Bash', kind: 'execute', status: 'pending', rawInput: { command: ['ls', '-la'] } }),
      request,
      ['stdin', { jsonrpc: '2.0', id: 0, result: { outcome: { outcome: 'selected', optionId: 'allow' } } }],
      update({ sessionUpdate: 'tool_call_update', toolCallId: 't1', status: 'completed', content: [{ type: 'content', content: { type: 'text', text: 'total 0' } }], rawOutput: { exitCode: 0 } }),
      result({ stopReason: 'end_turn' }),
    ]);
    assert.deepEqual(drafts.filter((d) => d.type === 'toolCall').map((d) => (d as { status: string }).status), ['pending', 'awaitingApproval', 'running', 'succeeded']);
    const [call] = toolCalls(entries);
    assert.deepEqual([call?.name, call?.kind, call?.command, call?.output, call?.exitCode], ['Bash', 'command', 'ls -la', 'total 0', 0]);
    assert.deepEqual(call?.input, { command: ['ls', '-la'] });
  });

  test('a cancelled permission denies the call, and a later "failed" keeps it denied', () => {
    const { entries } = run([
      ...setup,
      ['stdout', { jsonrpc: '2.0', id: 5, method: 'session/request_permission', params: { sessionId: SESSION, toolCall: { toolCallId: 'w', title: 'Write x', kind: 'edit', content: [{ type: 'diff', path: '/w/x', oldText: 'a\n', newText: 'b\n' }] }, options: [] } }],
      ['stdin', { jsonrpc: '2.0', method: 'session/cancel', params: { sessionId: SESSION } }],
      ['stdin', { jsonrpc: '2.0', id: 5, result: { outcome: { outcome: 'cancelled' } } }],
      update({ sessionUpdate: 'tool_call_update', toolCallId: 'w', status: 'failed' }),
      result({ stopReason: 'cancelled' }),
    ]);
    const [call] = toolCalls(entries);
    assert.equal(call?.status, 'denied');
    assert.equal(call?.diff, '--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n-a\n+b\n');
    assert.deepEqual(ofType(entries, 'error'), [], 'a cancelled turn is not an error');
  });

  test('a prompt that fails after orchd cancelled it is a stop, not an error (Qwen 0.15)', () => {
    const { entries, unknownLines } = run([
      ...setup,
      text('agent_message_chunk', 'partial'),
      ['stdin', { jsonrpc: '2.0', method: 'session/cancel', params: { sessionId: SESSION } }],
      ['stdout', { jsonrpc: '2.0', id: 2, error: { code: -32603, message: 'Request was aborted.' } }],
    ]);
    assert.equal(unknownLines, 0);
    assert.deepEqual(ofType(entries, 'error'), []);
  });

  test('load replay is consumed; what follows the prompt is this turn', () => {
    const { entries, unknownLines } = run([
      ['stdin', { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: 1 } }],
      ['stdout', { jsonrpc: '2.0', id: 0, result: { protocolVersion: 1 } }],
      ['stdin', { jsonrpc: '2.0', id: 1, method: 'session/load', params: { sessionId: SESSION, cwd: '/w', mcpServers: [] } }],
      text('user_message_chunk', 'old question'),
      ['stdout', { jsonrpc: '2.0', id: 1, result: {} }],
      text('agent_message_chunk', 'old answer'),
      update({ sessionUpdate: 'tool_call', toolCallId: 'old', title: 'old', kind: 'edit', status: 'completed' }),
      update({ sessionUpdate: 'available_commands_update', availableCommands: [] }),
      ['stdin', { jsonrpc: '2.0', id: 2, method: 'session/prompt', params: { sessionId: SESSION, prompt: [] } }],
      text('agent_message_chunk', 'new answer'),
      result({ stopReason: 'end_turn' }),
    ]);
    assert.equal(unknownLines, 0);
    assert.deepEqual(
      entries.filter((e) => e.type !== 'systemInfo').map((e) => e.type),
      ['agentSession', 'assistantMessage'],
    );
    assert.equal(ofType(entries, 'assistantMessage')[0]?.text, 'new answer');
    assert.equal(ofType(entries, 'agentSession')[0]?.agentSessionId, SESSION);
  });

  test('plan, usage, stop reasons and error responses', () => {
    const { entries } = run([
      ...setup,
      update({ sessionUpdate: 'plan', entries: [{ content: 'a', priority: 'high', status: 'completed' }, { content: 'b', priority: 'low', status: 'completed' }] }),
      update({ sessionUpdate: 'usage_update', used: 5000, size: 200000, cost: { amount: 0.25, currency: 'USD' } }),
      result({ stopReason: 'max_tokens', usage: { totalTokens: 30, inputTokens: 20, outputTokens: 10, cachedReadTokens: 5 } }),
      ['stdin', { jsonrpc: '2.0', id: 3, method: 'session/set_mode', params: { sessionId: SESSION, modeId: 'x' } }],
      ['stdout', { jsonrpc: '2.0', id: 3, error: { code: -32603, message: 'Internal error', data: { details: 'no such mode' } } }],
    ]);
    const [plan] = toolCalls(entries);
    assert.deepEqual([plan?.kind, plan?.status, plan?.title, plan?.output], ['todo', 'succeeded', 'Plan (2/2 done)', '[x] a\n[x] b']);
    const [usage] = ofType(entries, 'usage');
    assert.deepEqual(usage, { id: 'usage', type: 'usage', inputTokens: 20, outputTokens: 10, cacheReadTokens: 5, costUsd: 0.25, durationMs: null });
    assert.deepEqual(
      ofType(entries, 'error').map((e) => e.message),
      ['The agent stopped at its token limit (stop reason `max_tokens`)', '`session/set_mode` failed: Internal error: no such mode'],
    );
  });

  test('lines it does not understand are raw entries; a banner in front of JSON is read past', () => {
    const { entries, unknownLines } = run([
      ['stdin', { jsonrpc: '2.0', id: 0, method: 'initialize', params: {} }],
      ['stdout', 'MCP issues detected. Run /mcp list for status.{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":1}}'],
      ['stdout', 'Loaded cached credentials.'],
      ['stderr', 'a warning'],
      update({ sessionUpdate: '_vendor_thing', x: 1 }),
      ['stdout', { jsonrpc: '2.0', method: 'vendor/notice', params: {} }],
      ['stdout', { jsonrpc: '2.0', id: 1, method: 'fs/read_text_file', params: { path: '/w/a' } }],
      ['stdin', { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } }],
      ['stdout', { jsonrpc: '2.0', id: 99, result: {} }],
    ]);
    assert.equal(unknownLines, 4, 'the stderr line is a diagnostic: a raw entry, not an unknown line');
    assert.deepEqual(
      ofType(entries, 'raw').map((e) => [e.stream, e.line.slice(0, 20)]),
      [
        ['stdout', 'Loaded cached creden'],
        ['stderr', 'a warning'],
        ['stdout', '{"jsonrpc":"2.0","me'],
        ['stdout', '{"jsonrpc":"2.0","me'],
        ['stdout', '{"jsonrpc":"2.0","id'],
      ],
    );
  });
});
