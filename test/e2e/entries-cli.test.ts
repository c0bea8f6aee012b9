// End-to-end: `orchd entries` on every capture in fixtures/captures, with the built binary. The expected counts are
// derived in-process from the same normalizer the registry gives (read with a reader of this test's own, as
// test/unit/captures.test.ts reads them), and a few are hand-checked against the raw lines, so the test is not only
// the command agreeing with itself. Also: --json lines valid against the entries schema, the live view, stdin, the
// transcript and stdout forms of one log, the mistakes, and that no data directory is touched.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as v from 'valibot';
import { NormalizedEntry, TOOL_STATUSES } from '../../protocol/entries.js';
import type { EntriesStats } from '../../src/cli/entries.js';
import { getExecutor } from '../../src/executors/registry.js';
import { NORMALIZER_FORMATS, type NormalizerFormatName } from '../../src/normalizers/formats.js';
import { guardNormalizer } from '../../src/normalizers/guard.js';
import type { EntryDraft, Normalizer } from '../../src/normalizers/types.js';
import { CLI_MS } from '../support/bounds.js';
import { cliEnvironment, runCli, type CliResult } from '../support/cli.js';
import { BIN, ROOT, tempDir } from '../support/client.js';
import { captureLines } from '../support/captures.js';

const CAPTURES = join(ROOT, 'fixtures', 'captures');
const scratch = tempDir('orchd-entries-cli-');
/** A data directory that must never come to exist: the command needs none. */
const DATA_DIR = join(scratch, 'data-dir-never-made');
const env = cliEnvironment({ ORCHD_DATA_DIR: DATA_DIR });
after(() => rmSync(scratch, { recursive: true, force: true }));

const orchd = (args: string[]) => runCli(args, env);

/** Every capture file, relative to fixtures/captures. */
function captureFiles(dir = CAPTURES): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return captureFiles(path);
      return name.endsWith('.jsonl') ? [relative(CAPTURES, path)] : [];
    });
}

/** Which reader a capture needs: its agent's executor, from its folder and its .meta.json (the command line it was
 * recorded with), and a format where the executor reads another one (OpenCode's executor speaks ACP, `run` prints
 * its own JSON; Qwen's ACP capture is read by the generic `acp` executor). */
function readerOf(capture: string): { agent: string; format?: NormalizerFormatName } {
  const [dir, ...rest] = capture.split('/');
  const name = rest.join('/');
  const metaFile = join(CAPTURES, capture.replace(/\.jsonl$/, '.meta.json'));
  const argv = existsSync(metaFile) ? ((JSON.parse(readFileSync(metaFile, 'utf8')) as { runs: { argv: string[] }[] }).runs[0]?.argv ?? []) : null;
  switch (dir) {
    case 'claude':
      return { agent: 'claude-code' };
    case 'codex':
      return (argv ? argv[0] === 'app-server' : name.startsWith('app-server')) ? { agent: 'codex' } : { agent: 'codex-exec' };
    case 'gemini':
      return { agent: 'gemini' };
    case 'qwen':
      return (argv ? argv.includes('--acp') : name.startsWith('acp')) ? { agent: 'acp' } : { agent: 'qwen-code' };
    case 'opencode':
      return (argv ? argv[0] === 'run' : /(^|-)run-/.test(name)) ? { agent: 'opencode', format: 'opencode-run' } : { agent: 'opencode' };
    case 'cursor':
      return { agent: 'cursor-agent' };
    case 'amp':
      return { agent: 'amp' };
    case 'droid':
      return { agent: 'droid' };
    default:
      throw new Error(`no agent known for captures in ${dir}/ (${capture}): add it to readerOf`);
  }
}

const readerArgs = (reader: { agent: string; format?: string }) => ['--agent', reader.agent, ...(reader.format ? ['--format', reader.format] : [])];

/** The capture normalized in-process: the registry's (guarded) normalizer, latest state of each entry. */
function inProcess(capture: string): { entries: EntryDraft[]; unknown: number } {
  const reader = readerOf(capture);
  const normalizer: Normalizer = reader.format ? guardNormalizer(NORMALIZER_FORMATS[reader.format].create()) : getExecutor(reader.agent).createNormalizer();
  const byId = new Map<string, EntryDraft>();
  for (const { line, stream } of captureLines(join(CAPTURES, capture))) for (const entry of normalizer.push(line, stream)) byId.set(entry.id, entry);
  return { entries: [...byId.values()], unknown: normalizer.unknownLines };
}

function count<T extends string>(values: T[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));

/** Run the binary over many captures at once, a few at a time. */
async function inParallel<T>(items: string[], limit: number, run: (item: string) => Promise<T>): Promise<Map<string, T>> {
  const results = new Map<string, T>();
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) results.set(item, await run(item));
    }),
  );
  return results;
}

/** `orchd entries … -` with `input` on stdin. */
function orchdWithStdin(args: string[], input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`\`orchd ${args.join(' ')}\` did not exit within ${CLI_MS} ms\n${stderr}`));
    }, CLI_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // Written in small pieces, so the command reads a stream that arrives over time.
    const bytes = Buffer.from(input);
    let at = 0;
    const next = () => {
      if (at >= bytes.length) return void child.stdin.end();
      child.stdin.write(bytes.subarray(at, (at += 97)), next);
    };
    next();
  });
}

const CAPTURE_FILES = captureFiles();
const stats = new Map<string, CliResult>();
const json = new Map<string, CliResult>();

before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'orchd.mjs')), 'the binary is built (npm run build)');
  const run = (extra: string[]) => (capture: string) => orchd(['entries', ...readerArgs(readerOf(capture)), ...extra, join(CAPTURES, capture)]);
  for (const [capture, result] of await inParallel(CAPTURE_FILES, 6, run(['--stats', '--json']))) stats.set(capture, result);
  for (const [capture, result] of await inParallel(CAPTURE_FILES, 6, run(['--json']))) json.set(capture, result);
});

describe('orchd entries --stats on every capture', () => {
  it('has captures of every agent folder', () => {
    assert.ok(CAPTURE_FILES.length >= 60, `${CAPTURE_FILES.length} captures`);
    for (const dir of ['claude', 'codex', 'gemini', 'qwen', 'opencode', 'cursor', 'amp', 'droid']) assert.ok(CAPTURE_FILES.some((f) => f.startsWith(`${dir}/`)), dir);
  });

  for (const capture of CAPTURE_FILES) {
    it(capture, () => {
      const result = stats.get(capture)!;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      const got = JSON.parse(result.stdout) as EntriesStats;
      const expected = inProcess(capture);
      // Every capture in fixtures/ is a faithful one: the normalizers understand every line.
      assert.equal(got.unknownLines, 0, 'no unknown lines');
      assert.equal(got.unknownLines, expected.unknown);
      assert.equal(got.entries, expected.entries.length);
      assert.deepEqual(nonZero(got.entriesByType), count(expected.entries.map((e) => e.type)), 'entries by type');
      const calls = expected.entries.filter((e) => e.type === 'toolCall');
      assert.deepEqual(nonZero(got.toolCallsByStatus), count(calls.map((e) => e.status)), 'tool calls by status');
      assert.deepEqual(Object.keys(got.toolCallsByStatus), [...TOOL_STATUSES], 'every status is counted, zero or not');
      assert.equal(got.toolCalls, calls.length);
      for (const call of calls) assert.ok(['succeeded', 'failed', 'denied'].includes(call.status), `${call.toolCallId} ends ${call.status}`);
      assert.deepEqual(got.agentSessionIds, [...new Set(expected.entries.flatMap((e) => (e.type === 'agentSession' ? [e.agentSessionId] : [])))], 'session id');
      const usage = expected.entries.filter((e) => e.type === 'usage');
      assert.deepEqual(
        got.usage.turns,
        usage.map((u) => ({ inputTokens: u.inputTokens, outputTokens: u.outputTokens, cacheReadTokens: u.cacheReadTokens, costUsd: u.costUsd, durationMs: u.durationMs })),
        'usage per turn',
      );
      assert.equal(got.usage.total === null, usage.length === 0);
      const lines = captureLines(join(CAPTURES, capture));
      assert.deepEqual(got.lines, { stdout: lines.filter((l) => l.stream === 'stdout').length, stderr: lines.filter((l) => l.stream === 'stderr').length, stdin: lines.filter((l) => l.stream === 'stdin').length });
      assert.equal(got.form, readFileSync(join(CAPTURES, capture), 'utf8').startsWith('{"dir":') ? 'transcript' : 'stdout');
    });
  }
});

describe('hand-checked counts (read off the raw lines)', () => {
  const statsOf = (capture: string) => JSON.parse(stats.get(capture)!.stdout) as EntriesStats;

  it('claude/stream-json-edit-allow: one Write allowed and done, one turn', () => {
    const got = statsOf('claude/stream-json-edit-allow.jsonl');
    assert.equal(got.form, 'transcript');
    assert.deepEqual(got.lines, { stdout: 7, stdin: 3, stderr: 0 });
    assert.deepEqual(nonZero(got.toolCallsByStatus), { succeeded: 1 });
    assert.deepEqual(nonZero(got.entriesByType), { assistantMessage: 1, toolCall: 1, systemInfo: 1, usage: 1, agentSession: 1 });
    assert.deepEqual(got.agentSessionIds, ['eb8cf624-1935-4bc7-8d03-9b99c8d62a15']);
    assert.deepEqual(got.usage.turns, [{ inputTokens: 3458, outputTokens: 25, cacheReadTokens: 0, costUsd: 0.017915, durationMs: 106 }]);
  });

  it('claude/stream-json-edit-deny and codex/app-server-edit-decline: the call denied', () => {
    assert.deepEqual(nonZero(statsOf('claude/stream-json-edit-deny.jsonl').toolCallsByStatus), { denied: 1 });
    assert.deepEqual(nonZero(statsOf('codex/app-server-edit-decline.jsonl').toolCallsByStatus), { denied: 1 });
  });

  it('claude/print-self-deny-edit: denied by its own permission mode; print-bash-permission-error: failed, not denied', () => {
    assert.deepEqual(nonZero(statsOf('claude/print-self-deny-edit.jsonl').toolCallsByStatus), { denied: 1 });
    assert.deepEqual(nonZero(statsOf('claude/print-bash-permission-error.jsonl').toolCallsByStatus), { failed: 1 });
  });

  it('claude/stream-json-two-turns: two turns, the running cost made per turn', () => {
    const got = statsOf('claude/stream-json-two-turns.jsonl');
    // result lines: 1661/2 tokens $0.008355, then 1704/2 tokens with total_cost_usd 0.016925 (a running total).
    assert.deepEqual(got.usage.turns.map((t) => [t.inputTokens, t.outputTokens, t.costUsd]), [[1661, 2, 0.008355], [1704, 2, 0.00857]]);
    assert.deepEqual([got.usage.total?.inputTokens, got.usage.total?.outputTokens, got.usage.total?.costUsd], [3365, 4, 0.016925]);
    assert.deepEqual(got.agentSessionIds, ['06010cc3-c456-4864-8c66-8ffb5fcf8221']);
  });

  it('qwen/stream-json-two-turns: the session running totals (16671/3, then 33416/6) made per turn', () => {
    const got = statsOf('qwen/stream-json-two-turns.jsonl');
    assert.deepEqual(got.usage.turns.map((t) => [t.inputTokens, t.outputTokens]), [[16671, 3], [16745, 3]]);
  });

  it('cursor/print-edit: five calls (write, read, edit, a command that passes, one that fails)', () => {
    const got = statsOf('cursor/print-edit.jsonl');
    assert.deepEqual([got.toolCalls, nonZero(got.toolCallsByStatus)], [5, { succeeded: 4, failed: 1 }]);
    assert.equal(got.entriesByType.thinking, 1);
  });

  it('gemini/written-stream-json-tool-errors: one failed, one denied', () => {
    assert.deepEqual(nonZero(statsOf('gemini/written-stream-json-tool-errors.jsonl').toolCallsByStatus), { failed: 1, denied: 1 });
  });

  it('codex/exec-resume-usage: its stderr lines are diagnostics, not unknown', () => {
    const got = statsOf('codex/exec-resume-usage.jsonl');
    assert.ok(got.lines.stderr > 0);
    assert.deepEqual([got.unknownLines, got.entriesByType.raw], [0, got.lines.stderr]);
  });
});

describe('orchd entries --json', () => {
  it('prints each entry once, in its final state, valid against the entries schema, on every capture', () => {
    for (const capture of CAPTURE_FILES) {
      const result = json.get(capture)!;
      assert.deepEqual([result.code, result.stderr], [0, ''], capture);
      const entries = result.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as NormalizedEntry);
      for (const entry of entries) {
        const parsed = v.safeParse(NormalizedEntry, entry);
        assert.ok(parsed.success, `${capture}: ${JSON.stringify(parsed.issues?.[0]?.message)} in ${JSON.stringify(entry).slice(0, 200)}`);
      }
      // The same entries as in-process, stamped with the replay's execution id.
      const expected = inProcess(capture).entries.map((draft) => ({ ...draft, id: `replay/${draft.id}`, executionId: 'replay' }));
      assert.deepEqual(entries, JSON.parse(JSON.stringify(expected)), capture);
    }
  });
});

describe('orchd entries: the live view, stdin, both forms, mistakes', () => {
  it('shows the conversation as `orchd run` does: the assistant text, the tool calls and their ends, the usage', async () => {
    const capture = 'cursor/print-edit.jsonl';
    const result = await orchd(['entries', '--agent', 'cursor-agent', join(CAPTURES, capture)]);
    assert.equal(result.code, 0, result.stderr);
    const texts = inProcess(capture).entries.flatMap((e) => (e.type === 'assistantMessage' ? [e.text] : []));
    assert.equal(texts.length, 3);
    for (const text of texts) assert.ok(result.stdout.includes(text), `the assistant's "${text}" in:\n${result.stdout}`);
    assert.match(result.stdout, /^▸ cursor-agent\n/);
    assert.match(result.stdout, /^⏺ shell {2}npm test\n {2}✗ shell failed \(exit code 1\)$/m);
    assert.match(result.stdout, /^ {2}✓ edit succeeded \(\+1 −1\)$/m);
    assert.match(result.stdout, /^✻ I will create the file/m);
    assert.match(result.stdout, /^· usage: 14,948 in, 103 out tokens · 9\.2s$/m);
    assert.doesNotMatch(result.stdout, /\x1b\[/, 'no ANSI codes when stdout is not a terminal');
  });

  it('reads the log from stdin with `-`', async () => {
    const capture = join(CAPTURES, 'claude', 'stream-json-edit-allow.jsonl');
    const fromFile = json.get('claude/stream-json-edit-allow.jsonl')!;
    const fromStdin = await orchdWithStdin(['entries', '--agent', 'claude-code', '--json', '-'], readFileSync(capture, 'utf8'));
    assert.deepEqual([fromStdin.code, fromStdin.stderr], [0, '']);
    assert.equal(fromStdin.stdout, fromFile.stdout);
  });

  it('a transcript and the same stdout as printed give the same entries', async () => {
    // A one-way capture (stdout as printed), and the same lines as transcript records, and as records with the
    // message spread beside `dir`.
    const printed = readFileSync(join(CAPTURES, 'claude', 'print-edit.jsonl'), 'utf8');
    const lines = printed.split('\n').filter(Boolean);
    const transcript = join(scratch, 'print-edit.transcript.jsonl');
    writeFileSync(transcript, lines.map((line, index) => JSON.stringify({ dir: 'out', line, ms: index * 10 })).join('\n') + '\n');
    const spread = join(scratch, 'print-edit.spread.jsonl');
    writeFileSync(spread, lines.map((line) => JSON.stringify({ dir: 'out', ...JSON.parse(line) })).join('\n') + '\n');
    const plain = json.get('claude/print-edit.jsonl')!;
    for (const file of [transcript, spread]) {
      const result = await orchd(['entries', '--agent', 'claude-code', '--json', file]);
      assert.deepEqual([result.code, result.stderr], [0, '']);
      const keyOrderFree = (stdout: string) => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);
      assert.deepEqual(keyOrderFree(result.stdout), keyOrderFree(plain.stdout), file);
    }
    // And a bidirectional capture's stdout alone, as printed, reads like its transcript's stdout records.
    const bidirectional = captureLines(join(CAPTURES, 'codex', 'app-server-edit-accept.jsonl'));
    const outOnly = join(scratch, 'app-server.stdout.jsonl');
    writeFileSync(outOnly, bidirectional.filter((l) => l.stream === 'stdout').map((l) => l.line).join('\n'));
    const outRecords = join(scratch, 'app-server.out-records.jsonl');
    writeFileSync(outRecords, bidirectional.filter((l) => l.stream === 'stdout').map((l) => JSON.stringify({ dir: 'out', line: l.line })).join('\n'));
    const [a, b] = await Promise.all([orchd(['entries', '--agent', 'codex', '--json', outOnly]), orchd(['entries', '--agent', 'codex', '--json', outRecords])]);
    assert.equal(a.code, 0, a.stderr);
    assert.ok(a.stdout.length > 0);
    assert.equal(a.stdout, b.stdout);
  });

  it('--stats for people: one fact a line', async () => {
    const result = await orchd(['entries', '--agent', 'claude-code', '--stats', join(CAPTURES, 'claude', 'stream-json-two-turns.jsonl')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^unknown lines +0$/m);
    assert.match(result.stdout, /^session +06010cc3-c456-4864-8c66-8ffb5fcf8221$/m);
    assert.match(result.stdout, /^usage +turn 1: 1,661 in, 2 out tokens · \$0\.0084/m);
    assert.match(result.stdout, /^ +total: 3,365 in, 4 out tokens · \$0\.0169/m);
  });

  it('a bad --agent: one line naming the valid ones, exit code 2', async () => {
    const result = await orchd(['entries', '--agent', 'claude', join(CAPTURES, 'claude', 'print-edit.jsonl')]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^orchd: Expected `--agent` to be one of scripted-agent, claude-code, codex, codex-exec, gemini, qwen-code, opencode, cursor-agent, amp, droid, acp, got `claude`; did you mean claude-code\?\n$/);
  });

  it('a missing file: one line, exit code 1', async () => {
    const result = await orchd(['entries', '--agent', 'codex', join(scratch, 'nope.jsonl')]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^orchd: Expected `FILE` to be a readable log file, got `.*nope\.jsonl` \(no such file\)\n$/);
  });

  it('usage mistakes are told before anything is read: no file, two files, --agent without a value', async () => {
    for (const args of [['--agent', 'codex'], ['--agent', 'codex', 'a.jsonl', 'b.jsonl'], ['a.jsonl', '--agent']]) {
      const result = await orchd(['entries', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^orchd: .+\nRun 'orchd entries --help' for usage\.\n$/);
    }
  });

  it('needs no data directory and makes none', () => {
    assert.equal(existsSync(DATA_DIR), false);
  });
});
