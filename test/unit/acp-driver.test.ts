// The ACP driver against a scripted ACP agent (fixtures/acp-agent) spawned as a real process: the whole turn over
// real pipes, the raw log it leaves (stdout and the recorded stdin), and what the ACP normalizer makes of that log.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, mock, test } from 'node:test';
import type { ApprovalAnswer } from '../../protocol/approvals.js';
import { approvalOptions, createAcpDriver, permissionOutcome, type AcpDriverOptions } from '../../src/executors/acp/driver.js';
import { ACP_PROTOCOL, acpCommandExecutor } from '../../src/executors/acp/executor.js';
import { geminiExecutor, geminiMinuteStamp, removeLoadLeftovers, waitOutSessionMinute } from '../../src/executors/gemini.js';
import type { AgentDriver, ApprovalAsk } from '../../src/executors/types.js';
import { createAcpNormalizer } from '../../src/normalizers/acp.js';
import { CHAIN_MS } from '../support/bounds.js';
import { agentSessionOf, jsonMessages, recordingHooks, replayLog, runDriverTurn, toolCalls, withoutStderr, type AnswerApproval, type RawLine } from '../real-agents/support/driver-turn.js';

const AGENT = join(import.meta.dirname, '..', '..', 'fixtures', 'acp-agent', 'acp-agent.mjs');
/** Deltas of 20 ms in a `[slow]` answer that outlasts a turn's deadline twice over: only a cancel ends it in time. */
const OUTLASTING_SLOW_DELTAS = Math.ceil((2 * CHAIN_MS) / 20);

const scratch = mkdtempSync(join(tmpdir(), 'orchd-acp-driver-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshFolder = () => mkdtempSync(join(scratch, `cwd-${++folders}-`));

interface TurnOptions {
  cwd: string;
  prompt: string;
  resume?: string | null;
  env?: Record<string, string>;
  decide?: AnswerApproval;
  /** Called for every stdout line after the driver saw it. */
  onStdout?: (line: string, driver: AgentDriver) => void;
  driver?: Partial<AcpDriverOptions>;
}

interface Turn {
  lines: RawLine[];
  exit: { code: number | null; signal: NodeJS.Signals | null };
  asks: ApprovalAsk[];
  warnings: string[];
}

/** Spawn the scripted agent, drive one turn, and collect the raw log; fails naming the prompt after a timeout. */
async function runTurn(options: TurnOptions): Promise<Turn> {
  const { hooks, asked, warnings } = recordingHooks(options.decide);
  const driver = createAcpDriver({ cwd: options.cwd, prompt: options.prompt, resumeSessionId: options.resume ?? null, hooks, ...options.driver });
  const launch = { argv: [process.execPath, AGENT], env: { ...(process.env as Record<string, string>), ...options.env }, driver };
  const turn = await runDriverTurn({ name: `Turn \`${options.prompt}\``, launch, cwd: options.cwd, timeoutMs: CHAIN_MS, onStdout: options.onStdout });
  return { lines: turn.lines, exit: { code: turn.code, signal: turn.signal }, asks: asked, warnings };
}

/** Feed a raw log (the agent's stderr left out) through a fresh normalizer: the final state of every entry in order of first appearance. */
const normalize = (lines: RawLine[]) => replayLog(createAcpNormalizer(), withoutStderr(lines));

const sessionOf = (turn: Turn) => agentSessionOf(normalize(turn.lines).entries);

describe('ACP permission options', () => {
  const gemini = [
    { optionId: 'proceed_always', name: 'Allow for this session', kind: 'allow_always' as const },
    { optionId: 'proceed_once', name: 'Allow', kind: 'allow_once' as const },
    { optionId: 'cancel', name: 'Reject', kind: 'reject_once' as const },
  ];
  const onlyAlways = [{ optionId: 'a', name: 'Always', kind: 'allow_always' as const }];

  test('decisions come from the offered kinds, and deny is always possible', () => {
    assert.deepEqual(approvalOptions(gemini), ['allowOnce', 'allowSession', 'deny']);
    assert.deepEqual(approvalOptions(onlyAlways), ['allowSession', 'deny']);
    assert.deepEqual(approvalOptions([]), ['deny']);
  });

  test('answers pick the option by kind, never by id', () => {
    const cases: [typeof gemini, ApprovalAnswer['decision'], unknown][] = [
      [gemini, 'allowOnce', { outcome: 'selected', optionId: 'proceed_once' }],
      [gemini, 'allowSession', { outcome: 'selected', optionId: 'proceed_always' }],
      [gemini, 'deny', { outcome: 'selected', optionId: 'cancel' }],
      [onlyAlways, 'allowOnce', { outcome: 'selected', optionId: 'a' }],
      [onlyAlways, 'deny', { outcome: 'cancelled' }],
    ];
    for (const [options, decision, expected] of cases) assert.deepEqual(permissionOutcome(options, decision), expected, decision);
  });
});

describe('ACP driver against the scripted agent', () => {
  test('a new session: initialize, session/new, prompt, an allowed edit, then stdin closes and the agent exits', async () => {
    const cwd = freshFolder();
    const turn = await runTurn({ cwd, prompt: 'please [edit path=hello.txt content=hi]' });
    assert.deepEqual(turn.exit, { code: 0, signal: null });
    assert.equal(readFileSync(join(cwd, 'hello.txt'), 'utf8'), 'hi');
    assert.deepEqual(turn.warnings, []);

    const sent = jsonMessages(turn.lines, 'stdin');
    assert.deepEqual(sent.filter((m) => m.method).map((m) => m.method), ['initialize', 'session/new', 'session/prompt']);
    assert.deepEqual(sent[0]!.params.clientCapabilities, { fs: { readTextFile: false, writeTextFile: false }, terminal: false });
    assert.equal(sent[0]!.params.protocolVersion, 1);
    assert.deepEqual(sent[1]!.params, { cwd, mcpServers: [] });
    // The agent's option ids are its own ("yes-once"): the answer was chosen by kind.
    const answer = sent.find((m) => m.result?.outcome);
    assert.deepEqual(answer?.result, { outcome: { outcome: 'selected', optionId: 'yes-once' } });

    assert.equal(turn.asks.length, 1);
    const ask = turn.asks[0]!;
    assert.equal(ask.tool, 'edit');
    assert.equal(ask.title, 'Writing to hello.txt');
    assert.deepEqual(ask.options, ['allowOnce', 'allowSession', 'deny']);
    assert.deepEqual(ask.input, { path: join(cwd, 'hello.txt') });
    assert.match(ask.toolCallId ?? '', /^write_file-/);

    const { entries, unknownLines } = normalize(turn.lines);
    assert.equal(unknownLines, 0);
    const [edit] = toolCalls(entries);
    assert.equal(edit?.status, 'succeeded');
    assert.equal(edit?.path, 'hello.txt');
    assert.equal(edit?.diff, '--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1,1 @@\n+hi\n');
    assert.ok(sessionOf(turn)?.startsWith('sess-'));
    assert.ok(entries.some((e) => e.type === 'assistantMessage' && e.text === 'done'));
  });

  test('a denied edit is answered with the reject option; nothing is written and the entry is denied', async () => {
    const cwd = freshFolder();
    const turn = await runTurn({ cwd, prompt: '[edit path=nope.txt content=x]', decide: async () => ({ decision: 'deny', reason: 'not today' }) });
    assert.deepEqual(turn.exit, { code: 0, signal: null });
    assert.equal(existsSync(join(cwd, 'nope.txt')), false);
    assert.deepEqual(jsonMessages(turn.lines, 'stdin').find((m) => m.result?.outcome)?.result, { outcome: { outcome: 'selected', optionId: 'no-thanks' } });
    const { entries, unknownLines } = normalize(turn.lines);
    assert.equal(unknownLines, 0);
    assert.deepEqual(toolCalls(entries).map((t) => t.status), ['denied']);
  });

  test('a Claude-style tool call (tool_call with rawInput, then the request) asks with the raw input and the command', async () => {
    const cwd = freshFolder();
    const turn = await runTurn({ cwd, prompt: '[shell cmd=ls]', decide: async () => ({ decision: 'allowSession' }) });
    assert.equal(turn.asks[0]?.tool, 'execute');
    assert.deepEqual(turn.asks[0]?.input, { command: 'ls' });
    assert.deepEqual(jsonMessages(turn.lines, 'stdin').find((m) => m.result?.outcome)?.result, { outcome: { outcome: 'selected', optionId: 'yes-always' } });
    const [shell] = toolCalls(normalize(turn.lines).entries);
    assert.equal(shell?.kind, 'command');
    assert.equal(shell?.command, 'ls');
    assert.equal(shell?.status, 'succeeded');
    assert.equal(shell?.output, 'ran: ls');
    assert.equal(shell?.exitCode, 0);
  });

  test('a follow-up loads the session in a new process; the replay is drained before the prompt and yields no entries', async () => {
    const cwd = freshFolder();
    const first = await runTurn({ cwd, prompt: '[edit path=a.txt content=one]' });
    const sessionId = sessionOf(first);
    assert.ok(sessionId);
    const second = await runTurn({ cwd, prompt: 'and now say hello', resume: sessionId });
    assert.deepEqual(second.exit, { code: 0, signal: null });
    assert.deepEqual(second.warnings, []);
    const sent = jsonMessages(second.lines, 'stdin');
    assert.deepEqual(sent.filter((m) => m.method).map((m) => m.method), ['initialize', 'session/load', 'session/prompt']);
    assert.deepEqual(sent[1]!.params, { sessionId, cwd, mcpServers: [] });
    // The agent answers the load before it has finished replaying; every replayed update still precedes the prompt.
    const promptAt = second.lines.findIndex((l) => l.stream === 'stdin' && l.line.includes('"session/prompt"'));
    const loadAnsweredAt = second.lines.findIndex((l) => l.stream === 'stdout' && /"id":1,"result"/.test(l.line));
    const replayed = second.lines.map((l, index) => ({ ...l, index })).filter((l) => l.stream === 'stdout' && l.index > loadAnsweredAt && l.line.includes('session/update') && l.index < promptAt);
    assert.ok(replayed.length >= 3, `expected replayed updates after the load response, got ${replayed.length}`);
    assert.ok(!second.lines.slice(promptAt).some((l) => l.line.includes('user_message_chunk')), 'no replayed history after the prompt');

    const { entries, unknownLines } = normalize(second.lines);
    assert.equal(unknownLines, 0);
    assert.deepEqual(toolCalls(entries), [], 'the replayed edit is not an entry of this execution');
    assert.deepEqual(
      entries.filter((e) => e.type === 'assistantMessage').map((e) => (e as { text: string }).text),
      ['Hello world'],
    );
    assert.equal(sessionOf(second), sessionId);
  });

  test('session/resume is used when the agent advertises it', async () => {
    const cwd = freshFolder();
    const env = { ACP_AGENT_RESUME: '1' };
    const first = await runTurn({ cwd, prompt: 'hi', env });
    const second = await runTurn({ cwd, prompt: 'again', resume: sessionOf(first), env });
    assert.deepEqual(jsonMessages(second.lines, 'stdin').filter((m) => m.method).map((m) => m.method), ['initialize', 'session/resume', 'session/prompt']);
    assert.equal(sessionOf(second), sessionOf(first));
  });

  test('an advertised session/resume that is not implemented falls back to session/load, without a warning', async () => {
    const cwd = freshFolder();
    const env = { ACP_AGENT_RESUME: 'broken' };
    const first = await runTurn({ cwd, prompt: 'hi', env });
    const second = await runTurn({ cwd, prompt: 'again', resume: sessionOf(first), env });
    assert.deepEqual(jsonMessages(second.lines, 'stdin').filter((m) => m.method).map((m) => m.method), ['initialize', 'session/resume', 'session/load', 'session/prompt']);
    assert.deepEqual(second.warnings, []);
    const { entries, unknownLines } = normalize(second.lines);
    assert.equal(unknownLines, 0);
    assert.deepEqual(entries.filter((e) => e.type === 'error'), []);
    assert.equal(sessionOf(second), sessionOf(first));
  });

  test('an unknown session falls back to a new one, with a warning and an error entry', async () => {
    const cwd = freshFolder();
    const turn = await runTurn({ cwd, prompt: 'hi', resume: 'sess-gone' });
    assert.deepEqual(jsonMessages(turn.lines, 'stdin').filter((m) => m.method).map((m) => m.method), ['initialize', 'session/load', 'session/new', 'session/prompt']);
    assert.equal(turn.warnings.length, 1);
    assert.match(turn.warnings[0]!, /sess-gone.*No previous sessions found/);
    const { entries } = normalize(turn.lines);
    assert.ok(entries.some((e) => e.type === 'error' && /session\/load.*No previous sessions found/.test(e.message)));
    assert.notEqual(sessionOf(turn), 'sess-gone');
  });

  test('an agent without load or resume starts a new session and says so', async () => {
    const turn = await runTurn({ cwd: freshFolder(), prompt: 'hi', resume: 'sess-x', env: { ACP_AGENT_NO_LOAD: '1' } });
    assert.deepEqual(jsonMessages(turn.lines, 'stdin').filter((m) => m.method).map((m) => m.method), ['initialize', 'session/new', 'session/prompt']);
    assert.match(turn.warnings[0] ?? '', /neither resume nor load/);
  });

  test('interrupt mid-turn sends session/cancel; the prompt ends cancelled and the agent exits by itself', async () => {
    let interrupted: boolean | null = null;
    const turn = await runTurn({
      cwd: freshFolder(),
      prompt: `[slow n=${OUTLASTING_SLOW_DELTAS} ms=20]`,
      onStdout(line, driver) {
        if (interrupted === null && line.includes('slow3 ')) interrupted = driver.interrupt();
      },
    });
    assert.equal(interrupted, true);
    assert.deepEqual(turn.exit, { code: 0, signal: null });
    const sent = jsonMessages(turn.lines, 'stdin');
    assert.equal(sent.at(-1)?.method, 'session/cancel');
    assert.deepEqual(jsonMessages(turn.lines, 'stdout').find((m) => m.id === 2)?.result, { stopReason: 'cancelled' });
    const { entries, unknownLines } = normalize(turn.lines);
    assert.equal(unknownLines, 0);
    assert.ok(!entries.some((e) => e.type === 'error'), 'a cancel is not an error');
  });

  test('interrupt while a permission is open: session/cancel first, then the request is answered cancelled', async () => {
    let driverRef: AgentDriver | null = null;
    const turn = await runTurn({
      cwd: freshFolder(),
      prompt: '[shell cmd=rm]',
      decide: () => {
        setImmediate(() => driverRef?.interrupt()); // after the driver has recorded the open request
        return new Promise(() => {}); // nobody answers
      },
      onStdout(_line, driver) {
        driverRef = driver;
      },
    });
    assert.deepEqual(turn.exit, { code: 0, signal: null });
    const sent = jsonMessages(turn.lines, 'stdin');
    const cancelAt = sent.findIndex((m) => m.method === 'session/cancel');
    const answerAt = sent.findIndex((m) => m.result?.outcome);
    assert.ok(cancelAt >= 0 && answerAt > cancelAt, 'cancel, then the answer');
    assert.deepEqual(sent[answerAt]!.result, { outcome: { outcome: 'cancelled' } });
    const [shell] = toolCalls(normalize(turn.lines).entries);
    assert.equal(shell?.status, 'denied');
  });

  test('an approval that fails because the execution is stopping is answered cancelled', async () => {
    const turn = await runTurn({ cwd: freshFolder(), prompt: '[edit path=x.txt content=x]', decide: () => Promise.reject(new Error('stopping')) });
    assert.deepEqual(jsonMessages(turn.lines, 'stdin').find((m) => m.result?.outcome)?.result, { outcome: { outcome: 'cancelled' } });
    assert.equal(toolCalls(normalize(turn.lines).entries)[0]?.status, 'denied');
  });

  test('interrupt before the prompt closes stdin at once, and no prompt is sent', async () => {
    let interrupted: boolean | null = null;
    const turn = await runTurn({
      cwd: freshFolder(),
      prompt: 'never sent',
      onStdout(line, driver) {
        if (interrupted === null && line.includes('"id":0,"result"')) interrupted = driver.interrupt();
      },
    });
    assert.equal(interrupted, true);
    assert.deepEqual(turn.exit, { code: 0, signal: null });
    assert.ok(!jsonMessages(turn.lines, 'stdin').some((m) => m.method === 'session/prompt'));
  });

  test('client methods orchd does not offer get "method not found"', async () => {
    const turn = await runTurn({ cwd: freshFolder(), prompt: '[fs]' });
    const answer = jsonMessages(turn.lines, 'stdin').find((m) => m.error);
    assert.equal(answer?.error.code, -32601);
    const { entries, unknownLines } = normalize(turn.lines);
    assert.equal(unknownLines, 0);
    assert.ok(entries.some((e) => e.type === 'assistantMessage' && e.text === 'fs answer: -32601'));
  });

  test('a banner before the JSON does not reach the SDK (no parse error is sent to the agent)', async () => {
    const turn = await runTurn({ cwd: freshFolder(), prompt: 'hi', env: { ACP_AGENT_BANNER: '1' } });
    assert.deepEqual(turn.exit, { code: 0, signal: null });
    assert.ok(!jsonMessages(turn.lines, 'stdin').some((m) => m.error), 'nothing answered the banner');
    const { entries, unknownLines } = normalize(turn.lines);
    assert.equal(unknownLines, 1, 'the banner is kept as a raw entry');
    assert.ok(entries.some((e) => e.type === 'raw' && e.line.startsWith('acp-agent: starting up')));
  });

  test('thought, plan, refusal and usage become thinking, todo, error and usage entries', async () => {
    const turn = await runTurn({ cwd: freshFolder(), prompt: '[thought] [plan] [refuse]' });
    const { entries, unknownLines } = normalize(turn.lines);
    assert.equal(unknownLines, 0);
    assert.ok(entries.some((e) => e.type === 'thinking' && e.text === 'Thinking about it.'));
    const plan = toolCalls(entries).find((t) => t.kind === 'todo');
    assert.equal(plan?.status, 'running');
    assert.equal(plan?.output, '[x] Look around\n[~] Make the change');
    assert.ok(entries.some((e) => e.type === 'error' && /refusal/.test(e.message)));
  });
});

describe('ACP executors', () => {
  const profile = { model: null, permissionMode: null, extraArgs: [], env: {} };
  const hooks = { requestApproval: async () => ({ decision: 'allowOnce' as const }), warn() {} };

  test('a configured ACP command line: detect runs --version, prepare returns the command with the profile\'s extra args', async () => {
    const executor = acpCommandExecutor('scripted-acp', [process.execPath, AGENT]);
    assert.equal(executor.protocol, ACP_PROTOCOL);
    assert.deepEqual(executor.capabilities, { resume: true, fork: false, reset: false, approvals: true, images: false, models: false, mcp: false, gracefulStop: true });
    const availability = await executor.detect();
    assert.equal(availability.available, true);
    assert.equal(availability.version, process.versions.node);
    const launch = executor.prepare({ cwd: '/w', prompt: 'hi', resumeAgentSessionId: null, env: { A: '1' }, profile: { ...profile, extraArgs: ['--x'] } }, hooks);
    assert.deepEqual(launch.argv, [process.execPath, AGENT, '--x']);
    assert.deepEqual(launch.env, { A: '1' });
    const missing = acpCommandExecutor('nope', ['orchd-no-such-agent', 'acp']);
    assert.deepEqual(await missing.detect({ PATH: '/nonexistent' }), { available: false, version: null, path: null, unavailableReason: 'notFound', hint: 'install `orchd-no-such-agent` or put it on PATH' });
    assert.throws(() => missing.prepare({ cwd: '/w', prompt: 'hi', resumeAgentSessionId: null, env: { PATH: '/nonexistent' }, profile }, hooks), /Expected executor `nope` to be installed/);
  });

  test('a turn through the executor: prepare, spawn, drive', async () => {
    const cwd = freshFolder();
    const executor = acpCommandExecutor('scripted-acp', [process.execPath, AGENT]);
    const launch = executor.prepare({ cwd, prompt: '[edit path=via.txt content=executor]', resumeAgentSessionId: null, env: { ...process.env } as Record<string, string>, profile }, hooks);
    const turn = await runDriverTurn({ name: 'the turn through the executor', launch, cwd, timeoutMs: CHAIN_MS });
    assert.equal(turn.code, 0);
    assert.equal(readFileSync(join(cwd, 'via.txt'), 'utf8'), 'executor');
    assert.equal(replayLog(executor.createNormalizer(), withoutStderr(turn.lines)).unknownLines, 0);
  });

  test('gemini: `gemini --acp` with --model from the profile and a trusted workspace; found through ORCHD_GEMINI_PATH', async () => {
    const fake = join(freshFolder(), 'gemini');
    writeFileSync(fake, '#!/bin/sh\necho 0.61.0\n', { mode: 0o755 });
    const env = { ORCHD_GEMINI_PATH: fake, PATH: '/nonexistent' };
    assert.deepEqual(await geminiExecutor.detect(env), { available: true, version: '0.61.0', path: fake, hint: null });
    const launch = geminiExecutor.prepare({ cwd: '/w', prompt: 'hi', resumeAgentSessionId: null, env, profile: { ...profile, model: 'gemini-2.5-pro', extraArgs: ['--debug'] } }, hooks);
    assert.deepEqual(launch.argv, [fake, '--acp', '--model=gemini-2.5-pro', '--debug']);
    assert.equal(launch.env.GEMINI_CLI_TRUST_WORKSPACE, 'true');
    assert.equal(geminiExecutor.capabilities.models, true);
    const absent = await geminiExecutor.detect({ PATH: '/nonexistent' });
    assert.equal(absent.available, false);
    assert.match(absent.hint ?? '', /npm install -g @google\/gemini-cli.*ORCHD_GEMINI_PATH/);
  });
});

describe('Gemini session-file workarounds', () => {
  const SESSION = '0123abcd-1111-2222-3333-444455556666';
  const OTHER = '0123abcd-9999-9999-9999-999999999999'; // same 8-character prefix, another session
  const header = (id: string) => `${JSON.stringify({ sessionId: id, projectHash: 'p', kind: 'main' })}\n`;
  const withReply = (id: string) => `${header(id)}${JSON.stringify({ id: 'm', type: 'gemini', content: 'done' })}\n`;
  const emptyRecording = (id: string) => `${header(id)}${JSON.stringify({ $set: { messages: [{ type: 'user', content: [{ text: '<session_context>' }] }] } })}\n`;

  function geminiHome(files: Record<string, string>): { home: string; chats: string } {
    const home = freshFolder();
    const chats = join(home, '.gemini', 'tmp', 'project', 'chats');
    mkdirSync(chats, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(chats, name), text);
    return { home, chats };
  }

  test('the leftovers of earlier loads go; the session, other sessions and a lone recording stay', () => {
    const { home, chats } = geminiHome({
      'session-2026-12-03T07-21-0123abcd.jsonl': withReply(SESSION),
      'session-2026-12-03T07-22-0123abcd.jsonl': emptyRecording(SESSION),
      'session-2026-12-03T07-23-0123abcd.jsonl': emptyRecording(OTHER),
    });
    assert.deepEqual(removeLoadLeftovers(home, SESSION), [join(chats, 'session-2026-12-03T07-22-0123abcd.jsonl')]);
    assert.deepEqual(readdirSync(chats).sort(), ['session-2026-12-03T07-21-0123abcd.jsonl', 'session-2026-12-03T07-23-0123abcd.jsonl']);

    const lone = geminiHome({ 'session-2026-12-03T07-22-0123abcd.jsonl': emptyRecording(SESSION) });
    assert.deepEqual(removeLoadLeftovers(lone.home, SESSION), [], 'without the real file nothing is touched');
    assert.deepEqual(removeLoadLeftovers(freshFolder(), SESSION), [], 'no .gemini folder at all');
  });

  test('a load waits for the next minute only when the session file carries the current minute', async () => {
    const at = Date.parse('2026-12-03T07:21:59.900Z');
    const { home } = geminiHome({ [`session-${geminiMinuteStamp(new Date(at))}-0123abcd.jsonl`]: withReply(SESSION) });
    const env = { HOME: home };
    // The timers are mocked: the test moves the clock, so what it asserts is how long the wait is, not how fast the
    // machine is.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const settled = (signal: AbortSignal, now: number) => {
        const state = { done: false };
        void waitOutSessionMinute(SESSION, { env, signal }, () => now).then(() => (state.done = true));
        return state;
      };
      const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
      const waiting = settled(new AbortController().signal, at);
      await flush();
      assert.equal(waiting.done, false, 'a load in the session file’s minute waits');
      mock.timers.tick(100);
      await flush();
      assert.equal(waiting.done, false, 'still waiting when the minute turns (a margin for clock skew)');
      mock.timers.tick(1000);
      await flush();
      assert.equal(waiting.done, true, 'done within a second of the minute turning');

      const later = settled(new AbortController().signal, at + 60_000);
      await flush();
      assert.equal(later.done, true, 'a later minute does not wait');
      const interrupted = settled(AbortSignal.abort(), at);
      await flush();
      assert.equal(interrupted.done, true, 'an interrupted turn does not wait');
    } finally {
      mock.timers.reset();
    }
  });
});
