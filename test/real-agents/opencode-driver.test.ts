// The real OpenCode CLI (`opencode acp`, the pinned version from support/install.ts) driven by orchd's OpenCode
// executor and the generic ACP driver against the mock model, no daemon in between: an edit asked for (mode `default`)
// and allowed; a follow-up that `session/resume`s the session in a new process and has its edit denied; the default
// mode (edits allowed, shell commands asked); a cancel while the answer streams; the API error path; the model chosen
// through the profile. Each raw log also goes through the ACP normalizer. These are the measurements behind the choice
// of ACP over `opencode run --format json` in src/executors/opencode.ts.
//
// The CLI installs on first use (test/real-agents/support/install.ts); each turn is 3-6 s, mostly start-up.
// ORCHD_RECORD_CAPTURES=1 also writes the raw logs to fixtures/captures/opencode/orchd-*.jsonl for the unit tests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { ApprovalAnswer } from '../../protocol/approvals.js';
import { startMockModel, type MockModel } from '../../fixtures/mock-model/server.js';
import { opencodeExecutor } from '../../src/executors/opencode.js';
import type { AgentDriver, ApprovalAsk } from '../../src/executors/types.js';
import type { EntryDraft, RawStream } from '../../src/normalizers/types.js';
import { tempDir } from '../support/client.js';
import { makeRepo } from '../support/repo.js';
import { waitUntil } from '../support/wait.js';
import { ensureAgentCli, type InstalledAgent } from './support/install.js';
import { agentEnvironment, MOCK_MODEL } from './support/isolation.js';

const record = process.env.ORCHD_RECORD_CAPTURES === '1';
const CAPTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'captures', 'opencode');
const TURN_TIMEOUT_MS = 90_000;

type Line = { line: string; stream: RawStream; ms: number };
type ToolEntry = Extract<EntryDraft, { type: 'toolCall' }>;

interface TurnOptions {
  prompt: string;
  resume?: string | null;
  permissionMode?: string | null;
  model?: string | null;
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
  env: Record<string, string>;
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  entries: EntryDraft[];
  unknown: number;
}

/** Replay a raw log (stdout and stdin; stderr is OpenCode's diagnostics) through a fresh normalizer. */
function normalize(lines: Line[]): { entries: EntryDraft[]; unknown: number } {
  const normalizer = opencodeExecutor.createNormalizer();
  const byId = new Map<string, EntryDraft>();
  for (const { line, stream } of lines) if (stream !== 'stderr') for (const entry of normalizer.push(line, stream)) byId.set(entry.id, entry);
  return { entries: [...byId.values()], unknown: normalizer.unknownLines };
}

const tools = (entries: EntryDraft[]) => entries.filter((e): e is ToolEntry => e.type === 'toolCall');
const sessionOf = (entries: EntryDraft[]) => entries.find((e): e is Extract<EntryDraft, { type: 'agentSession' }> => e.type === 'agentSession')?.agentSessionId;
const texts = (entries: EntryDraft[]) => entries.filter((e): e is Extract<EntryDraft, { type: 'assistantMessage' }> => e.type === 'assistantMessage').map((e) => e.text);
const sent = (turn: Turn) => turn.lines.filter((l) => l.stream === 'stdin').map((l) => JSON.parse(l.line) as Record<string, any>);
const received = (turn: Turn) => turn.lines.filter((l) => l.stream === 'stdout').map((l) => JSON.parse(l.line) as Record<string, any>);
const methodsSent = (turn: Turn) => sent(turn).filter((m) => m.method).map((m) => m.method as string);
const replyTo = (turn: Turn, method: string) => {
  const id = sent(turn).find((m) => m.method === method)?.id;
  return received(turn).find((m) => m.id === id && !m.method);
};

describe('real OpenCode over ACP (driver level)', { timeout: 600_000 }, () => {
  let cli: InstalledAgent;
  let mock: MockModel;
  let home: string;
  let repo: string;
  let env: Record<string, string>;

  before(async () => {
    cli = await ensureAgentCli('opencode');
    mock = await startMockModel();
    home = realpathSync(tempDir('orchd-opencode-home-'));
    repo = realpathSync(makeRepo({ 'README.md': '# app\n' }));
    env = { ...agentEnvironment('opencode', { home, mockUrl: mock.url }), ...cli.env, ORCHD_OPENCODE_PATH: cli.bin };
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
    const launch = opencodeExecutor.prepare(
      {
        cwd: repo,
        prompt: options.prompt,
        resumeAgentSessionId: options.resume ?? null,
        env: options.env ?? env,
        profile: { model: options.model ?? null, permissionMode: options.permissionMode ?? null, extraArgs: [], env: {} },
      },
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
        reject(new Error(`opencode turn \`${name}\` did not exit within ${TURN_TIMEOUT_MS} ms; last lines:\n${lines.slice(-8).map((l) => `${l.stream}: ${l.line.slice(0, 300)}`).join('\n')}`));
      }, TURN_TIMEOUT_MS);
    });
    const { code, signal } = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    await stdoutClosed;
    const ms = since();
    await waitUntil(() => !groupAlive(child.pid!), `opencode's process group ${child.pid} to be gone after \`${name}\``, 5000);
    if (record) {
      const dir = (stream: RawStream) => (stream === 'stdin' ? 'in' : 'out');
      writeFileSync(join(CAPTURES, `orchd-${name}.jsonl`), lines.filter((l) => l.stream !== 'stderr').map((l) => `${JSON.stringify({ dir: dir(l.stream), line: l.line, ms: l.ms })}\n`).join(''));
    }
    return { lines, asked, warnings, argv: launch.argv, env: launch.env, code, signal, ms, ...normalize(lines) };
  }

  /** What every raw log must pass: each stdout and stdin line understood, tool calls ended, replay stable. */
  function checkLog(turn: Turn): void {
    assert.equal(turn.unknown, 0, `unknown lines: ${turn.entries.filter((e) => e.type === 'raw').map((e) => e.type === 'raw' && e.line.slice(0, 200)).join('\n')}`);
    assert.deepEqual(normalize(turn.lines).entries, turn.entries, 'replay yields the same entries');
    for (const call of tools(turn.entries)) assert.ok(['succeeded', 'failed', 'denied'].includes(call.status), `tool call ${call.toolCallId} (${call.name}) ends ${call.status}`);
  }

  /** The model calls of a turn, without OpenCode's title request. */
  const modelCallsFor = (marker: string) => mock.requests.filter((r) => r.api === 'chat' && !r.helper && JSON.stringify(r.body ?? null).includes(marker));

  let sessionId: string | undefined;

  it('detects the installed CLI and its version, through ORCHD_OPENCODE_PATH or PATH', async () => {
    const found = await opencodeExecutor.detect({ PATH: cli.env.PATH!, HOME: home });
    assert.equal(found.available, true, found.hint ?? '');
    assert.equal(found.version, cli.version);
    const overridden = await opencodeExecutor.detect({ PATH: '/nonexistent', HOME: home, ORCHD_OPENCODE_PATH: cli.bin });
    assert.equal(overridden.path, cli.bin);
    const missing = await opencodeExecutor.detect({ PATH: '/nonexistent' });
    assert.equal(missing.available, false);
    assert.match(missing.hint ?? '', /npm install -g opencode-ai/);
  });

  it('turn 1 (mode `default`): an edit asked for, allowed and written; session id, paired tool call, text and usage in the entries', async () => {
    const turn = await runTurn('edit-allow', { prompt: '[mock:edit-file path=hello.txt content=hi] create hello.txt (first turn)', permissionMode: 'default' });
    assert.deepEqual([turn.code, turn.signal], [0, null], 'OpenCode exits by itself once stdin closes');
    assert.deepEqual(turn.argv, [cli.bin, 'acp']);
    assert.deepEqual(JSON.parse(turn.env.OPENCODE_PERMISSION!), { edit: 'ask', bash: 'ask', webfetch: 'ask' });
    assert.deepEqual(turn.warnings, []);
    assert.equal(readFileSync(join(repo, 'hello.txt'), 'utf8'), 'hi');
    assert.deepEqual(methodsSent(turn), ['initialize', 'session/new', 'session/prompt']);
    assert.equal(turn.asked.length, 1);
    assert.equal(turn.asked[0]!.tool, 'edit');
    assert.equal(turn.asked[0]!.title, join(repo, 'hello.txt'));
    assert.deepEqual(turn.asked[0]!.options, ['allowOnce', 'allowSession', 'deny']);
    assert.deepEqual(sent(turn).find((m) => m.result?.outcome)?.result, { outcome: { outcome: 'selected', optionId: 'once' } });
    // OpenCode 1.18 asks the client to write the file although the client said it cannot; on "method not found" it
    // writes the file itself.
    assert.ok(received(turn).some((m) => m.method === 'fs/write_text_file'));

    checkLog(turn);
    sessionId = sessionOf(turn.entries);
    assert.match(sessionId ?? '', /^ses_/);
    const [edit, ...others] = tools(turn.entries);
    assert.deepEqual(others, []);
    assert.equal(edit?.status, 'succeeded');
    assert.equal(edit?.kind, 'edit');
    assert.equal(edit?.path, 'hello.txt');
    assert.equal(edit?.toolCallId, turn.asked[0]!.toolCallId);
    assert.deepEqual(texts(turn.entries), ['done']);
    const usage = turn.entries.find((e) => e.type === 'usage');
    assert.ok(usage?.type === 'usage' && (usage.inputTokens ?? 0) > 0 && (usage.outputTokens ?? 0) > 0, JSON.stringify(usage));
    const system = turn.entries.find((e) => e.type === 'systemInfo');
    assert.ok(system?.type === 'systemInfo' && system.agentVersion === cli.version && system.cwd === repo);
  });

  it('turn 2: a follow-up resumes the session in a new process (`session/resume`) and has its edit denied', async () => {
    assert.ok(sessionId, 'turn 1 gave a session id');
    const turn = await runTurn('resume-deny', {
      prompt: '[mock:edit-file path=denied.txt content=no] now create denied.txt (second turn)',
      resume: sessionId,
      permissionMode: 'default',
      answer: async () => ({ decision: 'deny', reason: 'not this one' }),
    });
    assert.deepEqual([turn.code, turn.signal], [0, null]);
    assert.deepEqual(turn.warnings, []);
    assert.deepEqual(methodsSent(turn), ['initialize', 'session/resume', 'session/prompt'], 'resume is advertised and works: no load, no replay');
    assert.equal(existsSync(join(repo, 'denied.txt')), false);
    assert.deepEqual(sent(turn).find((m) => m.result?.outcome)?.result, { outcome: { outcome: 'selected', optionId: 'reject' } });
    assert.ok(JSON.stringify(modelCallsFor('second turn')[0]?.body ?? null).includes('first turn'), 'the model got the first turn back');

    checkLog(turn);
    assert.equal(sessionOf(turn.entries), sessionId);
    assert.deepEqual(tools(turn.entries).map((t) => [t.path, t.status]), [['denied.txt', 'denied']]);
    // OpenCode ends the turn on a rejected permission: the model is not called again.
    assert.equal(modelCallsFor('second turn').length, 1);
  });

  it('turn 3 (no mode: `acceptEdits`): an edit is not asked, a shell command is', async () => {
    const turn = await runTurn('accept-edits', { prompt: '[mock:edit-file path=auto.txt content=auto] write without asking' });
    assert.deepEqual([turn.code, turn.signal], [0, null]);
    assert.deepEqual(JSON.parse(turn.env.OPENCODE_PERMISSION!), { edit: 'allow', bash: 'ask', webfetch: 'ask' });
    assert.deepEqual(turn.asked, []);
    assert.equal(readFileSync(join(repo, 'auto.txt'), 'utf8'), 'auto');
    checkLog(turn);
    assert.deepEqual(tools(turn.entries).map((t) => [t.kind, t.status]), [['edit', 'succeeded']]);

    // isolation.ts allows bash in the config; the mode's `bash: ask` wins (OPENCODE_PERMISSION is merged over it).
    const shell = await runTurn('shell-allow', { prompt: '[mock:shell cmd="echo shell > shell.txt"] run a command' });
    assert.deepEqual([shell.code, shell.signal], [0, null]);
    assert.deepEqual(shell.asked.map((a) => [a.tool, a.title, a.input]), [['execute', 'echo shell > shell.txt', { command: 'echo shell > shell.txt' }]]);
    assert.equal(readFileSync(join(repo, 'shell.txt'), 'utf8'), 'shell\n');
    checkLog(shell);
    const [command] = tools(shell.entries);
    assert.equal(command?.kind, 'command');
    assert.equal(command?.status, 'succeeded');
    assert.equal(command?.command, 'echo shell > shell.txt');
  });

  it('a cancel while the answer streams ends the turn (`stopReason: cancelled`) and the process exits by itself', async () => {
    assert.ok(sessionId);
    let cancelledAt = 0;
    const turn = await runTurn('resume-cancel', {
      prompt: '[mock:slow n=300 ms=100] stream slowly (cancel turn)',
      resume: sessionId,
      async during(driver, lines) {
        await waitUntil(() => lines.some((l) => l.stream === 'stdout' && l.line.includes('slow3 ')), 'the answer to stream', 60_000);
        cancelledAt = lines.at(-1)!.ms;
        assert.equal(driver.interrupt(), true);
      },
    });
    assert.deepEqual([turn.code, turn.signal], [0, null]);
    assert.deepEqual(turn.warnings, []);
    assert.deepEqual(methodsSent(turn), ['initialize', 'session/resume', 'session/prompt', 'session/cancel']);
    assert.equal(replyTo(turn, 'session/prompt')?.result?.stopReason, 'cancelled');
    assert.ok(turn.ms - cancelledAt < 5000, `exited ${turn.ms - cancelledAt} ms after the cancel`);
    assert.ok(modelCallsFor('cancel turn').every((r) => r.aborted), 'the model request was cancelled');
    const history = JSON.stringify(modelCallsFor('cancel turn')[0]?.body ?? null);
    assert.ok(history.includes('first turn') && history.includes('second turn'), 'both earlier turns are in the history');

    checkLog(turn);
    const [text, ...more] = texts(turn.entries);
    assert.deepEqual(more, []);
    assert.match(text ?? '', /^slow0 slow1 slow2 slow3 /);
    assert.ok(!text!.includes('slow299'), 'the stream was cut short');
    assert.ok(!turn.entries.some((e) => e.type === 'error'), 'a cancel is not an error');
  });

  it('a cancel with a permission request open answers it `cancelled`: nothing is written, the process exits', async () => {
    const turn = await runTurn('cancel-approval', {
      prompt: '[mock:edit-file path=pending.txt content=never] ask and wait',
      permissionMode: 'default',
      answer: (_ask, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('withdrawn')), { once: true })),
      async during(driver, lines) {
        await waitUntil(() => lines.some((l) => l.line.includes('"session/request_permission"')), 'the permission request', 60_000);
        assert.equal(driver.interrupt(), true);
      },
    });
    assert.deepEqual([turn.code, turn.signal], [0, null]);
    assert.equal(existsSync(join(repo, 'pending.txt')), false);
    assert.deepEqual(sent(turn).find((m) => m.result?.outcome)?.result, { outcome: { outcome: 'cancelled' } });
    assert.equal(replyTo(turn, 'session/prompt')?.result?.stopReason, 'cancelled');
    checkLog(turn);
    assert.deepEqual(tools(turn.entries).map((t) => [t.kind, t.status]), [['edit', 'denied']]);
  });

  it('a model API error ends the turn with an error entry, and the process still exits by itself', async () => {
    const turn = await runTurn('api-error', { prompt: '[mock:error status=400 message="mock says no"] fail please' });
    assert.deepEqual([turn.code, turn.signal], [0, null]);
    assert.equal(replyTo(turn, 'session/prompt')?.error?.code, -32603);
    assert.match(turn.warnings[0] ?? '', /mock says no/);
    checkLog(turn);
    const errors = turn.entries.filter((e) => e.type === 'error');
    assert.equal(errors.length, 1, JSON.stringify(turn.entries));
    assert.match(errors[0]!.type === 'error' ? errors[0]!.message : '', /mock says no/);
  });

  it('the profile’s model goes into the inline config, merged over the one the environment carries', async () => {
    const config = JSON.parse(env.OPENCODE_CONFIG_CONTENT!) as { provider: { mock: { models: Record<string, unknown> } } };
    config.provider.mock.models['other-model'] = { name: 'Other Model', tool_call: true };
    const turn = await runTurn('model', { prompt: '[mock:text reply="other"] which model', model: 'mock/other-model', env: { ...env, OPENCODE_CONFIG_CONTENT: JSON.stringify(config) } });
    assert.deepEqual([turn.code, turn.signal], [0, null]);
    assert.deepEqual(texts(turn.entries), ['other']);
    const [call] = modelCallsFor('which model');
    assert.equal((call?.body as { model?: string }).model, 'other-model');
    assert.notEqual('other-model', MOCK_MODEL);
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
