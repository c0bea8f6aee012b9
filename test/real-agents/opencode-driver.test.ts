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
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MockModel } from '../../fixtures/mock-model/server.js';
import { opencodeExecutor } from '../../src/executors/opencode.js';
import { AGENT_EVENT_MS, AGENT_SUITE_MS, AGENT_TURN_MS, OUTLASTING_SLOW_DELTAS } from '../support/bounds.js';
import { waitUntil } from '../support/wait.js';
import { agentSessionOf, assertLogUnderstood, assistantTexts, jsonMessages, openDriverSandbox, recordedCapturesDir, recordingHooks, replayLog, runDriverTurn, toolCalls, waitForProcessGroupExit, withoutStderr, writeCapture, type DriverSandbox, type NormalizedTurn, type RawLine, type TurnRequest } from './support/driver-turn.js';
import type { InstalledAgent } from './support/install.js';
import { MOCK_MODEL } from './support/isolation.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

/** Where ORCHD_RECORD_CAPTURES=1 writes the raw logs, else null. */
const CAPTURES = recordedCapturesDir('opencode');

interface TurnOptions extends TurnRequest {
  /** The profile's model (`provider/model`). */
  model?: string | null;
}

interface Turn extends NormalizedTurn {
  /** The environment the launch spawned with. */
  env: Record<string, string>;
}

/** Replay a raw log (stdout and stdin; stderr is OpenCode's diagnostics) through a fresh normalizer. */
const normalize = (lines: RawLine[]) => replayLog(opencodeExecutor.createNormalizer(), withoutStderr(lines));

const sent = (turn: Turn) => jsonMessages(turn.lines, 'stdin');
const received = (turn: Turn) => jsonMessages(turn.lines, 'stdout');
const methodsSent = (turn: Turn) => sent(turn).filter((m) => m.method).map((m) => m.method as string);
const replyTo = (turn: Turn, method: string) => {
  const id = sent(turn).find((m) => m.method === method)?.id;
  return received(turn).find((m) => m.id === id && !m.method);
};

describe('real OpenCode over ACP (driver level)', { timeout: AGENT_SUITE_MS }, () => {
  let sandbox: DriverSandbox | undefined;
  let cli: InstalledAgent;
  let mock: MockModel;
  let home: string;
  let repo: string;
  let env: Record<string, string>;

  before(async () => {
    sandbox = await openDriverSandbox('opencode', { pathVariable: 'ORCHD_OPENCODE_PATH' });
    ({ cli, mock, home, repo, env } = sandbox);
  });

  after(() => sandbox?.close());

  /** One turn: prepare through the executor, spawn in its own process group, wire the driver, wait for the exit. */
  async function runTurn(name: string, options: TurnOptions): Promise<Turn> {
    const { hooks, asked, warnings } = recordingHooks(options.answer);
    const launch = opencodeExecutor.prepare(
      {
        cwd: repo,
        prompt: options.prompt,
        resumeAgentSessionId: options.resume ?? null,
        env: options.env ?? env,
        profile: { model: options.model ?? null, permissionMode: options.permissionMode ?? null, extraArgs: [], env: {} },
      },
      hooks,
    );
    const { lines, code, signal, ms, pid } = await runDriverTurn({ name: `opencode turn \`${name}\``, launch, cwd: repo, timeoutMs: AGENT_TURN_MS, processGroup: true, during: options.during });
    await waitForProcessGroupExit(pid, `opencode after \`${name}\``);
    if (CAPTURES) writeCapture(join(CAPTURES, `orchd-${name}.jsonl`), lines);
    return { lines, asked, warnings, argv: launch.argv, env: launch.env, code, signal, ms, ...normalize(lines) };
  }

  /** What every raw log must pass (stdout and stdin understood, tool calls ended, replay stable). */
  const checkLog = (turn: Turn) => assertLogUnderstood(turn, normalize);

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
    sessionId = agentSessionOf(turn.entries);
    assert.match(sessionId ?? '', /^ses_/);
    const [edit, ...others] = toolCalls(turn.entries);
    assert.deepEqual(others, []);
    assert.equal(edit?.status, 'succeeded');
    assert.equal(edit?.kind, 'edit');
    assert.equal(edit?.path, 'hello.txt');
    assert.equal(edit?.toolCallId, turn.asked[0]!.toolCallId);
    assert.deepEqual(assistantTexts(turn.entries), ['done']);
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
    assert.equal(agentSessionOf(turn.entries), sessionId);
    assert.deepEqual(toolCalls(turn.entries).map((t) => [t.path, t.status]), [['denied.txt', 'denied']]);
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
    assert.deepEqual(toolCalls(turn.entries).map((t) => [t.kind, t.status]), [['edit', 'succeeded']]);

    // isolation.ts allows bash in the config; the mode's `bash: ask` wins (OPENCODE_PERMISSION is merged over it).
    const shell = await runTurn('shell-allow', { prompt: '[mock:shell cmd="echo shell > shell.txt"] run a command' });
    assert.deepEqual([shell.code, shell.signal], [0, null]);
    assert.deepEqual(shell.asked.map((a) => [a.tool, a.title, a.input]), [['execute', 'echo shell > shell.txt', { command: 'echo shell > shell.txt' }]]);
    assert.equal(readFileSync(join(repo, 'shell.txt'), 'utf8'), 'shell\n');
    checkLog(shell);
    const [command] = toolCalls(shell.entries);
    assert.equal(command?.kind, 'command');
    assert.equal(command?.status, 'succeeded');
    assert.equal(command?.command, 'echo shell > shell.txt');
  });

  it('a cancel while the answer streams ends the turn (`stopReason: cancelled`) and the process exits by itself', async () => {
    assert.ok(sessionId);
    // The answer would stream for twice the turn's deadline: only the cancel can end the turn in time.
    const turn = await runTurn('resume-cancel', {
      prompt: `[mock:slow n=${OUTLASTING_SLOW_DELTAS} ms=100] stream slowly (cancel turn)`,
      resume: sessionId,
      async during(driver, lines) {
        await waitUntil(() => lines.some((l) => l.stream === 'stdout' && l.line.includes('slow3 ')), 'the answer to stream', AGENT_EVENT_MS);
        assert.equal(driver.interrupt(), true);
      },
    });
    assert.deepEqual([turn.code, turn.signal], [0, null]);
    assert.deepEqual(turn.warnings, []);
    assert.deepEqual(methodsSent(turn), ['initialize', 'session/resume', 'session/prompt', 'session/cancel']);
    assert.equal(replyTo(turn, 'session/prompt')?.result?.stopReason, 'cancelled');
    assert.ok(modelCallsFor('cancel turn').every((r) => r.aborted), 'the model request was cancelled');
    const history = JSON.stringify(modelCallsFor('cancel turn')[0]?.body ?? null);
    assert.ok(history.includes('first turn') && history.includes('second turn'), 'both earlier turns are in the history');

    checkLog(turn);
    const [text, ...more] = assistantTexts(turn.entries);
    assert.deepEqual(more, []);
    assert.match(text ?? '', /^slow0 slow1 slow2 slow3 /);
    assert.ok(!text!.includes(`slow${OUTLASTING_SLOW_DELTAS - 1} `), 'the stream was cut short');
    assert.ok(!turn.entries.some((e) => e.type === 'error'), 'a cancel is not an error');
  });

  it('a cancel with a permission request open answers it `cancelled`: nothing is written, the process exits', async () => {
    const turn = await runTurn('cancel-approval', {
      prompt: '[mock:edit-file path=pending.txt content=never] ask and wait',
      permissionMode: 'default',
      answer: (_ask, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('withdrawn')), { once: true })),
      async during(driver, lines) {
        await waitUntil(() => lines.some((l) => l.line.includes('"session/request_permission"')), 'the permission request', AGENT_EVENT_MS);
        assert.equal(driver.interrupt(), true);
      },
    });
    assert.deepEqual([turn.code, turn.signal], [0, null]);
    assert.equal(existsSync(join(repo, 'pending.txt')), false);
    assert.deepEqual(sent(turn).find((m) => m.result?.outcome)?.result, { outcome: { outcome: 'cancelled' } });
    assert.equal(replyTo(turn, 'session/prompt')?.result?.stopReason, 'cancelled');
    checkLog(turn);
    assert.deepEqual(toolCalls(turn.entries).map((t) => [t.kind, t.status]), [['edit', 'denied']]);
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
    assert.deepEqual(assistantTexts(turn.entries), ['other']);
    const [call] = modelCallsFor('which model');
    assert.equal((call?.body as { model?: string }).model, 'other-model');
    assert.notEqual('other-model', MOCK_MODEL);
  });
});
