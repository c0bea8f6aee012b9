// The real Qwen Code CLI (the pinned version from support/install.ts) driven by orchd's Qwen executor — stream-json in
// and out with the Claude control protocol, through the Claude driver — against the mock model, no daemon in between:
// an edit asked for and allowed; a follow-up that resumes the session in a new process and has its edit denied; the
// default approval mode (edits not asked, commands asked); an interrupt while the answer streams, one while a
// permission request is open, and one during start-up; the API error path; auth taken from the environment alone.
// Each raw log also goes through the Claude normalizer. These are the measurements behind the choice of stream-json
// over `qwen --acp` in src/executors/qwen.ts.
//
// The CLI installs on first use (test/real-agents/support/install.ts); each turn is 2-4 s, mostly start-up.
// ORCHD_RECORD_CAPTURES=1 also writes the raw logs to fixtures/captures/qwen/orchd-stream-json/*.jsonl for the unit
// tests (a folder of their own: test/unit/acp-normalizer.test.ts reads qwen/orchd-*.jsonl as ACP).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { ApprovalAnswer } from '../../protocol/approvals.js';
import { startMockModel, type MockModel } from '../../fixtures/mock-model/server.js';
import { qwenExecutor } from '../../src/executors/qwen.js';
import type { AgentDriver, ApprovalAsk } from '../../src/executors/types.js';
import type { EntryDraft, RawStream } from '../../src/normalizers/types.js';
import { tempDir } from '../support/client.js';
import { makeRepo } from '../support/repo.js';
import { waitUntil } from '../support/wait.js';
import { ensureAgentCli, type InstalledAgent } from './support/install.js';
import { agentEnvironment } from './support/isolation.js';

const record = process.env.ORCHD_RECORD_CAPTURES === '1';
const CAPTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'captures', 'qwen', 'orchd-stream-json');
const TURN_TIMEOUT_MS = 90_000;

type Line = { line: string; stream: RawStream; ms: number };
type ToolEntry = Extract<EntryDraft, { type: 'toolCall' }>;

interface TurnOptions {
  prompt: string;
  resume?: string | null;
  permissionMode?: string | null;
  /** Another environment (a fresh HOME). */
  env?: Record<string, string>;
  /** How orchd's approvals answer; allowOnce by default. */
  answer?: (ask: ApprovalAsk, signal: AbortSignal | undefined) => Promise<ApprovalAnswer>;
  /** Called once the process has spawned, with the driver and the lines so far (to interrupt it). */
  during?: (driver: AgentDriver, lines: Line[]) => Promise<void> | void;
}

interface Turn {
  lines: Line[];
  asked: ApprovalAsk[];
  warnings: string[];
  argv: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From spawn to exit. */
  ms: number;
  entries: EntryDraft[];
  unknown: number;
}

/** Replay a raw log through a fresh normalizer: the final entries by id, in first-seen order. */
function normalize(lines: Line[]): { entries: EntryDraft[]; unknown: number } {
  const normalizer = qwenExecutor.createNormalizer();
  const byId = new Map<string, EntryDraft>();
  for (const { line, stream } of lines) if (stream !== 'stderr') for (const entry of normalizer.push(line, stream)) byId.set(entry.id, entry);
  return { entries: [...byId.values()], unknown: normalizer.unknownLines };
}

const tools = (entries: EntryDraft[]) => entries.filter((e): e is ToolEntry => e.type === 'toolCall');
const sessionOf = (entries: EntryDraft[]) => entries.find((e): e is Extract<EntryDraft, { type: 'agentSession' }> => e.type === 'agentSession')?.agentSessionId;
const texts = (entries: EntryDraft[]) => entries.filter((e): e is Extract<EntryDraft, { type: 'assistantMessage' }> => e.type === 'assistantMessage').map((e) => e.text);
const sent = (turn: Turn) => turn.lines.filter((l) => l.stream === 'stdin').map((l) => JSON.parse(l.line) as Record<string, any>);
const received = (turn: Turn) => turn.lines.filter((l) => l.stream === 'stdout').map((l) => JSON.parse(l.line) as Record<string, any>);

describe('real Qwen Code over stream-json with the control protocol (driver level)', { timeout: 600_000 }, () => {
  let cli: InstalledAgent;
  let mock: MockModel;
  let home: string;
  let repo: string;
  let env: Record<string, string>;

  before(async () => {
    cli = await ensureAgentCli('qwen');
    mock = await startMockModel();
    home = realpathSync(tempDir('orchd-qwen-home-'));
    repo = realpathSync(makeRepo({ 'README.md': '# app\n' }));
    env = { ...agentEnvironment('qwen', { home, mockUrl: mock.url }), ...cli.env, ORCHD_QWEN_PATH: cli.bin };
  });

  after(async () => {
    await mock?.close();
    if (repo) rmSync(repo, { recursive: true, force: true });
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** One turn: prepare through the executor, spawn in its own process group, wire the driver, wait for the exit. */
  async function runTurn(name: string, options: TurnOptions): Promise<Turn> {
    const lines: Line[] = [];
    const asked: ApprovalAsk[] = [];
    const warnings: string[] = [];
    const turnEnv = options.env ?? env;
    const launch = qwenExecutor.prepare(
      { cwd: repo, prompt: options.prompt, resumeAgentSessionId: options.resume ?? null, env: turnEnv, profile: { model: null, permissionMode: options.permissionMode ?? null, extraArgs: [], env: {} } },
      {
        requestApproval(ask, signal) {
          asked.push(ask);
          return options.answer ? options.answer(ask, signal) : Promise.resolve({ decision: 'allowOnce' });
        },
        warn: (message) => warnings.push(message),
      },
    );
    const started = performance.now();
    const since = () => Math.round(performance.now() - started);
    const child = spawn(launch.argv[0]!, launch.argv.slice(1), { cwd: repo, env: launch.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const stdoutClosed = new Promise((resolve) => child.stdout.once('close', resolve));
    child.stdin.on('error', () => {});
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push({ line, stream: 'stdout', ms: since() });
      launch.driver.onStdoutLine(line);
    });
    createInterface({ input: child.stderr }).on('line', (line) => lines.push({ line, stream: 'stderr', ms: since() }));
    launch.driver.start({
      writeLine(line) {
        if (child.stdin.writableEnded) return;
        lines.push({ line, stream: 'stdin', ms: since() });
        child.stdin.write(`${line}\n`);
      },
      close() {
        child.stdin.end();
      },
    });
    await options.during?.(launch.driver, lines);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        reject(new Error(`qwen turn \`${name}\` did not exit within ${TURN_TIMEOUT_MS} ms; last lines:\n${lines.slice(-8).map((l) => `${l.stream}: ${l.line.slice(0, 300)}`).join('\n')}`));
      }, TURN_TIMEOUT_MS);
    });
    const { code, signal } = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    await stdoutClosed;
    const ms = since();
    // Qwen relaunches itself as a child: the whole group must be gone, not just the process we spawned.
    await waitUntil(() => !groupAlive(child.pid!), `qwen's process group ${child.pid} to be gone after \`${name}\``, 5000);
    if (record) {
      const dir = (stream: RawStream) => (stream === 'stdin' ? 'in' : 'out');
      mkdirSync(CAPTURES, { recursive: true });
      writeFileSync(join(CAPTURES, `${name}.jsonl`), lines.filter((l) => l.stream !== 'stderr').map((l) => `${JSON.stringify({ dir: dir(l.stream), line: l.line, ms: l.ms })}\n`).join(''));
    }
    return { lines, asked, warnings, argv: launch.argv, code, signal, ms, ...normalize(lines) };
  }

  /** What every raw log must pass: each stdout and stdin line understood, tool calls ended, replay stable. */
  function checkLog(turn: Turn): void {
    assert.equal(turn.unknown, 0, `unknown lines: ${turn.entries.filter((e) => e.type === 'raw').map((e) => e.type === 'raw' && e.line.slice(0, 200)).join('\n')}`);
    assert.deepEqual(normalize(turn.lines).entries, turn.entries, 'replay yields the same entries');
    for (const call of tools(turn.entries)) assert.ok(['succeeded', 'failed', 'denied'].includes(call.status), `tool call ${call.toolCallId} (${call.name}) ends ${call.status}`);
  }

  const modelCallsFor = (marker: string) => mock.requests.filter((r) => r.api === 'chat' && !r.helper && JSON.stringify(r.body ?? null).includes(marker));

  let sessionId: string | undefined;

  it('detects the installed CLI and its version, through ORCHD_QWEN_PATH or PATH', async () => {
    const found = await qwenExecutor.detect({ PATH: cli.env.PATH!, HOME: home });
    assert.equal(found.available, true, found.hint ?? '');
    assert.equal(found.version, cli.version);
    const overridden = await qwenExecutor.detect({ PATH: '/nonexistent', HOME: home, ORCHD_QWEN_PATH: cli.bin });
    assert.equal(overridden.path, cli.bin);
    const missing = await qwenExecutor.detect({ PATH: '/nonexistent' });
    assert.equal(missing.available, false);
    assert.match(missing.hint ?? '', /npm install -g @qwen-code\/qwen-code/);
  });

  it('turn 1 (mode `default`): an edit asked for, allowed and written; session id, paired tool call, text and usage in the entries', async () => {
    const turn = await runTurn('edit-allow', { prompt: '[mock:edit-file path=hello.txt content=hi] create hello.txt (first turn)', permissionMode: 'default' });
    assert.deepEqual([turn.code, turn.signal], [0, null], 'Qwen exits 0 once stdin closes after `result`');
    assert.deepEqual(turn.argv.slice(1), ['--input-format', 'stream-json', '--output-format', 'stream-json', '--include-partial-messages', '--approval-mode', 'default']);
    assert.deepEqual(turn.warnings, []);
    assert.equal(readFileSync(join(repo, 'hello.txt'), 'utf8'), 'hi');
    assert.equal(turn.asked.length, 1);
    assert.equal(turn.asked[0]!.tool, 'write_file');
    assert.deepEqual(turn.asked[0]!.input, { file_path: join(repo, 'hello.txt'), content: 'hi' });
    assert.deepEqual(turn.asked[0]!.options, ['allowOnce', 'allowSession', 'deny']);
    assert.deepEqual(
      sent(turn).map((m) => (m.type === 'control_request' ? m.request.subtype : m.type === 'control_response' ? `answer:${m.response.response.behavior}` : m.type)),
      ['initialize', 'user', 'answer:allow'],
    );

    checkLog(turn);
    sessionId = sessionOf(turn.entries);
    assert.match(sessionId ?? '', /^[0-9a-f-]{36}$/);
    const [edit, ...others] = tools(turn.entries);
    assert.deepEqual(others, []);
    assert.equal(edit?.status, 'succeeded');
    assert.equal(edit?.kind, 'edit');
    assert.equal(edit?.name, 'write_file');
    assert.equal(edit?.path, join(repo, 'hello.txt'));
    assert.equal(edit?.toolCallId, turn.asked[0]!.toolCallId);
    assert.deepEqual(texts(turn.entries), ['done'], 'the streamed text and the final message are one entry');
    const usage = turn.entries.find((e) => e.type === 'usage');
    assert.ok(usage?.type === 'usage' && (usage.inputTokens ?? 0) > 0 && (usage.outputTokens ?? 0) > 0 && usage.durationMs !== null, JSON.stringify(usage));
    const system = turn.entries.find((e) => e.type === 'systemInfo');
    assert.ok(system?.type === 'systemInfo' && system.model === 'mock-model' && system.cwd === repo);
  });

  it('turn 2: a follow-up resumes the session in a new process (`--resume=<id>`) and has its edit denied', async () => {
    assert.ok(sessionId, 'turn 1 gave a session id');
    const turn = await runTurn('resume-deny', {
      prompt: '[mock:edit-file path=denied.txt content=no] now create denied.txt (second turn)',
      resume: sessionId,
      permissionMode: 'default',
      answer: async () => ({ decision: 'deny', reason: 'not this one' }),
    });
    assert.deepEqual([turn.code, turn.signal], [0, null]);
    assert.ok(turn.argv.includes(`--resume=${sessionId}`));
    assert.equal(existsSync(join(repo, 'denied.txt')), false);
    assert.deepEqual(sent(turn).find((m) => m.type === 'control_response')?.response.response, { behavior: 'deny', message: 'not this one' });
    const history = JSON.stringify(modelCallsFor('second turn')[0]?.body ?? null);
    assert.ok(history.includes('first turn'), 'the model got the first turn back');

    checkLog(turn);
    assert.equal(sessionOf(turn.entries), sessionId, 'the same session continues');
    const [denied, ...more] = tools(turn.entries);
    assert.deepEqual(more, []);
    assert.deepEqual([denied?.name, denied?.status], ['write_file', 'denied']);
    assert.equal(denied?.output, '[Operation Cancelled] Reason: not this one', 'Qwen hands our reason to the model');
    assert.ok(texts(turn.entries).includes('done'), 'the model still answers after the denial');
  });

  it('turn 3 (no mode: `auto-edit`): an edit is not asked, a shell command is, and allowSession is accepted', async () => {
    const edit = await runTurn('auto-edit', { prompt: '[mock:edit-file path=auto.txt content=auto] write without asking' });
    assert.deepEqual([edit.code, edit.signal], [0, null]);
    assert.ok(edit.argv.includes('auto-edit'));
    assert.deepEqual(edit.asked, []);
    assert.equal(readFileSync(join(repo, 'auto.txt'), 'utf8'), 'auto');
    checkLog(edit);
    assert.deepEqual(tools(edit.entries).map((t) => [t.name, t.status]), [['write_file', 'succeeded']]);

    const shell = await runTurn('shell-allow-session', { prompt: '[mock:shell cmd="echo shell > shell.txt"] run a command', answer: async () => ({ decision: 'allowSession' }) });
    assert.deepEqual([shell.code, shell.signal], [0, null]);
    assert.deepEqual(shell.asked.map((a) => [a.tool, a.title]), [['run_shell_command', 'run_shell_command: echo shell > shell.txt']]);
    assert.equal(readFileSync(join(repo, 'shell.txt'), 'utf8'), 'shell\n');
    checkLog(shell);
    const [command] = tools(shell.entries);
    assert.equal(command?.kind, 'command');
    assert.equal(command?.status, 'succeeded');
    assert.equal(command?.command, 'echo shell > shell.txt');
  });

  it('an interrupt while the answer streams ends the process within a second (exit 130); the partial text is kept', async () => {
    let interruptedAt = 0;
    const turn = await runTurn('interrupt', {
      prompt: '[mock:slow n=300 ms=100] stream slowly (interrupt turn)',
      resume: sessionId,
      async during(driver, lines) {
        await waitUntil(() => lines.some((l) => l.stream === 'stdout' && l.line.includes('slow3 ')), 'the answer to stream', 60_000);
        interruptedAt = lines.at(-1)!.ms;
        assert.equal(driver.interrupt(), true);
      },
    });
    assert.deepEqual([turn.code, turn.signal], [130, null], 'Qwen 0.15 exits 130 after an interrupt, without a `result` line');
    assert.ok(turn.ms - interruptedAt < 2000, `exited ${turn.ms - interruptedAt} ms after the interrupt`);
    assert.ok(modelCallsFor('interrupt turn').every((r) => r.aborted), 'the model request was cancelled');
    const ack = received(turn).find((m) => m.type === 'control_response' && String(m.response?.request_id).startsWith('orchd-interrupt-'));
    assert.equal(ack?.response.subtype, 'success');
    assert.ok(!received(turn).some((m) => m.type === 'result'));

    checkLog(turn);
    const [text, ...more] = texts(turn.entries);
    assert.deepEqual(more, []);
    assert.match(text ?? '', /^slow0 slow1 slow2 slow3 /);
    assert.ok(!text!.includes('slow299'), 'the stream was cut short');
  });

  it('an interrupt with a permission request open withdraws it: nothing is written, the process exits', async () => {
    const turn = await runTurn('interrupt-approval', {
      prompt: '[mock:edit-file path=pending.txt content=never] ask and wait',
      permissionMode: 'default',
      answer: (_ask, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('withdrawn')), { once: true })),
      async during(driver, lines) {
        await waitUntil(() => lines.some((l) => l.line.includes('"can_use_tool"')), 'the permission request', 60_000);
        assert.equal(driver.interrupt(), true);
      },
    });
    assert.equal(turn.code, 130);
    assert.equal(existsSync(join(repo, 'pending.txt')), false);
    assert.equal(turn.asked.length, 1);
    assert.ok(!sent(turn).some((m) => m.type === 'control_response'), 'the interrupt replaces the answer');
    checkLog(turn);
    assert.deepEqual(tools(turn.entries).map((t) => [t.name, t.status]), [['write_file', 'failed']], 'Qwen reports the withdrawn call as a failed tool result');
  });

  it('an interrupt during start-up (before `system/init`) still ends the process', async () => {
    const turn = await runTurn('interrupt-startup', {
      prompt: '[mock:text] never asked',
      during: (driver) => {
        assert.equal(driver.interrupt(), true);
      },
    });
    assert.equal(turn.code, 130);
    assert.deepEqual(modelCallsFor('never asked'), [], 'the model was never called');
    checkLog(turn);
  });

  it('pinned quirk: a model API error is an assistant text and a `success` result, exit 0', async () => {
    const turn = await runTurn('api-error', { prompt: '[mock:error status=400 message="mock says no"] fail please' });
    assert.deepEqual([turn.code, turn.signal], [0, null]);
    const result = received(turn).find((m) => m.type === 'result');
    assert.deepEqual([result?.subtype, result?.is_error], ['success', false], 'if this fails, Qwen reports API errors as errors now: the normalizer can drop its text heuristic');
    checkLog(turn);
    assert.ok(texts(turn.entries).some((t) => /^\[API Error: 400 mock says no/.test(t)), JSON.stringify(turn.entries));
  });

  it('auth comes from the environment alone: no settings file and no --auth-type, only OPENAI_*', async () => {
    const freshHome = realpathSync(tempDir('orchd-qwen-fresh-home-'));
    try {
      const fresh: Record<string, string> = { ...agentEnvironment('qwen', { home: freshHome, mockUrl: mock.url }), ...cli.env, ORCHD_QWEN_PATH: cli.bin };
      rmSync(join(freshHome, '.qwen'), { recursive: true, force: true });
      const turn = await runTurn('env-auth', { prompt: '[mock:text reply="env auth works"] who am I', env: fresh });
      assert.ok(!turn.argv.includes('--auth-type'));
      assert.deepEqual([turn.code, turn.signal], [0, null]);
      assert.deepEqual(texts(turn.entries), ['env auth works']);

      const { OPENAI_API_KEY: _key, OPENAI_BASE_URL: _url, OPENAI_MODEL: _model, ...noAuth } = fresh;
      rmSync(join(freshHome, '.qwen'), { recursive: true, force: true });
      mkdirSync(join(freshHome, '.qwen'));
      const refused = await runTurn('no-auth', { prompt: '[mock:text] no credentials', env: noAuth });
      assert.equal(refused.code, 1);
      const result = received(refused).find((m) => m.type === 'result');
      assert.match(result?.error?.message ?? '', /No auth type is selected/);
      assert.ok(refused.entries.some((e) => e.type === 'error'), 'the refusal is an error entry');
    } finally {
      rmSync(freshHome, { recursive: true, force: true });
    }
  });
});

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
