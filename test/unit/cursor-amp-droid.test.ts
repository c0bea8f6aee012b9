// Cursor, Amp and Droid: the argv each executor builds (first turn, follow-up, model, permission modes), each
// normalizer on its hand-written captures (fixtures/captures/{cursor,amp,droid}, written from the documented formats
// because the real CLIs need their vendors' services), and each executor's driver and normalizer against a shell
// script standing in for the CLI, spawned for real: it records its argv and stdin and prints a capture.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { OrchdError } from '../../src/errors.js';
import { ampArguments, ampExecutor, createAmpNormalizer } from '../../src/executors/amp.js';
import { cursorArguments, cursorExecutor } from '../../src/executors/cursor.js';
import { createOneShotDriver } from '../../src/executors/one-shot.js';
import { droidArguments, droidExecutor } from '../../src/executors/droid.js';
import type { AgentHooks, AgentTurnRequest, Executor } from '../../src/executors/types.js';
import { createCursorNormalizer } from '../../src/normalizers/cursor-stream-json.js';
import { createDroidNormalizer } from '../../src/normalizers/droid-stream-json.js';
import type { EntryDraft, Normalizer, RawStream } from '../../src/normalizers/types.js';
import { ROOT } from '../support/client.js';
import { EVENT_MS } from '../support/bounds.js';
import { captureLines as readCapture } from '../support/captures.js';

type Line = { line: string; stream: RawStream };
type Entry<T extends EntryDraft['type']> = Extract<EntryDraft, { type: T }>;

const CAPTURES = join(ROOT, 'fixtures', 'captures');
/** A capture of one CLI by file name. */
const captureLines = (cli: string, file: string): Line[] => readCapture(join(CAPTURES, cli, file));

function request(overrides: { prompt?: string; resume?: string | null; model?: string | null; permissionMode?: string | null; extraArgs?: string[]; env?: Record<string, string> } = {}): AgentTurnRequest {
  return {
    cwd: '/w/repo',
    prompt: overrides.prompt ?? 'do it',
    resumeAgentSessionId: overrides.resume ?? null,
    env: overrides.env ?? {},
    profile: { model: overrides.model ?? null, permissionMode: overrides.permissionMode ?? null, extraArgs: overrides.extraArgs ?? [], env: {} },
  };
}

const hooks: AgentHooks = {
  requestApproval: () => Promise.reject(new Error('these executors never ask')),
  warn: () => {},
};

/** Feed lines through a fresh normalizer: the final entries by id, in first-seen order. */
function normalize(create: () => Normalizer, lines: Line[]): { entries: EntryDraft[]; unknown: number } {
  const normalizer = create();
  const byId = new Map<string, EntryDraft>();
  for (const { line, stream } of lines) for (const entry of normalizer.push(line, stream)) byId.set(entry.id, entry);
  return { entries: [...byId.values()], unknown: normalizer.unknownLines };
}

const ofType = <T extends EntryDraft['type']>(entries: EntryDraft[], type: T) => entries.filter((e): e is Entry<T> => e.type === type);
const tools = (entries: EntryDraft[]) => ofType(entries, 'toolCall');
const texts = (entries: EntryDraft[]) => ofType(entries, 'assistantMessage').map((e) => e.text);

function rejects(fn: () => unknown, field: string, pattern: RegExp) {
  assert.throws(fn, (error: unknown) => error instanceof OrchdError && error.kind === 'invalidParams' && error.details.field === field && pattern.test(error.message));
}

describe('cursor-agent argv', () => {
  it('first turn: print mode, stream-json, a trusted worktree; the prompt is not on argv', () => {
    assert.deepEqual(cursorArguments(request()), ['-p', '--output-format', 'stream-json', '--trust']);
  });
  it('follow-up: --resume <chatId>, then model and extra args', () => {
    assert.deepEqual(cursorArguments(request({ resume: 'c6b62c6f-7ead', model: 'sonnet-4', extraArgs: ['--approve-mcps'] })), [
      '-p', '--output-format', 'stream-json', '--trust', '--model', 'sonnet-4', '--resume', 'c6b62c6f-7ead', '--approve-mcps',
    ]);
  });
  it('maps permission modes: default, force and bypassPermissions (--force), plan and ask (--mode)', () => {
    const flags = (mode: string | null) => cursorArguments(request({ permissionMode: mode })).slice(3);
    assert.deepEqual(flags(null), ['--trust']);
    assert.deepEqual(flags('default'), ['--trust']);
    assert.deepEqual(flags('force'), ['--trust', '--force']);
    assert.deepEqual(flags('bypassPermissions'), ['--trust', '--force']);
    assert.deepEqual(flags('plan'), ['--trust', '--mode', 'plan']);
    assert.deepEqual(flags('ask'), ['--trust', '--mode', 'ask']);
    rejects(() => cursorArguments(request({ permissionMode: 'acceptEdits' })), 'permissionMode', /`cursor-agent`.*got `acceptEdits`/);
  });
});

describe('amp argv', () => {
  it('first turn: --execute --stream-json, the prompt on stdin', () => {
    assert.deepEqual(ampArguments(request()), ['--execute', '--stream-json']);
  });
  it('follow-up: threads continue <thread id>, then the same flags', () => {
    assert.deepEqual(ampArguments(request({ resume: 'T-2775dc92', extraArgs: ['--mode', 'rush'] })), ['threads', 'continue', 'T-2775dc92', '--execute', '--stream-json', '--mode', 'rush']);
  });
  it('maps permission modes (bypassPermissions → --dangerously-allow-all) and refuses a model', () => {
    assert.deepEqual(ampArguments(request({ permissionMode: 'default' })), ['--execute', '--stream-json']);
    assert.deepEqual(ampArguments(request({ permissionMode: 'bypassPermissions' })), ['--execute', '--stream-json', '--dangerously-allow-all']);
    rejects(() => ampArguments(request({ permissionMode: 'plan' })), 'permissionMode', /`amp`.*got `plan`/);
    rejects(() => ampArguments(request({ model: 'claude-opus' })), 'model', /unset for executor `amp`.*got `claude-opus`/);
  });
});

describe('droid argv', () => {
  it('first turn: exec, stream-json, --auto low by default', () => {
    assert.deepEqual(droidArguments(request()), ['exec', '--output-format', 'stream-json', '--auto', 'low']);
  });
  it('follow-up: --session-id <id>, after the model', () => {
    assert.deepEqual(droidArguments(request({ resume: '43effc75', model: 'gpt-5-codex', extraArgs: ['--reasoning-effort', 'high'] })), [
      'exec', '--output-format', 'stream-json', '--auto', 'low', '--model', 'gpt-5-codex', '--session-id', '43effc75', '--reasoning-effort', 'high',
    ]);
  });
  it('maps permission modes to autonomy levels', () => {
    const flags = (mode: string) => droidArguments(request({ permissionMode: mode })).slice(3);
    assert.deepEqual(flags('readOnly'), []);
    assert.deepEqual(flags('low'), ['--auto', 'low']);
    assert.deepEqual(flags('medium'), ['--auto', 'medium']);
    assert.deepEqual(flags('high'), ['--auto', 'high']);
    assert.deepEqual(flags('bypassPermissions'), ['--skip-permissions-unsafe']);
    rejects(() => droidArguments(request({ permissionMode: 'auto' })), 'permissionMode', /`droid`.*got `auto`/);
  });
});

describe('executors', () => {
  const all: [Executor, string][] = [
    [cursorExecutor, 'ORCHD_CURSOR_PATH'],
    [ampExecutor, 'ORCHD_AMP_PATH'],
    [droidExecutor, 'ORCHD_DROID_PATH'],
  ];
  it('declare honest capabilities: no approvals, no graceful stop, resume; models only where a flag exists', () => {
    for (const [executor] of all) {
      assert.equal(executor.capabilities.approvals, false, executor.id);
      assert.equal(executor.capabilities.gracefulStop, false, executor.id);
      assert.equal(executor.capabilities.resume, true, executor.id);
    }
    assert.deepEqual(all.map(([e]) => [e.id, e.capabilities.models]), [['cursor-agent', true], ['amp', false], ['droid', true]]);
  });
  it('use the ORCHD_<AGENT>_PATH override and fail with the install hint when the CLI is missing', async () => {
    for (const [executor, variable] of all) {
      const launch = executor.prepare(request({ env: { [variable]: '/opt/fake/cli', PATH: '/nonexistent' } }), hooks);
      assert.equal(launch.argv[0], '/opt/fake/cli', executor.id);
      const missing = await executor.detect({ PATH: '/nonexistent' });
      assert.equal(missing.available, false);
      assert.match(missing.hint ?? '', new RegExp(variable));
      const savedPath = process.env.PATH;
      const savedOverride = process.env[variable];
      process.env.PATH = '/nonexistent';
      delete process.env[variable];
      try {
        assert.throws(() => executor.prepare(request({ env: { PATH: '/nonexistent' } }), hooks), (error: unknown) => error instanceof OrchdError && error.kind === 'executorUnavailable');
      } finally {
        process.env.PATH = savedPath;
        if (savedOverride !== undefined) process.env[variable] = savedOverride;
      }
    }
  });
  it('the one-shot driver writes the prompt, closes stdin, and has no graceful interrupt', () => {
    const written: string[] = [];
    let closed = false;
    const driver = createOneShotDriver('line one\nline two');
    driver.start({ writeLine: (line) => void written.push(line), close: () => void (closed = true) });
    driver.onStdoutLine('{"type":"result"}');
    assert.deepEqual(written, ['line one\nline two']);
    assert.equal(closed, true);
    assert.equal(driver.interrupt(), false);
  });
});

/** What every capture must satisfy, per normalizer. */
const SUITES: { cli: string; create: () => Normalizer }[] = [
  { cli: 'cursor', create: createCursorNormalizer },
  { cli: 'amp', create: createAmpNormalizer },
  { cli: 'droid', create: createDroidNormalizer },
];

/** Captures whose format carries token counts (the others still report the duration). */
const WITH_TOKENS = new Set(['cursor/print-edit.jsonl', 'amp/stream-json-edit.jsonl', 'amp/stream-json-resume.jsonl', 'amp/stream-json-error.jsonl', 'droid/stream-json-edit.jsonl', 'droid/stream-json-resume.jsonl']);
/** Captures of runs that end without a usage line at all. */
const WITHOUT_USAGE = new Set(['cursor/print-error.jsonl', 'droid/stream-json-error.jsonl']);

for (const suite of SUITES) {
  describe(`${suite.cli} captures`, () => {
    const files = readdirSync(join(CAPTURES, suite.cli)).filter((f) => f.endsWith('.jsonl'));
    it('has captures for an edit, a resume and an error', () => {
      assert.ok(files.some((f) => f.includes('edit')) && files.some((f) => f.includes('resume')) && files.some((f) => f.includes('error')), files.join(', '));
    });
    for (const file of files) {
      it(file, () => {
        const lines = captureLines(suite.cli, file);
        const { entries, unknown } = normalize(suite.create, lines);
        assert.equal(unknown, 0, `unknown lines: ${entries.filter((e) => e.type === 'raw').map((e) => e.type === 'raw' && e.line.slice(0, 120)).join('\n')}`);
        for (const call of tools(entries)) assert.ok(['succeeded', 'failed', 'denied'].includes(call.status), `tool call ${call.toolCallId} (${call.name}) ends ${call.status}`);
        const session = ofType(entries, 'agentSession');
        assert.equal(session.length, 1, 'one agentSession entry');
        const firstId = lines.map((l) => (l.stream === 'stdout' ? /"session_id":"([^"]+)"/.exec(l.line)?.[1] : undefined)).find(Boolean);
        assert.equal(session[0]!.agentSessionId, firstId, 'the session id of the first line that carries one');
        const usage = ofType(entries, 'usage');
        const key = `${suite.cli}/${file}`;
        if (WITHOUT_USAGE.has(key)) assert.equal(usage.length, 0);
        else {
          assert.equal(usage.length, 1, 'one usage entry');
          assert.ok(usage[0]!.durationMs! > 0, 'the duration is extracted');
          if (WITH_TOKENS.has(key)) assert.ok(usage[0]!.inputTokens! > 0 && usage[0]!.outputTokens! > 0, 'tokens are extracted');
        }
        assert.ok(ofType(entries, 'userMessage').length === 0, 'the prompt echo is not a second user message');
        assert.deepEqual(normalize(suite.create, lines), { entries, unknown }, 'replay yields the same entries');
        if (file.includes('error')) assert.ok(ofType(entries, 'error').length > 0, 'the error is an entry');
        if (file.includes('edit')) {
          const edits = tools(entries).filter((e) => e.kind === 'edit');
          assert.ok(edits.length > 0 && edits.every((e) => e.status === 'succeeded' && e.path && e.diff), 'every edit succeeded with its path and a diff');
          assert.ok(edits.some((e) => e.diff!.includes('-hi\n+hello\n')), 'the change from hi to hello is in a diff');
          const commands = tools(entries).filter((e) => e.kind === 'command');
          assert.deepEqual(commands.map((e) => [e.command, e.exitCode, e.status]), [['cat hello.txt', 0, 'succeeded'], ['npm test', 1, 'failed']]);
          assert.match(commands[0]!.output ?? '', /^hello\n?$/);
        }
      });
    }
  });
}

describe('cursor normalizer details', () => {
  it('coalesces thinking deltas, splits assistant text at tool calls, keeps the edit diff', () => {
    const { entries } = normalize(createCursorNormalizer, captureLines('cursor', 'print-edit.jsonl'));
    assert.deepEqual(ofType(entries, 'thinking').map((e) => e.text), ['I will create the file, edit it, then run the tests.']);
    assert.deepEqual(texts(entries), ['Creating hello.txt first.', 'Running the tests now.', 'hello.txt now contains hello. There is no test script in this repository, so `npm test` failed.']);
    const [write, read, edit] = tools(entries);
    assert.deepEqual([write!.name, write!.kind, write!.path, write!.diff], ['write', 'edit', 'hello.txt', '--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1,1 @@\n+hi\n']);
    assert.deepEqual([read!.kind, read!.output], ['read', 'hi\n']);
    assert.match(edit!.diff ?? '', /-hi\n\+hello\n$/);
  });
  it('with --stream-partial-output, the segment and whole-response repeats do not double the text', () => {
    const { entries } = normalize(createCursorNormalizer, captureLines('cursor', 'print-partial.jsonl'));
    assert.deepEqual(texts(entries), ['Listing the directory.', 'There are two files: README.md and hello.txt.']);
  });
  it('keeps text a final whole-response line adds, and concatenates consecutive whole messages', () => {
    const line = (text: string, extra: object = {}) => ({ line: JSON.stringify({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text }] }, session_id: 's', ...extra }), stream: 'stdout' as const });
    const partial = normalize(createCursorNormalizer, [line('Hel', { timestamp_ms: 1 }), line('lo.', { timestamp_ms: 2 }), line('Hello. And more.')]);
    assert.deepEqual(texts(partial.entries), ['Hello.', 'And more.']);
    // The documented example sequence (no partial output): two assistant lines in a row form one message.
    const whole = normalize(createCursorNormalizer, [line('やるね'), line('README.mdファイルを読むね')]);
    assert.deepEqual(texts(whole.entries), ['やるねREADME.mdファイルを読むね']);
  });
  it('takes the session id from the first line that carries one, and reads error results, error lines and the function tool form', () => {
    const { entries, unknown } = normalize(createCursorNormalizer, [
      { line: '{"type":"system","subtype":"init","model":"GPT-5"}', stream: 'stdout' },
      { line: '{"type":"tool_call","subtype":"started","call_id":"f1","tool_call":{"function":{"name":"Shell","arguments":"{\\"command\\":\\"ls\\"}"}},"session_id":"late-id"}', stream: 'stdout' },
      { line: '{"type":"tool_call","subtype":"completed","call_id":"f1","tool_call":{"function":{"name":"Shell","arguments":"{\\"command\\":\\"ls\\"}"}},"session_id":"late-id"}', stream: 'stdout' },
      { line: '{"type":"error","message":"stream interrupted","session_id":"late-id"}', stream: 'stdout' },
      { line: '{"type":"result","subtype":"error","is_error":true,"result":"model unavailable","duration_ms":5,"session_id":"late-id"}', stream: 'stdout' },
      { line: 'Press any key to sign in...', stream: 'stdout' },
      { line: '{"type":"telemetry"}', stream: 'stdout' },
    ]);
    assert.deepEqual(ofType(entries, 'agentSession').map((e) => e.agentSessionId), ['late-id']);
    assert.deepEqual(tools(entries).map((e) => [e.name, e.kind, e.command, e.status]), [['Shell', 'command', 'ls', 'succeeded']]);
    assert.deepEqual(ofType(entries, 'error').map((e) => e.message), ['stream interrupted', 'model unavailable', 'Press any key to sign in...']);
    assert.equal(unknown, 1, 'an unknown event type is kept raw');
  });
});

describe('amp normalizer details', () => {
  it('maps Amp tools onto entry kinds with commands, paths, diffs and exit codes', () => {
    const { entries } = normalize(createAmpNormalizer, captureLines('amp', 'stream-json-edit.jsonl'));
    assert.deepEqual(tools(entries).map((e) => [e.name, e.kind, e.status]), [
      ['create_file', 'edit', 'succeeded'],
      ['edit_file', 'edit', 'succeeded'],
      ['Bash', 'command', 'succeeded'],
      ['Bash', 'command', 'failed'],
    ]);
    const [create, edit] = tools(entries);
    assert.match(create!.diff ?? '', /^--- \/dev\/null\n\+\+\+ b\/.*hello\.txt\n@@ -0,0 \+1,1 @@\n\+hi\n$/);
    assert.match(edit!.diff ?? '', /-hi\n\+hello\n$/);
    const usage = ofType(entries, 'usage')[0]!;
    assert.deepEqual([usage.inputTokens, usage.outputTokens, usage.durationMs], [17266 + 17402 + 17530 + 17611 + 17702, 64 + 58 + 41 + 39 + 27, 11906]);
  });
  it('a continued thread: the earlier turn printed again is left out, and only this turn counts for usage', () => {
    const { entries } = normalize(createAmpNormalizer, captureLines('amp', 'stream-json-resume.jsonl'));
    assert.deepEqual(texts(entries), ['11.']);
    assert.deepEqual([ofType(entries, 'usage')[0]!.inputTokens, ofType(entries, 'usage')[0]!.outputTokens], [12810, 3]);
  });
  it('when the prompt echo never matches, held-back entries are released at the result', () => {
    const lines = captureLines('amp', 'stream-json-edit.jsonl').map((l) => (l.stream === 'stdin' ? { ...l, line: 'a prompt Amp rewrote' } : l));
    const { entries, unknown } = normalize(createAmpNormalizer, lines);
    assert.equal(unknown, 0);
    assert.equal(tools(entries).length, 4);
    assert.equal(texts(entries).length, 2);
    assert.equal(ofType(entries, 'usage')[0]!.outputTokens, 64 + 58 + 41 + 39 + 27);
  });
  it('the prompt of a subagent (a user line with parent_tool_use_id) is not taken for another turn', () => {
    const lines = captureLines('amp', 'stream-json-edit.jsonl');
    const subagent = { line: JSON.stringify({ type: 'user', message: { role: 'user', content: [{ type: 'text', text: 'Find the parser' }] }, parent_tool_use_id: 'toolu_task', session_id: 'T-1' }), stream: 'stdout' as const };
    const withSubagent = [...lines.slice(0, 4), subagent, ...lines.slice(4)];
    const normalizer = createAmpNormalizer();
    const beforeResult = withSubagent.slice(0, -1).flatMap(({ line, stream }) => normalizer.push(line, stream));
    assert.equal(new Set(tools(beforeResult).map((e) => e.toolCallId)).size, 4, 'tool calls after it are shown live, not held back');
    assert.deepEqual(normalize(createAmpNormalizer, withSubagent).entries, normalize(createAmpNormalizer, lines).entries);
  });
  it('an error result reports its `error` text', () => {
    const { entries } = normalize(createAmpNormalizer, captureLines('amp', 'stream-json-error.jsonl'));
    assert.deepEqual(ofType(entries, 'error').map((e) => e.message), ['Out of credits: add credits at ampcode.com/settings to continue']);
  });
});

describe('droid normalizer details', () => {
  it('pairs results without ids with the oldest open call', () => {
    const { entries } = normalize(createDroidNormalizer, captureLines('droid', 'stream-json-no-ids.jsonl'));
    assert.deepEqual(tools(entries).map((e) => [e.name, e.kind, e.status, e.output]), [
      ['LS', 'search', 'succeeded', 'total 8\n-rw-r--r--  1 user  staff  11 README.md\n'],
      ['Read', 'read', 'succeeded', '# capture\n'],
    ]);
  });
  it('insufficient permission: the cancelled call is denied and the error is an entry', () => {
    const { entries } = normalize(createDroidNormalizer, captureLines('droid', 'stream-json-error.jsonl'));
    assert.deepEqual(tools(entries).map((e) => [e.kind, e.status, e.output]), [['command', 'denied', 'Error: tool execution cancelled']]);
    assert.match(ofType(entries, 'error')[0]!.message, /^Exec ended early: insufficient permission/);
  });
  it('the final text is not repeated when the last assistant message carried it, and is kept when not', () => {
    const edit = normalize(createDroidNormalizer, captureLines('droid', 'stream-json-edit.jsonl'));
    assert.equal(texts(edit.entries).length, 2);
    const { entries } = normalize(createDroidNormalizer, [{ line: '{"type":"completion","finalText":"Only here","durationMs":3,"session_id":"s"}', stream: 'stdout' }]);
    assert.deepEqual(texts(entries), ['Only here']);
  });
});

/** A stand-in CLI: records argv and stdin (waiting for stdin to close), prints the capture's stdout and stderr. */
const FAKE_CLI = `#!/bin/sh
if [ "$1" = "--version" ]; then echo "fake-cli 1.2.3"; exit 0; fi
cat > "$FAKE_CLI_DIR/stdin.txt"
for arg in "$@"; do printf '%s\\n' "$arg"; done > "$FAKE_CLI_DIR/argv.txt"
cat "$FAKE_CLI_DIR/stdout.txt"
cat "$FAKE_CLI_DIR/stderr.txt" >&2
exit "$(cat "$FAKE_CLI_DIR/exit-code")"
`;

describe('executors against a spawned stand-in CLI', () => {
  let dir: string;
  let bin: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'orchd-fake-cli-'));
    bin = join(dir, 'fake-cli');
    writeFileSync(bin, FAKE_CLI);
    chmodSync(bin, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Prepare a turn with the executor, spawn it, drive it, and record the raw log as the runner would. */
  async function runTurn(executor: Executor, variable: string, cli: string, file: string, options: { resume?: string | null; exitCode?: number; permissionMode?: string | null } = {}) {
    const capture = captureLines(cli, file);
    const prompt = capture.filter((l) => l.stream === 'stdin').map((l) => l.line).join('\n');
    writeFileSync(join(dir, 'stdout.txt'), capture.filter((l) => l.stream === 'stdout').map((l) => `${l.line}\n`).join(''));
    writeFileSync(join(dir, 'stderr.txt'), capture.filter((l) => l.stream === 'stderr').map((l) => `${l.line}\n`).join(''));
    writeFileSync(join(dir, 'exit-code'), String(options.exitCode ?? 0));
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', FAKE_CLI_DIR: dir, [variable]: bin };
    const launch = executor.prepare(request({ prompt, resume: options.resume ?? null, permissionMode: options.permissionMode ?? null, env }), hooks);
    assert.equal(launch.argv[0], bin);
    const child = spawn(launch.argv[0]!, launch.argv.slice(1), { cwd: dir, env: launch.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const log: Line[] = [];
    const stderr: Line[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const stdoutDone = new Promise<void>((resolve) => createInterface({ input: child.stdout }).on('line', (line) => (log.push({ line, stream: 'stdout' }), launch.driver.onStdoutLine(line))).on('close', resolve));
    const stderrDone = new Promise<void>((resolve) => createInterface({ input: child.stderr }).on('line', (line) => void stderr.push({ line, stream: 'stderr' })).on('close', resolve));
    child.stdin.on('error', () => {});
    launch.driver.start({
      writeLine(line) {
        for (const part of line.split('\n')) log.push({ line: part, stream: 'stdin' });
        child.stdin.write(`${line}\n`);
      },
      close: () => child.stdin.end(),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
        reject(new Error(`${executor.id} stand-in did not exit within ${EVENT_MS} ms (is stdin closed?); ${log.filter((l) => l.stream === 'stdout').length} stdout lines so far`));
      }, EVENT_MS);
    });
    const code = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    await Promise.all([stdoutDone, stderrDone]);
    return { launch, code, log: [...log, ...stderr], capture, prompt, argv: readFileSync(join(dir, 'argv.txt'), 'utf8'), stdin: readFileSync(join(dir, 'stdin.txt'), 'utf8') };
  }

  const cases: { executor: Executor; variable: string; cli: string; create: () => Normalizer; turns: { file: string; resume?: string; exitCode?: number; permissionMode?: string }[] }[] = [
    {
      executor: cursorExecutor,
      variable: 'ORCHD_CURSOR_PATH',
      cli: 'cursor',
      create: createCursorNormalizer,
      turns: [{ file: 'print-edit.jsonl', permissionMode: 'force' }, { file: 'print-resume.jsonl', resume: 'c6b62c6f-7ead-4fd6-9922-e952131177ff' }, { file: 'print-error.jsonl', exitCode: 1 }],
    },
    {
      executor: ampExecutor,
      variable: 'ORCHD_AMP_PATH',
      cli: 'amp',
      create: createAmpNormalizer,
      turns: [{ file: 'stream-json-edit.jsonl' }, { file: 'stream-json-resume.jsonl', resume: 'T-2775dc92-90ed-4f85-8b73-8f9766029e83' }, { file: 'stream-json-error.jsonl', exitCode: 1 }],
    },
    {
      executor: droidExecutor,
      variable: 'ORCHD_DROID_PATH',
      cli: 'droid',
      create: createDroidNormalizer,
      turns: [{ file: 'stream-json-edit.jsonl', permissionMode: 'medium' }, { file: 'stream-json-resume.jsonl', resume: '43effc75-0ba2-4923-9d13-35b1082200f7' }, { file: 'stream-json-error.jsonl', exitCode: 1 }],
    },
  ];

  for (const c of cases) {
    it(`${c.executor.id}: detects the stand-in through ${c.variable}`, async () => {
      const found = await c.executor.detect({ PATH: process.env.PATH ?? '', [c.variable]: bin });
      assert.deepEqual([found.available, found.version, found.path], [true, '1.2.3', bin]);
    });
    for (const turn of c.turns) {
      it(`${c.executor.id}: ${turn.file} — argv as prepared, the prompt on stdin then EOF, entries as from the capture`, async () => {
        const result = await runTurn(c.executor, c.variable, c.cli, turn.file, turn);
        assert.equal(result.code, turn.exitCode ?? 0);
        assert.equal(result.argv, result.launch.argv.slice(1).map((a) => `${a}\n`).join(''));
        assert.equal(result.stdin, `${result.prompt}\n`);
        if (turn.resume) assert.ok(result.launch.argv.includes(turn.resume), 'the follow-up names the agent session');
        assert.ok(!result.launch.argv.includes(result.prompt), 'the prompt is not on argv');
        const live = normalize(c.create, result.log);
        assert.equal(live.unknown, 0);
        assert.deepEqual(live.entries, normalize(c.create, result.capture).entries, 'the spawned run normalizes like its capture');
      });
    }
  }
});
