import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createClaudeNormalizer, toolKind } from '../../src/normalizers/claude-stream-json.js';
import type { EntryDraft } from '../../src/normalizers/types.js';
import { ROOT, tempDir } from '../support/client.js';

function normalize(lines: string[]): { entries: Map<string, EntryDraft>; unknown: number } {
  const normalizer = createClaudeNormalizer();
  const entries = new Map<string, EntryDraft>();
  for (const line of lines) for (const entry of normalizer.push(line, 'stdout')) entries.set(entry.id, entry);
  return { entries, unknown: normalizer.unknownLines };
}

function fakeAgentLines(prompt: string): string[] {
  const dir = tempDir('orchd-normalizer-');
  try {
    const out = execFileSync(process.execPath, [join(ROOT, 'fixtures', 'fake-agent', 'fake-agent.mjs'), '-p', prompt, '--output-format', 'stream-json', '--verbose'], {
      cwd: dir,
      env: { ...process.env, FAKE_AGENT_HOME: join(dir, '.home') },
      encoding: 'utf8',
    });
    return out.trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Claude stream-json normalizer', () => {
  it('turns a scripted run into entries with every tool call paired to its result and nothing unknown', () => {
    const lines = fakeAgentLines('Plan it\n@edit src/a.txt hello\n@bash echo from-bash; exit 3');
    const { entries, unknown } = normalize(lines);
    assert.equal(unknown, 0);
    const list = [...entries.values()];
    const system = list.find((e) => e.type === 'systemInfo');
    assert.ok(system && system.type === 'systemInfo' && system.model === 'fake-model-1');
    const session = list.find((e) => e.type === 'agentSession');
    assert.match(session && session.type === 'agentSession' ? session.agentSessionId : '', /^[0-9a-f-]{36}$/);
    const tools = list.filter((e) => e.type === 'toolCall');
    assert.deepEqual(
      tools.map((t) => t.type === 'toolCall' && [t.name, t.kind, t.status, t.path ?? t.command]),
      [
        ['Write', 'edit', 'succeeded', 'src/a.txt'],
        ['Bash', 'command', 'failed', 'echo from-bash; exit 3'],
      ],
    );
    const bash = tools[1]!;
    assert.ok(bash.type === 'toolCall' && /from-bash/.test(bash.output ?? ''));
    assert.ok(list.some((e) => e.type === 'assistantMessage' && e.text === 'You said: Plan it'));
    const usage = list.find((e) => e.type === 'usage');
    assert.ok(usage && usage.type === 'usage' && (usage.outputTokens ?? 0) > 0 && (usage.costUsd ?? -1) >= 0);
  });

  it('is a pure function of the lines: replaying gives the same entries', () => {
    const lines = fakeAgentLines('one\n@edit b.txt two');
    assert.deepEqual([...normalize(lines).entries.values()], [...normalize(lines).entries.values()]);
  });

  it('reads the documented Claude shapes: thinking, string tool results, errors, and keeps unknown lines', () => {
    const lines = [
      JSON.stringify({ type: 'system', subtype: 'init', session_id: 's-1', model: 'claude-x', tools: ['Read'], cwd: '/w' }),
      JSON.stringify({ type: 'assistant', message: { id: 'msg_1', role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm' }, { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: 'a.go' } }] } }),
      JSON.stringify({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'package main' }] }] } }),
      JSON.stringify({ type: 'rate_limit_event', rate_limit_info: {} }),
      JSON.stringify({ type: 'mystery_event', payload: 1 }),
      'not json at all',
      JSON.stringify({ type: 'result', subtype: 'error_during_execution', is_error: true, result: 'API Error: overloaded', usage: { input_tokens: 3, output_tokens: 1 } }),
    ];
    const { entries, unknown } = normalize(lines);
    const list = [...entries.values()];
    assert.equal(unknown, 2, 'an unknown event type and the garbage line are kept as raw entries; the known rate-limit event is not');
    assert.deepEqual(
      list.filter((e) => e.type === 'raw').map((e) => e.type === 'raw' && e.line.slice(0, 15)),
      ['{"type":"myster', 'not json at all'],
    );
    assert.ok(list.some((e) => e.type === 'thinking' && e.text === 'hmm'));
    const read = list.find((e) => e.type === 'toolCall');
    assert.ok(read && read.type === 'toolCall' && read.status === 'succeeded' && read.output === 'package main' && read.kind === 'read');
    assert.ok(list.some((e) => e.type === 'error' && /overloaded/.test(e.message)));
  });

  it('maps tool names to kinds', () => {
    const table: [string, string][] = [
      ['Bash', 'command'],
      ['Edit', 'edit'],
      ['MultiEdit', 'edit'],
      ['Grep', 'search'],
      ['WebFetch', 'fetch'],
      ['Task', 'subagent'],
      ['TodoWrite', 'todo'],
      ['mcp__server__tool', 'other'],
    ];
    for (const [name, kind] of table) assert.equal(toolKind(name), kind, name);
  });
});

describe('Claude stream-json normalizer: ids, partial messages and approvals', () => {
  it('gives each block of a message its own id when blocks arrive on separate lines with one message id', () => {
    const lines = fakeAgentLines('@split 3 alpha beta gamma');
    const { entries, unknown } = normalize(lines);
    assert.equal(unknown, 0);
    const texts = [...entries.values()].filter((e) => e.type === 'assistantMessage');
    assert.equal(texts.length, 3, 'three blocks, three entries: none overwrote another');
    assert.equal(new Set(texts.map((t) => t.id)).size, 3);
  });

  it('coalesces partial-message deltas into the entry the final block line completes', () => {
    const message = { id: 'msg_9', role: 'assistant', content: [] };
    const lines = [
      JSON.stringify({ type: 'stream_event', event: { type: 'message_start', message } }),
      JSON.stringify({ type: 'stream_event', event: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } }),
      JSON.stringify({ type: 'stream_event', event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } } }),
      JSON.stringify({ type: 'stream_event', event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } } }),
    ];
    const normalizer = createClaudeNormalizer();
    const upserts = lines.flatMap((l) => normalizer.push(l, 'stdout'));
    assert.deepEqual(
      upserts.map((u) => u.type === 'assistantMessage' && [u.id, u.text]),
      [
        ['msg_9:0', 'Hel'],
        ['msg_9:0', 'Hello'],
      ],
    );
    const final = normalizer.push(JSON.stringify({ type: 'assistant', message: { ...message, content: [{ type: 'text', text: 'Hello' }] } }), 'stdout');
    assert.deepEqual(
      final.map((u) => u.type === 'assistantMessage' && [u.id, u.text]),
      [['msg_9:0', 'Hello']],
      'the complete block replaces the streamed one under the same id',
    );
    assert.equal(normalizer.unknownLines, 0);
  });

  it('moves a tool call through awaitingApproval to running or denied from the answers orchd wrote to stdin', () => {
    const normalizer = createClaudeNormalizer();
    const push = (line: object, stream: 'stdout' | 'stdin' = 'stdout') => normalizer.push(JSON.stringify(line), stream);
    push({ type: 'assistant', message: { id: 'm1', content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls' } }] } });
    const asked = push({ type: 'control_request', request_id: 'r1', request: { subtype: 'can_use_tool', tool_name: 'Bash', input: { command: 'ls' }, tool_use_id: 't1' } });
    assert.equal(asked[0]!.type === 'toolCall' && asked[0]!.status, 'awaitingApproval');
    const allowed = push({ type: 'control_response', response: { subtype: 'success', request_id: 'r1', response: { behavior: 'allow', updatedInput: {} } } }, 'stdin');
    assert.equal(allowed[0]!.type === 'toolCall' && allowed[0]!.status, 'running');
    const done = push({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'a.txt' }] } });
    assert.deepEqual(done[0]!.type === 'toolCall' && [done[0]!.status, done[0]!.exitCode, done[0]!.output], ['succeeded', 0, 'a.txt']);

    push({ type: 'control_request', request_id: 'r2', request: { subtype: 'can_use_tool', tool_name: 'Write', input: { file_path: '/w/x', content: 'x' }, tool_use_id: 't2' } });
    const denied = push({ type: 'control_response', response: { subtype: 'success', request_id: 'r2', response: { behavior: 'deny', message: 'nope' } } }, 'stdin');
    assert.deepEqual(denied[0]!.type === 'toolCall' && [denied[0]!.name, denied[0]!.kind, denied[0]!.status, denied[0]!.output], ['Write', 'edit', 'denied', 'nope']);
    const result = push({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't2', content: 'nope', is_error: true }] } });
    assert.equal(result[0]!.type === 'toolCall' && result[0]!.status, 'denied', 'the error result of a denied call stays denied');
    assert.equal(normalizer.unknownLines, 0);
  });
});
