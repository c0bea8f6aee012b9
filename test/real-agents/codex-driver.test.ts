// The real `codex app-server` driven by orchd's Codex executor and driver (no daemon in between): a temp git repo,
// the project's mock model, a sealed CODEX_HOME. Checks an allowed edit, a denied one in a resumed thread, an
// interrupt mid-stream and one during an approval, a stop that rejects the approval, the error paths, and the
// normalizer's entries on each raw log. The CLI installs on first use (test/real-agents/support/install.ts).
// ORCHD_SAVE_CODEX_CAPTURES=<dir> also writes each run's raw log as a capture (fixtures/captures format).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MockModel } from '../../fixtures/mock-model/server.js';
import { codexExecutor } from '../../src/executors/codex.js';
import type { AgentDriver, ApprovalAsk } from '../../src/executors/types.js';
import type { EntryDraft } from '../../src/normalizers/types.js';
import { AGENT_EVENT_MS, AGENT_SUITE_MS, AGENT_TURN_MS, OUTLASTING_SLOW_DELTAS } from '../support/bounds.js';
import { waitUntil } from '../support/wait.js';
import { openDriverSandbox, recordingHooks, replayLog, runDriverTurn, writeCapture, type AnswerApproval, type DriverSandbox, type RawLine } from './support/driver-turn.js';
import type { InstalledAgent } from './support/install.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

interface TurnOptions {
  prompt: string;
  resume?: string | null;
  permissionMode?: string | null;
  /** How orchd's approvals answer; allowOnce by default. */
  answer?: AnswerApproval;
  /** Called once the process has spawned, with the driver (to interrupt it). */
  during?: (driver: AgentDriver, turn: RunningTurn) => Promise<void> | void;
}

interface RunningTurn {
  lines: RawLine[];
  asked: ApprovalAsk[];
  warnings: string[];
}

interface TurnResult extends RunningTurn {
  code: number | null;
  signal: NodeJS.Signals | null;
  entries: EntryDraft[];
  unknownLines: number;
}

/** Replay a raw log (stderr included: Codex's normalizer keeps it raw) through a fresh normalizer. */
const normalize = (lines: RawLine[]) => replayLog(codexExecutor.createNormalizer(), lines);

function tool(entries: EntryDraft[], predicate: (entry: Extract<EntryDraft, { type: 'toolCall' }>) => boolean) {
  return entries.find((entry): entry is Extract<EntryDraft, { type: 'toolCall' }> => entry.type === 'toolCall' && predicate(entry));
}

describe('real codex app-server through the Codex driver', { timeout: AGENT_SUITE_MS }, () => {
  let sandbox: DriverSandbox | undefined;
  let cli: InstalledAgent;
  let mock: MockModel;
  let repo: string;
  let env: Record<string, string>;
  const saveDir = process.env.ORCHD_SAVE_CODEX_CAPTURES;

  before(async () => {
    sandbox = await openDriverSandbox('codex', { pathVariable: 'ORCHD_CODEX_PATH', mock: { slowMs: 200 } });
    ({ cli, mock, repo, env } = sandbox);
  });

  after(() => sandbox?.close());

  /** One turn: prepare through the executor, spawn, wire stdin/stdout to the driver, wait for the exit. */
  async function runTurn(name: string, options: TurnOptions): Promise<TurnResult> {
    const { hooks, asked, warnings } = recordingHooks(options.answer);
    const launch = codexExecutor.prepare(
      { cwd: repo, prompt: options.prompt, resumeAgentSessionId: options.resume ?? null, env, profile: { model: null, permissionMode: options.permissionMode ?? null, extraArgs: [], env: {} } },
      hooks,
    );
    assert.deepEqual(launch.argv, [cli.bin, 'app-server', '--disable', 'plugins']);
    const { lines, code, signal } = await runDriverTurn({
      name: `codex turn \`${name}\``,
      launch,
      cwd: repo,
      timeoutMs: AGENT_TURN_MS,
      processGroup: true,
      during: options.during && ((driver, linesSoFar) => options.during!(driver, { lines: linesSoFar, asked, warnings })),
    });
    if (saveDir) writeCapture(join(saveDir, `orchd-${name}.jsonl`), lines);
    return { lines, asked, warnings, code, signal, ...normalize(lines) };
  }

  /** The checks every run's raw log must pass: only stderr is unknown, every stdout frame parses, replay is stable. */
  function checkLog(result: TurnResult): void {
    const raw = result.entries.filter((entry) => entry.type === 'raw');
    assert.deepEqual(
      raw.filter((entry) => entry.type === 'raw' && entry.stream !== 'stderr'),
      [],
      'every stdout and stdin line is understood',
    );
    for (const { line, stream } of result.lines) if (stream === 'stdout') assert.doesNotThrow(() => JSON.parse(line), `stdout frame parses: ${line.slice(0, 200)}`);
    assert.deepEqual(normalize(result.lines).entries, result.entries, 'replay yields the same entries');
    for (const entry of result.entries) {
      if (entry.type === 'toolCall') assert.ok(['succeeded', 'failed', 'denied'].includes(entry.status), `tool call ${entry.toolCallId} ends ${entry.status}`);
    }
  }

  let threadId = '';

  it('detects the installed CLI and its version', async () => {
    const found = await codexExecutor.detect({ PATH: cli.env.PATH! });
    assert.equal(found.available, true, found.hint ?? '');
    assert.equal(found.version, cli.version);
    const overridden = await codexExecutor.detect({ PATH: cli.env.PATH!, ORCHD_CODEX_PATH: cli.bin });
    assert.equal(overridden.path, cli.bin);
    const missing = await codexExecutor.detect({ PATH: '/nonexistent' });
    assert.equal(missing.available, false);
    assert.match(missing.hint ?? '', /npm install -g @openai\/codex/);
  });

  it('edits a file after an allowed approval, then exits 0 when the turn is over', async () => {
    const result = await runTurn('shell-write-allow', { prompt: 'Create the greeting file. [mock:edit-file path=hello.txt content=hi-from-codex]' });
    assert.deepEqual([result.code, result.signal], [0, null]);
    assert.equal(readFileSync(join(repo, 'hello.txt'), 'utf8'), 'hi-from-codex');
    assert.equal(result.asked.length, 1);
    assert.equal(result.asked[0]!.tool, 'exec_command');
    assert.match(result.asked[0]!.title ?? '', /hello\.txt/);
    assert.deepEqual(result.asked[0]!.options, ['allowOnce', 'allowSession', 'deny']);
    // What orchd wrote, in order.
    const written = result.lines.filter((l) => l.stream === 'stdin').map((l) => JSON.parse(l.line) as Record<string, any>);
    assert.deepEqual(
      written.map((m) => m.method ?? `answer:${m.result?.decision}`),
      ['initialize', 'initialized', 'thread/start', 'turn/start', 'answer:accept'],
    );
    assert.deepEqual(written[2]!.params, { cwd: repo, approvalPolicy: 'untrusted', sandbox: 'workspace-write' });

    checkLog(result);
    const session = result.entries.find((e) => e.type === 'agentSession');
    assert.ok(session && session.type === 'agentSession');
    threadId = session.agentSessionId;
    assert.match(threadId, /^[0-9a-f-]{36}$/);
    const command = tool(result.entries, (e) => e.kind === 'command');
    assert.ok(command, 'the command is a tool call');
    assert.equal(command.status, 'succeeded');
    assert.equal(command.toolCallId, result.asked[0]!.toolCallId);
    assert.equal(command.exitCode, 0);
    assert.ok(result.entries.some((e) => e.type === 'assistantMessage' && e.text === 'done'));
    const usage = result.entries.find((e) => e.type === 'usage');
    assert.ok(usage && usage.type === 'usage' && (usage.inputTokens ?? 0) > 0 && (usage.outputTokens ?? 0) > 0 && usage.durationMs !== null);
    const system = result.entries.find((e) => e.type === 'systemInfo');
    assert.ok(system && system.type === 'systemInfo' && system.agentVersion === cli.version && system.cwd === repo);
  });

  it('resumes the thread in a new process, with history, and a denied command does not run', async () => {
    assert.ok(threadId, 'the first turn ran');
    const requestsBefore = mock.requests.length;
    const result = await runTurn('resume-deny', {
      prompt: 'Now another file. [mock:edit-file path=denied.txt content=no]',
      resume: threadId,
      answer: async () => ({ decision: 'deny', reason: 'not this one' }),
    });
    assert.deepEqual([result.code, result.signal], [0, null]);
    assert.equal(existsSync(join(repo, 'denied.txt')), false, 'the denied command did not run');
    const written = result.lines.filter((l) => l.stream === 'stdin').map((l) => JSON.parse(l.line) as Record<string, any>);
    assert.deepEqual(written[2], { id: 2, method: 'thread/resume', params: { threadId, cwd: repo, approvalPolicy: 'untrusted', sandbox: 'workspace-write', excludeTurns: true } });
    assert.ok(written.some((m) => m.result?.decision === 'decline'));
    const resumed = mock.requests.slice(requestsBefore).find((r) => JSON.stringify(r.body).includes('Now another file'));
    assert.ok(resumed && JSON.stringify(resumed.body).includes('Create the greeting file'), 'the resumed conversation carries the first turn');

    checkLog(result);
    const session = result.entries.find((e) => e.type === 'agentSession');
    assert.ok(session && session.type === 'agentSession' && session.agentSessionId === threadId);
    const denied = tool(result.entries, (e) => e.kind === 'command');
    assert.equal(denied?.status, 'denied');
    // Usage is this turn's, not the thread's running total (which includes the first turn).
    const usage = result.entries.find((e) => e.type === 'usage');
    assert.ok(usage && usage.type === 'usage' && (usage.inputTokens ?? 0) > 0);
  });

  it('answers allowSession with acceptForSession', async () => {
    const first = await runTurn('allow-session', {
      prompt: '[mock:shell cmd="echo session-ok > session.txt"] run it',
      answer: async () => ({ decision: 'allowSession' }),
    });
    assert.deepEqual([first.code, first.signal], [0, null]);
    assert.equal(readFileSync(join(repo, 'session.txt'), 'utf8'), 'session-ok\n');
    assert.ok(first.lines.some((l) => l.stream === 'stdin' && l.line.includes('"decision":"acceptForSession"')));
    checkLog(first);
    assert.equal(tool(first.entries, (e) => e.kind === 'command')?.status, 'succeeded');
  });

  it('interrupts a turn mid-stream: the turn ends interrupted and the process exits 0', async () => {
    const requestsBefore = mock.requests.length;
    let interrupted: boolean | null = null;
    const result = await runTurn('interrupt-streaming', {
      prompt: `Take your time. [mock:slow n=${OUTLASTING_SLOW_DELTAS} ms=100]`,
      during: async (driver, turn) => {
        await waitUntil(() => mock.requests.slice(requestsBefore).some((r) => r.scenario?.name === 'slow' && r.reply === 'text'), 'the slow answer to start streaming', AGENT_EVENT_MS);
        await waitUntil(() => turn.lines.some((l) => l.line.includes('item/agentMessage/delta')), 'the first streamed delta', AGENT_EVENT_MS);
        interrupted = driver.interrupt();
      },
    });
    assert.equal(interrupted, true);
    assert.deepEqual([result.code, result.signal], [0, null]);
    const written = result.lines.filter((l) => l.stream === 'stdin').map((l) => JSON.parse(l.line) as Record<string, any>);
    assert.deepEqual(written.at(-1)!.method, 'turn/interrupt');
    const completed = result.lines.map((l) => JSON.parse(l.stream === 'stderr' ? '{}' : l.line) as Record<string, any>).find((m) => m.method === 'turn/completed');
    assert.equal(completed?.params.turn.status, 'interrupted');
    checkLog(result);
    const message = result.entries.find((e) => e.type === 'assistantMessage');
    assert.ok(message && message.type === 'assistantMessage' && message.text.startsWith('slow0'), 'the streamed text so far is one message');
    assert.ok(result.entries.some((e) => e.type === 'usage' && e.durationMs !== null));
  });

  it('interrupts during a pending approval without answering it', async () => {
    let withdrawn = false;
    let interrupted: boolean | null = null;
    const result = await runTurn('interrupt-approval', {
      prompt: '[mock:edit-file path=never.txt content=no] write it',
      answer: (_ask, signal) =>
        new Promise((_, reject) => {
          signal?.addEventListener('abort', () => {
            withdrawn = true;
            reject(new Error('withdrawn'));
          });
        }),
      during: async (driver, turn) => {
        await waitUntil(() => turn.asked.length === 1, 'the approval request', AGENT_EVENT_MS);
        interrupted = driver.interrupt();
      },
    });
    assert.equal(interrupted, true);
    assert.equal(withdrawn, true, 'the approval was withdrawn (signal aborted)');
    assert.deepEqual([result.code, result.signal], [0, null]);
    assert.equal(existsSync(join(repo, 'never.txt')), false);
    const answers = result.lines.filter((l) => l.stream === 'stdin' && !l.line.includes('"method"'));
    assert.deepEqual(answers, [], 'no answer was sent to the withdrawn request');
    checkLog(result);
    assert.equal(tool(result.entries, (e) => e.kind === 'command')?.status, 'denied');
  });

  it('answers cancel when the approval is rejected because the execution stops', async () => {
    const result = await runTurn('stop-cancel', {
      prompt: '[mock:edit-file path=cancelled.txt content=no] write it',
      answer: async () => {
        throw new Error('the execution is being stopped');
      },
    });
    assert.deepEqual([result.code, result.signal], [0, null]);
    assert.equal(existsSync(join(repo, 'cancelled.txt')), false);
    assert.ok(result.lines.some((l) => l.stream === 'stdin' && l.line.includes('"decision":"cancel"')));
    const completed = result.lines.map((l) => JSON.parse(l.stream === 'stderr' ? '{}' : l.line) as Record<string, any>).find((m) => m.method === 'turn/completed');
    assert.equal(completed?.params.turn.status, 'interrupted');
    checkLog(result);
    assert.equal(tool(result.entries, (e) => e.kind === 'command')?.status, 'denied');
  });

  it('reports a model API error as an error entry and still exits 0', async () => {
    const result = await runTurn('api-error', { prompt: '[mock:error status=400] fail please' });
    assert.deepEqual([result.code, result.signal], [0, null]);
    checkLog(result);
    const error = result.entries.find((e) => e.type === 'error');
    assert.ok(error && error.type === 'error' && /mock error scenario/.test(error.message), JSON.stringify(error));
  });

  it('closes stdin when the server rejects thread/resume, and the error becomes an entry', async () => {
    const result = await runTurn('resume-unknown-thread', { prompt: 'hello', resume: '01a23aa9-0000-7000-8000-000000000000' });
    assert.deepEqual([result.code, result.signal], [0, null]);
    assert.equal(result.warnings.length, 1);
    checkLog(result);
    const error = result.entries.find((e) => e.type === 'error');
    assert.ok(error && error.type === 'error' && /thread\/resume/.test(error.message) && /no rollout found/.test(error.message), JSON.stringify(error));
    assert.equal(result.lines.filter((l) => l.stream === 'stdin' && l.line.includes('turn/start')).length, 0);
  });
});
