// Over-long agent lines (issue 15, Fidelity 6): the output capture keeps the first 10 MB of a line and marks the cut
// (src/executions/output.ts); the normalizer guard reads such a line as a shrunk copy that keeps its JSON structure,
// cuts its long strings with a marker, and marks the entries `truncated` (src/normalizers/huge-lines.ts). The raw
// output stays what was captured. Real code paths: the capture of a 12 MB Claude tool-result line, then both readers
// of it (the live line observer and the replay of the stored chunks) through the executor's guarded normalizer.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { NormalizedEntry } from '../../protocol/entries.js';
import { createOutputCapture, MAX_LINE_BYTES, type OutputChunk } from '../../src/executions/output.js';
import { getExecutor } from '../../src/executors/registry.js';
import { silentLogger } from '../../src/log/logger.js';
import { shrinkHugeLine, shrinkJson, STRING_LIMIT } from '../../src/normalizers/huge-lines.js';
import type { EntryDraft, Normalizer, RawStream } from '../../src/normalizers/types.js';

const SESSION = 'b7c1e2d3-0000-4000-8000-000000000001';
const lines = {
  init: JSON.stringify({ type: 'system', subtype: 'init', cwd: '/w', session_id: SESSION, tools: ['Bash'], model: 'claude-opus-4-8', claude_code_version: '2.1.197' }),
  call: JSON.stringify({ type: 'assistant', message: { id: 'msg_1', role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_big', name: 'Bash', input: { command: 'cat big.log' } }] }, session_id: SESSION }),
  result: JSON.stringify({ type: 'result', subtype: 'success', is_error: false, duration_ms: 900, session_id: SESSION, total_cost_usd: 0.01, usage: { input_tokens: 10, output_tokens: 2 }, permission_denials: [] }),
};
/** A Bash result of ~12 MB: many lines with quotes, backslashes and non-ASCII text, as Claude escapes them. */
function bigResultLine(): string {
  const row = 'line "quoted" \\ back\\slash, ünïcödé 日本 🎉 padding padding padding\n';
  const output = row.repeat(Math.ceil((12 * 1024 * 1024) / Buffer.byteLength(JSON.stringify(row))));
  return JSON.stringify({
    type: 'user',
    message: { role: 'user', content: [{ tool_use_id: 'toolu_big', type: 'tool_result', content: output, is_error: false }] },
    parent_tool_use_id: null,
    session_id: SESSION,
    uuid: 'u-1',
    timestamp: '2026-12-05T10:00:00.000Z',
  });
}

function replay(normalizer: Normalizer, input: { line: string; stream: RawStream }[]): EntryDraft[] {
  const byId = new Map<string, EntryDraft>();
  for (const { line, stream } of input) for (const entry of normalizer.push(line, stream)) byId.set(entry.id, entry);
  return [...byId.values()];
}

describe('over-long lines keep their structure', () => {
  it('a 12 MB tool result line: the call keeps its result, cut and marked, live and on replay', async () => {
    const big = bigResultLine();
    assert.ok(Buffer.byteLength(big) > 12_000_000 && Buffer.byteLength(big) < 13_000_000, `a 12 MB line: ${Buffer.byteLength(big)} bytes`);
    const observed: string[] = [];
    const chunks: OutputChunk[] = [];
    const capture = createOutputCapture({ persist: async (batch) => void chunks.push(...batch), onLine: (line, stream) => void (stream === 'stdout' && observed.push(line)), logger: silentLogger });
    const stdout = new PassThrough();
    capture.attach(stdout, 'stdout');
    const bytes = Buffer.from(`${lines.init}\n${lines.call}\n${big}\n${lines.result}\n`);
    for (let at = 0; at < bytes.length; at += 256 * 1024) stdout.write(bytes.subarray(at, at + 256 * 1024));
    stdout.end();
    await capture.closed();
    assert.equal(capture.stats.cutLines, 1, 'the capture cut the line');
    assert.match(observed[2]!.slice(-60), /…\[orchd: line cut, \d+ bytes dropped\]$/);

    // Live: the lines the capture observed. Replay: the stored chunks, split into lines as session/entries does.
    const stored = chunks.map((c) => c.text).join('').split('\n').filter(Boolean);
    assert.deepEqual(stored, observed, 'the raw output holds what was observed');
    const live = replay(getExecutor('claude-code').createNormalizer(), observed.map((line) => ({ line, stream: 'stdout' as const })));
    const replayed = replay(getExecutor('claude-code').createNormalizer(), stored.map((line) => ({ line, stream: 'stdout' as const })));
    assert.deepEqual(replayed, live);

    for (const entry of live) assert.ok(v.safeParse(NormalizedEntry, { ...entry, executionId: 'exe_big' }).success, JSON.stringify(entry).slice(0, 200));
    assert.equal(live.filter((e) => e.type === 'raw').length, 0, 'nothing became a raw blob');
    const call = live.find((e): e is Extract<EntryDraft, { type: 'toolCall' }> => e.type === 'toolCall')!;
    // What came before the long string is kept (the call's id, the result's type); what came after the cut is lost
    // (here the line's timestamp: the entry has none).
    assert.deepEqual([call.toolCallId, call.status, call.exitCode, call.at], ['toolu_big', 'succeeded', 0, undefined]);
    const marker = /…\[orchd: cut (\d+) bytes\]$/.exec(call.output ?? '');
    assert.ok(marker, 'the output ends with the cut marker');
    assert.ok(call.output!.startsWith('line "quoted" \\ back\\slash, ünïcödé 日本 🎉'), 'the output starts as the tool printed it, unescaped');
    assert.ok(call.output!.length <= STRING_LIMIT, `the output was cut to at most ${STRING_LIMIT} characters`);
    assert.ok(call.truncated! >= Buffer.byteLength(big) - MAX_LINE_BYTES, `truncated counts what was cut: ${call.truncated}`);
    assert.equal(Number(marker![1]), call.truncated, 'one string was cut: the marker and the entry say the same');
    // The lines after it are read as usual, and are not marked.
    const usage = live.find((e) => e.type === 'usage')!;
    assert.deepEqual([usage.type === 'usage' && usage.inputTokens, usage.truncated], [10, undefined]);
  });

  it('a huge Codex item line read from a file (no capture cut): its long output is cut and the item completes', () => {
    const output = 'y'.repeat(MAX_LINE_BYTES + 1024);
    const item = JSON.stringify({ type: 'item.completed', item: { id: 'item_1', type: 'command_execution', command: 'yes | head', aggregated_output: output, exit_code: 0, status: 'completed' } });
    const entries = replay(getExecutor('codex-exec').createNormalizer(), [
      { line: JSON.stringify({ type: 'thread.started', thread_id: 't' }), stream: 'stdout' },
      { line: item, stream: 'stdout' },
    ]);
    const call = entries.find((e) => e.type === 'toolCall');
    assert.ok(call && call.type === 'toolCall');
    assert.deepEqual([call.status, call.exitCode, call.output!.length < STRING_LIMIT + 64, call.truncated], ['succeeded', 0, true, MAX_LINE_BYTES + 1024 - STRING_LIMIT]);
  });

  it('closes JSON the cut left open, wherever the cut fell', () => {
    const cut = (text: string) => shrinkJson(text, 0, 8, 100, true);
    const cases: [string, unknown][] = [
      ['{"a":"0123456789abcdef', { a: '01234567…[orchd: cut 108 bytes]' }],
      ['{"a":1,"b":"xy', { a: 1, b: 'xy…[orchd: cut 100 bytes]' }],
      ['{"a":[1,2,{"b":"c"},', { a: [1, 2, { b: 'c' }] }],
      ['{"a":1,"longer_ke', { a: 1 }],
      ['{"a":1,"b":', { a: 1 }],
      ['{"a":12', {}],
      ['{"a":tru', {}],
      ['{"a":"x\\', { a: 'x…[orchd: cut 101 bytes]' }],
      ['{"a":"x\\u00', { a: 'x…[orchd: cut 104 bytes]' }],
      ['{"a":{"b":[', { a: { b: [] } }],
    ];
    for (const [text, expected] of cases) {
      const result = cut(text);
      assert.ok(result, text);
      assert.deepEqual(JSON.parse(result.json), expected, text);
    }
    // An escape or a surrogate pair is never split where a long string is cut.
    const escaped = shrinkJson('{"a":"1234567\\n890"}', 0, 8, 0, false)!;
    assert.deepEqual(JSON.parse(escaped.json), { a: '1234567…[orchd: cut 5 bytes]' });
    const emoji = shrinkJson(`{"a":"1234567🎉890"}`, 0, 8, 0, false)!;
    assert.deepEqual(JSON.parse(emoji.json), { a: '1234567…[orchd: cut 7 bytes]' });
    assert.equal(shrinkJson('{"a":1} trailing', 0, 8, 0, false)?.json, '{"a":1}');
    assert.equal(shrinkJson('{"a" 1}', 0, 8, 0, false), null, 'not JSON: read as it is');
  });

  it('leaves ordinary lines alone', () => {
    assert.equal(shrinkHugeLine(lines.result), null);
    assert.equal(shrinkHugeLine('x'.repeat(1000)), null);
  });
});
