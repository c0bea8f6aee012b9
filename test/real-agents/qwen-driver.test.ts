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
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MockModel } from '../../fixtures/mock-model/server.js';
import { qwenExecutor } from '../../src/executors/qwen.js';
import { AGENT_EVENT_MS, AGENT_SUITE_MS, AGENT_TURN_MS, OUTLASTING_SLOW_DELTAS } from '../support/bounds.js';
import { tempDir } from '../support/client.js';
import { waitUntil } from '../support/wait.js';
import { agentSessionOf, assertLogUnderstood, assistantTexts, jsonMessages, openDriverSandbox, recordedCapturesDir, recordingHooks, replayLog, runDriverTurn, toolCalls, waitForProcessGroupExit, withoutStderr, writeCapture, type DriverSandbox, type NormalizedTurn, type RawLine, type TurnRequest } from './support/driver-turn.js';
import type { InstalledAgent } from './support/install.js';
import { agentEnvironment } from './support/isolation.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

/** Where ORCHD_RECORD_CAPTURES=1 writes the raw logs, else null. */
const CAPTURES = recordedCapturesDir('qwen', 'orchd-stream-json');

/** Replay a raw log through a fresh normalizer: the final entries by id, in first-seen order. */
const normalize = (lines: RawLine[]) => replayLog(qwenExecutor.createNormalizer(), withoutStderr(lines));

const sent = (turn: NormalizedTurn) => jsonMessages(turn.lines, 'stdin');
const received = (turn: NormalizedTurn) => jsonMessages(turn.lines, 'stdout');

describe('real Qwen Code over stream-json with the control protocol (driver level)', { timeout: AGENT_SUITE_MS }, () => {
  let sandbox: DriverSandbox | undefined;
  let cli: InstalledAgent;
  let mock: MockModel;
  let home: string;
  let repo: string;
  let env: Record<string, string>;

  before(async () => {
    sandbox = await openDriverSandbox('qwen', { pathVariable: 'ORCHD_QWEN_PATH' });
    ({ cli, mock, home, repo, env } = sandbox);
  });

  after(() => sandbox?.close());

  /** One turn: prepare through the executor, spawn in its own process group, wire the driver, wait for the exit. */
  async function runTurn(name: string, options: TurnRequest): Promise<NormalizedTurn> {
    const { hooks, asked, warnings } = recordingHooks(options.answer);
    const launch = qwenExecutor.prepare(
      { cwd: repo, prompt: options.prompt, resumeAgentSessionId: options.resume ?? null, env: options.env ?? env, profile: { model: null, permissionMode: options.permissionMode ?? null, extraArgs: [], env: {} } },
      hooks,
    );
    const { lines, code, signal, ms, pid } = await runDriverTurn({ name: `qwen turn \`${name}\``, launch, cwd: repo, timeoutMs: AGENT_TURN_MS, processGroup: true, during: options.during });
    // Qwen relaunches itself as a child: the whole group must be gone, not just the process we spawned.
    await waitForProcessGroupExit(pid, `qwen after \`${name}\``);
    if (CAPTURES) writeCapture(join(CAPTURES, `${name}.jsonl`), lines);
    return { lines, asked, warnings, argv: launch.argv, code, signal, ms, ...normalize(lines) };
  }

  /** What every raw log must pass (stdout and stdin understood, tool calls ended, replay stable). */
  const checkLog = (turn: NormalizedTurn) => assertLogUnderstood(turn, normalize);

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
    sessionId = agentSessionOf(turn.entries);
    assert.match(sessionId ?? '', /^[0-9a-f-]{36}$/);
    const [edit, ...others] = toolCalls(turn.entries);
    assert.deepEqual(others, []);
    assert.equal(edit?.status, 'succeeded');
    assert.equal(edit?.kind, 'edit');
    assert.equal(edit?.name, 'write_file');
    assert.equal(edit?.path, join(repo, 'hello.txt'));
    assert.equal(edit?.toolCallId, turn.asked[0]!.toolCallId);
    assert.deepEqual(assistantTexts(turn.entries), ['done'], 'the streamed text and the final message are one entry');
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
    assert.equal(agentSessionOf(turn.entries), sessionId, 'the same session continues');
    const [denied, ...more] = toolCalls(turn.entries);
    assert.deepEqual(more, []);
    assert.deepEqual([denied?.name, denied?.status], ['write_file', 'denied']);
    assert.equal(denied?.output, '[Operation Cancelled] Reason: not this one', 'Qwen hands our reason to the model');
    assert.ok(assistantTexts(turn.entries).includes('done'), 'the model still answers after the denial');
  });

  it('turn 3 (no mode: `auto-edit`): an edit is not asked, a shell command is, and allowSession is accepted', async () => {
    const edit = await runTurn('auto-edit', { prompt: '[mock:edit-file path=auto.txt content=auto] write without asking' });
    assert.deepEqual([edit.code, edit.signal], [0, null]);
    assert.ok(edit.argv.includes('auto-edit'));
    assert.deepEqual(edit.asked, []);
    assert.equal(readFileSync(join(repo, 'auto.txt'), 'utf8'), 'auto');
    checkLog(edit);
    assert.deepEqual(toolCalls(edit.entries).map((t) => [t.name, t.status]), [['write_file', 'succeeded']]);

    const shell = await runTurn('shell-allow-session', { prompt: '[mock:shell cmd="echo shell > shell.txt"] run a command', answer: async () => ({ decision: 'allowSession' }) });
    assert.deepEqual([shell.code, shell.signal], [0, null]);
    assert.deepEqual(shell.asked.map((a) => [a.tool, a.title]), [['run_shell_command', 'run_shell_command: echo shell > shell.txt']]);
    assert.equal(readFileSync(join(repo, 'shell.txt'), 'utf8'), 'shell\n');
    checkLog(shell);
    const [command] = toolCalls(shell.entries);
    assert.equal(command?.kind, 'command');
    assert.equal(command?.status, 'succeeded');
    assert.equal(command?.command, 'echo shell > shell.txt');
  });

  it('an interrupt while the answer streams ends the process (exit 130) and its group, the answer cut short; the partial text is kept', async () => {
    // The answer would stream for twice the turn's deadline: only the interrupt can end the turn in time.
    const turn = await runTurn('interrupt', {
      prompt: `[mock:slow n=${OUTLASTING_SLOW_DELTAS} ms=100] stream slowly (interrupt turn)`,
      resume: sessionId,
      async during(driver, lines) {
        await waitUntil(() => lines.some((l) => l.stream === 'stdout' && l.line.includes('slow3 ')), 'the answer to stream', AGENT_EVENT_MS);
        assert.equal(driver.interrupt(), true);
      },
    });
    assert.deepEqual([turn.code, turn.signal], [130, null], 'Qwen 0.15 exits 130 after an interrupt, without a `result` line');
    assert.ok(modelCallsFor('interrupt turn').every((r) => r.aborted), 'the model request was cancelled');
    const ack = received(turn).find((m) => m.type === 'control_response' && String(m.response?.request_id).startsWith('orchd-interrupt-'));
    assert.equal(ack?.response.subtype, 'success');
    assert.ok(!received(turn).some((m) => m.type === 'result'));

    checkLog(turn);
    const [text, ...more] = assistantTexts(turn.entries);
    assert.deepEqual(more, []);
    assert.match(text ?? '', /^slow0 slow1 slow2 slow3 /);
    assert.ok(!text!.includes(`slow${OUTLASTING_SLOW_DELTAS - 1} `), 'the stream was cut short');
  });

  it('an interrupt with a permission request open withdraws it: nothing is written, the process exits', async () => {
    const turn = await runTurn('interrupt-approval', {
      prompt: '[mock:edit-file path=pending.txt content=never] ask and wait',
      permissionMode: 'default',
      answer: (_ask, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('withdrawn')), { once: true })),
      async during(driver, lines) {
        await waitUntil(() => lines.some((l) => l.line.includes('"can_use_tool"')), 'the permission request', AGENT_EVENT_MS);
        assert.equal(driver.interrupt(), true);
      },
    });
    assert.equal(turn.code, 130);
    assert.equal(existsSync(join(repo, 'pending.txt')), false);
    assert.equal(turn.asked.length, 1);
    assert.ok(!sent(turn).some((m) => m.type === 'control_response'), 'the interrupt replaces the answer');
    checkLog(turn);
    assert.deepEqual(toolCalls(turn.entries).map((t) => [t.name, t.status]), [['write_file', 'failed']], 'Qwen reports the withdrawn call as a failed tool result');
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
    assert.ok(assistantTexts(turn.entries).some((t) => /^\[API Error: 400 mock says no/.test(t)), JSON.stringify(turn.entries));
  });

  it('auth comes from the environment alone: no settings file and no --auth-type, only OPENAI_*', async () => {
    const freshHome = realpathSync(tempDir('orchd-qwen-fresh-home-'));
    try {
      const fresh: Record<string, string> = { ...agentEnvironment('qwen', { home: freshHome, mockUrl: mock.url }), ...cli.env, ORCHD_QWEN_PATH: cli.bin };
      rmSync(join(freshHome, '.qwen'), { recursive: true, force: true });
      const turn = await runTurn('env-auth', { prompt: '[mock:text reply="env auth works"] who am I', env: fresh });
      assert.ok(!turn.argv.includes('--auth-type'));
      assert.deepEqual([turn.code, turn.signal], [0, null]);
      assert.deepEqual(assistantTexts(turn.entries), ['env auth works']);

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
