// The real Gemini CLI (`gemini --acp`, the pinned version from support/install.ts) driven by orchd's Gemini executor
// and ACP driver against the mock model: an allowed edit, a follow-up that `session/load`s the session in a new
// process and has its edit denied, a second follow-up cancelled mid-stream, and the normalizer's entries for each.
// Also pins the two Gemini 0.61 quirks src/executors/gemini.ts works around (a load in the session's creation minute
// wipes it; Gemini's startup cleanup deletes a session after its first follow-up), so the tests say when the
// workarounds can go.
//
// The CLI installs on first use (test/real-agents/support/install.ts). About a minute at most: the first follow-up may
// wait for the next clock minute. ORCHD_RECORD_CAPTURES=1 also writes the raw logs to
// fixtures/captures/gemini/orchd-*.jsonl for the normalizer's unit test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startMockModel, type MockModel } from '../../fixtures/mock-model/server.js';
import { createAcpDriver } from '../../src/executors/acp/driver.js';
import { geminiExecutor, geminiMinuteStamp, geminiSessionFileAt, waitOutSessionMinute } from '../../src/executors/gemini.js';
import type { AgentDriver, AgentLaunch, ApprovalAsk } from '../../src/executors/types.js';
import { createAcpNormalizer } from '../../src/normalizers/acp.js';
import type { EntryDraft } from '../../src/normalizers/types.js';
import { AGENT_SUITE_MS, AGENT_TURN_MS, OUTLASTING_SLOW_DELTAS } from '../support/bounds.js';
import { agentSessionOf, jsonMessages, recordedCapturesDir, recordingHooks, replayLog, runDriverTurn, toolCalls, withoutStderr, writeCapture, type AnswerApproval, type RawLine } from './support/driver-turn.js';
import { ensureAgentCli, type InstalledAgent } from './support/install.js';
import { agentEnvironment } from './support/isolation.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

/** Where ORCHD_RECORD_CAPTURES=1 writes the raw logs, else null. */
const CAPTURES = recordedCapturesDir('gemini');
const PROFILE = { model: null, permissionMode: null, extraArgs: [], env: {} };
/** The preload that gives a CLI a controlled clock (the same-minute quirk test). */
const FAKE_CLOCK = pathToFileURL(join(import.meta.dirname, 'support', 'fake-clock.mjs')).href;

/** A git repository with one commit. */
function makeRepo(path: string): string {
  mkdirSync(path);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: path, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(path, 'README.md'), '# repo\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return path;
}

interface Turn {
  lines: RawLine[];
  exit: { code: number | null; signal: NodeJS.Signals | null };
  asks: ApprovalAsk[];
  warnings: string[];
  /** From spawn to exit. */
  ms: number;
  /** Wall clock at spawn. */
  startedAt: number;
}

interface TurnOptions {
  prompt: string;
  /** The repository to run in (the main one by default). */
  cwd?: string;
  resume?: string | null;
  decide?: AnswerApproval;
  onStdout?: (line: string, driver: AgentDriver) => void;
  /** Build the launch another way (the quirk test drives without the executor's wait). */
  launch?: (hooks: Parameters<typeof geminiExecutor.prepare>[1]) => AgentLaunch;
}

describe('Gemini CLI over ACP (real CLI, mock model)', { timeout: AGENT_SUITE_MS }, () => {
  let cli: InstalledAgent;
  let mock: MockModel;
  let root: string;
  let repo: string;
  /** A second project for the control session that runs without the cleanup workaround (Gemini's cleanup is per project). */
  let control: string;
  let env: Record<string, string>;
  /** Gemini's HOME (its session files are under `.gemini/tmp/`). */
  let home: string;

  before(async () => {
    cli = await ensureAgentCli('gemini');
    mock = await startMockModel();
    root = mkdtempSync(join(tmpdir(), 'orchd-gemini-acp-'));
    repo = makeRepo(join(root, 'repo'));
    control = makeRepo(join(root, 'control'));
    home = join(root, 'home');
    mkdirSync(home);
    env = { ...agentEnvironment('gemini', { home, mockUrl: mock.url }), ...cli.env, ORCHD_GEMINI_PATH: cli.bin };
  });

  after(async () => {
    await mock?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** One turn: the executor's launch spawned for real, its driver fed stdout, the raw log collected. */
  async function runTurn(options: TurnOptions): Promise<Turn> {
    const { hooks, asked, warnings } = recordingHooks(options.decide);
    const cwd = options.cwd ?? repo;
    const launch = options.launch?.(hooks) ?? geminiExecutor.prepare({ cwd, prompt: options.prompt, resumeAgentSessionId: options.resume ?? null, env, profile: PROFILE }, hooks);
    const turn = await runDriverTurn({ name: `Gemini turn \`${options.prompt}\``, launch, cwd, timeoutMs: AGENT_TURN_MS, onStdout: options.onStdout });
    return { lines: turn.lines, exit: { code: turn.code, signal: turn.signal }, asks: asked, warnings, ms: turn.ms, startedAt: turn.startedAt };
  }

  /** The normalizer over stdout and stdin (stderr is Gemini's diagnostics and always raw). */
  const normalize = (turn: Turn) => replayLog(createAcpNormalizer(), withoutStderr(turn.lines));

  function save(name: string, turn: Turn): void {
    if (CAPTURES) writeCapture(join(CAPTURES, `orchd-${name}.jsonl`), turn.lines);
  }

  const sent = (turn: Turn) => jsonMessages(turn.lines, 'stdin');
  const received = (turn: Turn) => turn.lines.filter((l) => l.stream === 'stdout' && l.line.startsWith('{')).map((l) => JSON.parse(l.line) as Record<string, any>);

  let sessionId: string | undefined;
  /** The clock minute turn 1 created the session in, as Gemini stamps its session file. */
  let createdStamp: string | undefined;
  /** The control session: same steps, without the leftover removal. */
  let controlSession: string | undefined;
  /** Wall clock of a raw line. */
  const wallClock = (turn: Turn, line: RawLine | undefined) => new Date(turn.startedAt + (line?.ms ?? 0));
  /** The Gemini launch without the leftover removal before spawn (so Gemini's startup cleanup strikes), but with
   * the executor's wait before a load. */
  const withCleanup = (prompt: string, resume: string | null) => (hooks: Parameters<typeof geminiExecutor.prepare>[1]): AgentLaunch => {
    const launchEnv = { ...env, GEMINI_CLI_TRUST_WORKSPACE: 'true' };
    const beforeLoad = (id: string, signal: AbortSignal) => waitOutSessionMinute(id, { env: launchEnv, signal });
    return { argv: [cli.bin, '--acp'], env: launchEnv, driver: createAcpDriver({ cwd: control, prompt, resumeSessionId: resume, hooks, beforeLoad }) };
  };
  /** The user texts in the conversation (`contents`) of the model calls made for a prompt containing `marker`. */
  const historyOf = (marker: string) =>
    mock.requests
      .filter((r) => r.api === 'gemini' && r.reply !== 'json' && JSON.stringify(r.body).includes(marker))
      .map((r) => JSON.stringify((r.body as { contents?: unknown }).contents ?? []));
  const methodsSent = (turn: Turn) => sent(turn).filter((m) => m.method).map((m) => m.method as string);

  test('turn 1: an edit asked for, allowed, written; the session id and a paired tool call in the entries', async () => {
    const turn = await runTurn({ prompt: '[mock:edit-file path=hello.txt content=hi] create hello.txt containing hi (first turn)' });
    save('edit-allow', turn);
    assert.deepEqual(turn.exit, { code: 0, signal: null }, 'Gemini exits by itself once stdin closes');
    assert.deepEqual(turn.warnings, []);
    assert.equal(readFileSync(join(repo, 'hello.txt'), 'utf8'), 'hi');

    assert.equal(turn.asks.length, 1);
    assert.equal(turn.asks[0]!.tool, 'edit');
    assert.equal(turn.asks[0]!.title, 'Writing to hello.txt');
    assert.deepEqual(turn.asks[0]!.options, ['allowOnce', 'allowSession', 'deny']);
    assert.deepEqual(turn.asks[0]!.input, { path: join(repo, 'hello.txt') });
    const answer = sent(turn).find((m) => m.result?.outcome);
    assert.deepEqual(answer?.result, { outcome: { outcome: 'selected', optionId: 'proceed_once' } });

    const { entries, unknownLines } = normalize(turn);
    assert.equal(unknownLines, 0);
    const [edit, ...others] = toolCalls(entries);
    assert.deepEqual(others, []);
    assert.equal(edit?.status, 'succeeded');
    assert.equal(edit?.kind, 'edit');
    assert.equal(edit?.path, 'hello.txt');
    assert.equal(edit?.toolCallId, turn.asks[0]!.toolCallId);
    assert.equal(edit?.diff, '--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1,1 @@\n+hi\n');
    assert.ok(entries.some((e) => e.type === 'assistantMessage' && e.text === 'done'));
    const system = entries.find((e) => e.type === 'systemInfo');
    assert.equal(system?.type === 'systemInfo' && system.agentVersion, cli.version);
    assert.ok(entries.some((e) => e.type === 'usage' && (e.inputTokens ?? 0) > 0));
    sessionId = agentSessionOf(entries);
    assert.match(sessionId ?? '', /^[0-9a-f-]{36}$/);
    createdStamp = geminiMinuteStamp(wallClock(turn, turn.lines.find((l) => l.stream === 'stdout' && l.line.includes(`"sessionId":"${sessionId}","modes"`))));

    const controlTurn = await runTurn({ cwd: control, prompt: '[mock:text reply="control one"] control first turn', launch: withCleanup('[mock:text reply="control one"] control first turn', null) });
    controlSession = agentSessionOf(normalize(controlTurn).entries);
    assert.ok(controlSession);
  });

  test('turn 2: a follow-up loads the session in a new process (after the minute it was created in) and has its edit denied', async () => {
    assert.ok(sessionId, 'turn 1 gave a session id');
    const turn = await runTurn({ prompt: '[mock:edit-file path=denied.txt content=no] now create denied.txt (second turn)', resume: sessionId, decide: async () => ({ decision: 'deny', reason: 'not this one' }) });
    save('load-deny', turn);
    assert.deepEqual(turn.exit, { code: 0, signal: null });
    assert.deepEqual(turn.warnings, []);
    assert.equal(existsSync(join(repo, 'denied.txt')), false);
    assert.deepEqual(methodsSent(turn), ['initialize', 'session/load', 'session/prompt']);
    const loadSent = turn.lines.find((l) => l.stream === 'stdin' && l.line.includes('"session/load"'));
    assert.notEqual(geminiMinuteStamp(wallClock(turn, loadSent)), createdStamp, 'the load went out after the minute the session was created in');
    assert.deepEqual(sent(turn).find((m) => m.result?.outcome)?.result, { outcome: { outcome: 'selected', optionId: 'cancel' } });
    assert.ok(historyOf('second turn')[0]?.includes('first turn'), 'the model got the first turn from the loaded history');

    const { entries, unknownLines } = normalize(turn);
    assert.equal(unknownLines, 0);
    assert.deepEqual(toolCalls(entries).map((t) => [t.path, t.status]), [['denied.txt', 'denied']], 'only this turn’s tool call; the replay made no entries');
    assert.equal(agentSessionOf(entries), sessionId);
    // The replay was drained before the prompt went out.
    const promptAt = turn.lines.findIndex((l) => l.stream === 'stdin' && l.line.includes('"session/prompt"'));
    assert.ok(turn.lines.slice(0, promptAt).some((l) => l.line.includes('user_message_chunk')), 'the load replayed history');
    assert.ok(!turn.lines.slice(promptAt).some((l) => l.line.includes('user_message_chunk')), 'no replayed history after the prompt line');

    const controlTurn = await runTurn({ cwd: control, prompt: '[mock:text reply="control two"] control second turn', resume: controlSession, launch: withCleanup('[mock:text reply="control two"] control second turn', controlSession!) });
    assert.deepEqual(controlTurn.warnings, [], 'the first follow-up works without the leftover removal');
  });

  test('turn 3: a second follow-up loads again, is cancelled mid-stream, and the process exits by itself', async () => {
    assert.ok(sessionId);
    let interrupted: boolean | null = null;
    const turn = await runTurn({
      prompt: `[mock:slow n=${OUTLASTING_SLOW_DELTAS} ms=100] stream slowly (third turn)`,
      resume: sessionId,
      onStdout(line, driver) {
        if (interrupted === null && line.includes('"agent_message_chunk"') && line.includes('slow')) interrupted = driver.interrupt();
      },
    });
    save('load-cancel', turn);
    assert.equal(interrupted, true);
    assert.deepEqual(turn.exit, { code: 0, signal: null });
    assert.deepEqual(turn.warnings, [], 'the session survived Gemini’s startup cleanup');
    assert.deepEqual(methodsSent(turn), ['initialize', 'session/load', 'session/prompt', 'session/cancel']);
    // The answer would stream for twice the turn's deadline: the turn ending in time is the cancel's doing.
    assert.ok(turn.lines.some((l) => l.stream === 'stdin' && l.line.includes('"session/cancel"')));
    const promptId = sent(turn).find((m) => m.method === 'session/prompt')?.id;
    assert.deepEqual(received(turn).find((m) => m.id === promptId && !m.method)?.result, { stopReason: 'cancelled' });
    const history = historyOf('third turn')[0] ?? '';
    assert.ok(history.includes('first turn') && history.includes('second turn'), 'both earlier turns are in the history');

    const { entries, unknownLines } = normalize(turn);
    assert.equal(unknownLines, 0);
    assert.equal(agentSessionOf(entries), sessionId);
    const text = entries.filter((e) => e.type === 'assistantMessage').map((e) => (e as { text: string }).text);
    assert.equal(text.length, 1);
    assert.match(text[0]!, /^slow0 /);
    assert.ok(!text[0]!.includes(`slow${OUTLASTING_SLOW_DELTAS - 1} `), 'the stream was cut short');
  });

  test('a model API error ends the turn with an error entry, and the agent still exits by itself', async () => {
    const turn = await runTurn({ prompt: '[mock:error status=400 message="mock says no"] fail please' });
    save('api-error', turn);
    assert.deepEqual(turn.exit, { code: 0, signal: null });
    const { entries, unknownLines } = normalize(turn);
    assert.equal(unknownLines, 0);
    const errors = entries.filter((e): e is Extract<EntryDraft, { type: 'error' }> => e.type === 'error');
    assert.equal(errors.length, 1, JSON.stringify(entries));
    assert.match(errors[0]!.message, /mock says no/);
  });

  test('pinned quirk: without the leftover removal, Gemini’s startup cleanup deletes the session before a second follow-up', async () => {
    assert.ok(controlSession);
    const turn = await runTurn({ cwd: control, prompt: '[mock:text reply="control three"] control third turn', resume: controlSession, launch: withCleanup('[mock:text reply="control three"] control third turn', controlSession) });
    const loadId = sent(turn).find((m) => m.method === 'session/load')?.id;
    const loadAnswer = received(turn).find((m) => m.id === loadId && !m.method);
    assert.match(String(loadAnswer?.error?.data?.details ?? loadAnswer?.error?.message), /No previous sessions found/, 'if this fails, Gemini no longer deletes the session and removeLoadLeftovers in src/executors/gemini.ts may go');
    assert.match(turn.warnings[0] ?? '', /starting a new one/);
  });

  test('pinned quirk: a session/load in the minute the session was created wipes its history', async () => {
    // Both Gemini processes run on a controlled clock (support/fake-clock.mjs) that starts at the same minute and runs
    // at a twentieth of real time, so the session is created and loaded in one clock minute however long start-up
    // takes on a busy machine: the quirk's condition is constructed, not waited for. The minute is ten minutes back, so
    // a file stamped with it can only come from the controlled clock.
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const clockEnv = { ...env, NODE_OPTIONS: `--import=${FAKE_CLOCK}`, ORCHD_FAKE_CLOCK_START_MS: String(minute), ORCHD_FAKE_CLOCK_RATE: '0.05' };
    const firstPrompt = '[mock:text reply="quirk one"] quirk turn one';
    const first = await runTurn({ prompt: firstPrompt, launch: (hooks) => geminiExecutor.prepare({ cwd: repo, prompt: firstPrompt, resumeAgentSessionId: null, env: clockEnv, profile: PROFILE }, hooks) });
    const quirkSession = agentSessionOf(normalize(first).entries);
    assert.ok(quirkSession);
    assert.ok(geminiSessionFileAt(home, quirkSession, geminiMinuteStamp(new Date(minute))), 'Gemini stamped the session file with the controlled clock’s minute');
    const prompt = '[mock:text reply="quirk two"] quirk turn two';
    const noWait = await runTurn({
      prompt,
      launch: (hooks) => {
        const launch = geminiExecutor.prepare({ cwd: repo, prompt, resumeAgentSessionId: quirkSession, env: clockEnv, profile: PROFILE }, hooks);
        // The same command line and environment, driven without the executor's wait before session/load.
        return { ...launch, driver: createAcpDriver({ cwd: repo, prompt, resumeSessionId: quirkSession, hooks }) };
      },
    });
    const loadId = sent(noWait).find((m) => m.method === 'session/load')?.id;
    const loadAnswer = received(noWait).find((m) => m.id === loadId && !m.method);
    assert.match(String(loadAnswer?.error?.data?.details ?? loadAnswer?.error?.message), /No previous sessions found/, 'if this fails, Gemini no longer loses a same-minute session and waitOutSessionMinute in src/executors/gemini.ts may go');
    assert.match(noWait.warnings[0] ?? '', /starting a new one/);
  });
});
