// `orchd entries`' core, called directly: a recorded log (stdout as printed, or a two-way transcript) is read as the
// lines the live output capture observes (src/normalizers/recorded-log.ts), replayed through the executor's guarded
// normalizer with the loop session/entries uses (src/normalizers/replay.ts), and printed (src/cli/entries.ts); and its
// arguments (src/cli/args.ts). test/e2e/entries-cli.test.ts runs the built binary on every capture.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import * as v from 'valibot';
import { NormalizedEntry } from '../../protocol/entries.js';
import { parseCli, usage } from '../../src/cli/args.js';
import { entriesCommand, REPLAY_EXECUTION_ID, type EntriesArgs, type EntriesStats } from '../../src/cli/entries.js';
import { stripAnsi } from '../../src/cli/run/style.js';
import { createLineCutter, createOutputCapture, MAX_LINE_BYTES } from '../../src/executions/output.js';
import { getExecutor } from '../../src/executors/registry.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRecordedLogReader, readRecordedLog, transcriptRecord } from '../../src/normalizers/recorded-log.js';
import { createLineSplitter, replayEntries } from '../../src/normalizers/replay.js';
import type { RawStream } from '../../src/normalizers/types.js';
import { ROOT } from '../support/client.js';

type Line = [stream: RawStream, line: string];

/** Everything a reader hands on when the log arrives in chunks of `size` characters. */
function read(text: string, size = text.length || 1, options: { maxLineBytes?: number } = {}): { lines: Line[]; form: string | null } {
  const lines: Line[] = [];
  const reader = createRecordedLogReader((line, stream) => void lines.push([stream, line]), options);
  for (let at = 0; at < text.length; at += size) reader.push(text.slice(at, at + size));
  reader.end();
  assert.deepEqual(reader.lines, { stdout: lines.filter(([s]) => s === 'stdout').length, stderr: lines.filter(([s]) => s === 'stderr').length, stdin: lines.filter(([s]) => s === 'stdin').length });
  return { lines, form: reader.form };
}

const rec = (dir: string, line: string, ms = 1) => JSON.stringify({ dir, line, ms });

describe('a recorded log read as live capture reads it', () => {
  it('stdout as printed: every line, blank ones and an unfinished last one too, whatever the chunking', () => {
    const text = '{"type":"a"}\r\n\n{"type":"b"}\nlast without newline';
    const expected: Line[] = [
      ['stdout', '{"type":"a"}\r'],
      ['stdout', ''],
      ['stdout', '{"type":"b"}'],
      ['stdout', 'last without newline'],
    ];
    for (const size of [1, 3, 7, 1000]) assert.deepEqual(read(text, size), { lines: expected, form: 'stdout' }, `chunks of ${size}`);
  });

  it('a transcript: directions to streams, `ms` and blank lines ignored, a line that is no record read as stdout', () => {
    const text = ['', rec('in', '{"q":1}'), rec('out', '{"a":1}'), '  ', rec('err', 'warning: x'), 'not a record', rec('out', ''), `${rec('out', '{"a":2}')}`].join('\n');
    const expected: Line[] = [
      ['stdin', '{"q":1}'],
      ['stdout', '{"a":1}'],
      ['stderr', 'warning: x'],
      ['stdout', 'not a record'],
      ['stdout', ''],
      ['stdout', '{"a":2}'],
    ];
    for (const size of [1, 5, 10_000]) assert.deepEqual(read(text, size), { lines: expected, form: 'transcript' }, `chunks of ${size}`);
  });

  it('a transcript record may spread the message beside `dir`', () => {
    assert.deepEqual(transcriptRecord('{"dir":"out","type":"result","n":1}'), { stream: 'stdout', line: '{"type":"result","n":1}' });
    assert.deepEqual(transcriptRecord(' {"dir":"in","line":"hi","ms":3}'), { stream: 'stdin', line: 'hi' });
    for (const text of ['{"dir":"up","line":"x"}', '{"dir":"out","line":3}', '[{"dir":"out"}]', '{"line":"x"}', 'dir', '{"dir":"out"', 'null']) {
      assert.equal(transcriptRecord(text), null, text);
    }
  });

  it('over-long lines are cut as the output capture cuts them', () => {
    const long = 'x'.repeat(40);
    const cut = createLineCutter(16);
    const expected = cut(`${long}\n`).text.replace(/\n$/, '');
    assert.match(expected, /^x{16}…\[orchd: line cut, 24 bytes dropped\]$/);
    assert.deepEqual(read(`${long}\nshort\n`, 5, { maxLineBytes: 16 }).lines, [['stdout', expected], ['stdout', 'short']]);
    // In a transcript each stream is cut on its own; what orchd wrote to stdin never is (as recordInput).
    assert.deepEqual(read([rec('out', long), rec('err', long), rec('in', long)].join('\n'), 7, { maxLineBytes: 16 }).lines, [
      ['stdout', expected],
      ['stderr', expected],
      ['stdin', long],
    ]);
  });

  it('hands on exactly the lines the output capture observes from the same bytes, a 12 MB line included', async () => {
    const big = JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 't', content: 'ü🎉"\\ '.repeat((12 * 1024 * 1024) / 8) }] } });
    const text = `{"type":"system","subtype":"init"}\n${big}\n\n{"type":"result"}\ntail`;
    const observed: string[] = [];
    const capture = createOutputCapture({ persist: async () => undefined, onLine: (line) => void observed.push(line), logger: silentLogger });
    const stdout = new PassThrough();
    capture.attach(stdout, 'stdout');
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; at += 300_001) stdout.write(bytes.subarray(at, at + 300_001));
    stdout.end();
    await capture.closed();
    const lines: Line[] = [];
    const chunks = (function* () {
      for (let at = 0; at < bytes.length; at += 300_001) yield bytes.subarray(at, at + 300_001);
    })();
    const reader = await readRecordedLog(Readable.from(chunks), (line, stream) => void lines.push([stream, line]));
    assert.equal(reader.form, 'stdout');
    assert.equal(lines.length, observed.length);
    assert.ok(lines.every(([stream, line], index) => stream === 'stdout' && line === observed[index]), 'the same lines');
    assert.ok(Buffer.byteLength(lines[1]![1]) < MAX_LINE_BYTES + 64, 'the long line was cut');
  });

  it('the line splitter ends every stream with its unfinished line', () => {
    const lines: Line[] = [];
    const splitter = createLineSplitter((line, stream) => void lines.push([stream, line]));
    splitter.push('a\nb', 'stdout');
    splitter.push('e1\ne', 'stderr');
    splitter.push('2', 'stderr');
    splitter.push('c', 'stdout');
    splitter.end();
    splitter.end();
    assert.deepEqual(lines, [['stdout', 'a'], ['stderr', 'e1'], ['stdout', 'bc'], ['stderr', 'e2']]);
  });

  it('replayEntries keeps the latest state of each entry in order of first appearance, stamped', () => {
    const replay = replayEntries(getExecutor('claude-code').createNormalizer(), 'exe_1');
    const session = 'b7c1e2d3-0000-4000-8000-000000000001';
    replay.push(JSON.stringify({ type: 'system', subtype: 'init', session_id: session, tools: [], model: 'm', cwd: '/w' }), 'stdout');
    const first = replay.push(JSON.stringify({ type: 'assistant', message: { id: 'm1', content: [{ type: 'tool_use', id: 'tu', name: 'Bash', input: { command: 'ls' } }] }, session_id: session }), 'stdout');
    assert.deepEqual(first.map((e) => [e.id, e.executionId]), [['exe_1/tool:tu', 'exe_1']]);
    replay.push(JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'tu', content: 'a.txt' }] }, session_id: session }), 'stdout');
    replay.push('garbage', 'stdout');
    const entries = [...replay.entries.values()];
    const call = entries.find((e) => e.type === 'toolCall');
    assert.equal(call?.type === 'toolCall' && call.status, 'succeeded');
    assert.equal(replay.unknownLines, 1);
    assert.ok(entries.findIndex((e) => e.type === 'toolCall') < entries.findIndex((e) => e.type === 'raw'));
  });
});

// ---- the command, called directly --------------------------------------------------------------------------------

const CAPTURES = join(ROOT, 'fixtures', 'captures');
const scratch = mkdtempSync(join(tmpdir(), 'orchd-entries-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function entries(args: Partial<EntriesArgs> & { file: string }, stdin?: Readable): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await entriesCommand({
    agent: undefined,
    format: undefined,
    json: false,
    stats: false,
    noColor: true,
    tty: false,
    ...args,
    ...(stdin ? { stdin } : {}),
    write: (text) => void (stdout += text),
    writeError: (text) => void (stderr += text),
  });
  return { code, stdout, stderr };
}

describe('entriesCommand', () => {
  it('--json: the final state of each entry, one a line, valid against the entries schema', async () => {
    const { code, stdout, stderr } = await entries({ agent: 'claude-code', file: join(CAPTURES, 'claude', 'stream-json-edit-allow.jsonl'), json: true });
    assert.deepEqual([code, stderr], [0, '']);
    const lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as NormalizedEntry);
    for (const entry of lines) assert.ok(v.safeParse(NormalizedEntry, entry).success, JSON.stringify(entry));
    assert.equal(new Set(lines.map((e) => e.id)).size, lines.length, 'each entry once');
    assert.ok(lines.every((e) => e.executionId === REPLAY_EXECUTION_ID && e.id.startsWith(`${REPLAY_EXECUTION_ID}/`)));
    const call = lines.find((e) => e.type === 'toolCall');
    assert.deepEqual(call?.type === 'toolCall' && [call.name, call.kind, call.status], ['Write', 'edit', 'succeeded']);
  });

  it('--stats --json: the counts', async () => {
    const { code, stdout } = await entries({ agent: 'claude-code', file: join(CAPTURES, 'claude', 'stream-json-two-turns.jsonl'), json: true, stats: true });
    assert.equal(code, 0);
    const stats = JSON.parse(stdout) as EntriesStats;
    assert.equal(stats.form, 'transcript');
    assert.equal(stats.unknownLines, 0);
    assert.equal(stats.entriesByType.usage, 2);
    assert.equal(stats.usage.turns.length, 2);
    // Claude's total_cost_usd is a running total in one process (0.008355, then 0.016925): per turn, then summed.
    assert.deepEqual(stats.usage.turns.map((t) => t.costUsd), [0.008355, 0.00857]);
    assert.equal(stats.usage.total?.costUsd, 0.016925);
  });

  it('the live view, with a hint when nothing was understood', async () => {
    const view = await entries({ agent: 'claude-code', file: join(CAPTURES, 'claude', 'print-bash-permission-error.jsonl') });
    assert.equal(view.code, 0);
    assert.match(view.stdout, /^▸ claude-code\n/);
    assert.match(view.stdout, /⏺ Bash/);
    assert.match(view.stdout, /✗ Bash failed \(exit code 126\)/);
    assert.equal(stripAnsi(view.stdout), view.stdout, 'no colours off a terminal');
    const wrong = await entries({ agent: 'opencode', file: join(CAPTURES, 'opencode', 'run-edit.jsonl') });
    assert.match(wrong.stdout, /6 lines not understood .*`--format` reads .*opencode-run/);
    const right = await entries({ agent: 'opencode', format: 'opencode-run', file: join(CAPTURES, 'opencode', 'run-edit.jsonl') });
    assert.doesNotMatch(right.stdout, /not understood/);
    assert.match(right.stdout, /^▸ opencode\n/);
  });

  it('reads stdin for `-`', async () => {
    const text = `${JSON.stringify({ type: 'thread.started', thread_id: 't-1' })}\n${JSON.stringify({ type: 'item.completed', item: { id: 'i', type: 'agent_message', text: 'from stdin' } })}`;
    const { code, stdout } = await entries({ agent: 'codex-exec', file: '-', json: true }, Readable.from([Buffer.from(text)]));
    assert.equal(code, 0);
    assert.match(stdout, /"text":"from stdin"/);
    assert.match(stdout, /"agentSessionId":"t-1"/);
  });

  it('mistakes: one line each, 2 for usage, 1 for a log that cannot be read', async () => {
    const file = join(scratch, 'empty.jsonl');
    writeFileSync(file, '');
    const cases: [Partial<EntriesArgs>, number, RegExp][] = [
      [{}, 2, /^orchd: Expected `--agent ID` \(or `--format NAME`\), got neither\n$/],
      [{ agent: 'claud' }, 2, /^orchd: Expected `--agent` to be one of scripted-agent, claude-code, .*, got `claud`; did you mean claude-code\?\n$/],
      [{ format: 'json' }, 2, /^orchd: Expected `--format` to be one of claude-stream-json, .*, got `json`\n$/],
      [{ agent: 'codex', file: join(scratch, 'missing.jsonl') }, 1, /^orchd: Expected `FILE` to be a readable log file, got `.*missing\.jsonl` \(no such file\)\n$/],
      [{ agent: 'codex', file: scratch }, 1, /\(a directory\)\n$/],
    ];
    for (const [args, code, message] of cases) {
      const result = await entries({ file, ...args });
      assert.deepEqual([result.code, result.stdout], [code, ''], JSON.stringify(args));
      assert.match(result.stderr, message);
    }
    // An empty log is no mistake: nothing to show.
    assert.deepEqual(await entries({ agent: 'codex', file, json: true }), { code: 0, stdout: '', stderr: '' });
  });
});

describe('orchd entries arguments', () => {
  const parse = (...argv: string[]) => parseCli(['entries', ...argv], { stdinIsTty: true });

  it('reads the agent, the format, the output and the file (or `-`)', () => {
    assert.deepEqual(parse('--agent', 'claude-code', 'log.jsonl'), { command: 'entries', agent: 'claude-code', format: undefined, file: 'log.jsonl', json: false, stats: false, noColor: false });
    assert.deepEqual(parse('-', '--format', 'opencode-run', '--stats', '--json', '--no-color'), {
      command: 'entries',
      agent: undefined,
      format: 'opencode-run',
      file: '-',
      json: true,
      stats: true,
      noColor: true,
    });
    assert.deepEqual(parse('--help'), { command: 'help', topic: 'entries' });
    assert.match(usage('entries'), /orchd entries --agent ID \[--json\|--stats\] FILE\|-/);
    assert.match(usage(), /orchd entries --agent ID/);
  });

  it('usage mistakes name the entries help page', () => {
    const cases: [string[], RegExp][] = [
      [['log.jsonl'], /^Expected `--agent ID` \(or `--format NAME`\), got neither$/],
      [['--agent', 'codex'], /^Expected a log file \(or `-` to read the log from stdin\), got none$/],
      [['--agent', 'codex', 'a', 'b'], /^Unexpected argument `b` \(one log at a time\)$/],
      [['--agnet', 'codex', 'a'], /^unknown option --agnet; did you mean --agent\?$/],
      [['a', '--format'], /^option --format needs a value \(--format NAME\)$/],
    ];
    for (const [argv, message] of cases) {
      const cli = parse(...argv);
      assert.equal(cli.command, 'error', argv.join(' '));
      assert.match(cli.command === 'error' ? cli.message : '', message);
      assert.equal(cli.command === 'error' && cli.usageOf, 'entries');
    }
  });
});
