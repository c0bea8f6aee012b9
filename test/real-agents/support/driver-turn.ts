// One turn of an agent process driven by an orchd AgentDriver, with no daemon in between (`runDriverTurn`): spawn an
// executor's launch (its argv and env), give the driver an AgentInput on the child's stdin, feed it every stdout line,
// keep the raw log of all three streams (ms since spawn), and wait for the exit under a timeout that names the turn
// and shows the last lines. Around it, what the driver-level tests share: approval hooks that record what was asked
// (`recordingHooks`), a suite's sandbox (`openDriverSandbox`: the pinned CLI, the mock model, a sealed HOME, a git
// repository), replaying a raw log through a normalizer and checking it (`replayLog`, `assertLogUnderstood`), reading
// entries and messages back, and saving a log as a capture (`writeCapture`, fixtures/captures format).
// Used by test/real-agents/*-driver.test.ts and test/unit/acp-driver.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ApprovalAnswer } from '../../../protocol/approvals.js';
import { startMockModel, type MockModel, type MockModelOptions } from '../../../fixtures/mock-model/server.js';
import type { AgentDriver, AgentHooks, AgentLaunch, ApprovalAsk } from '../../../src/executors/types.js';
import type { EntryDraft, Normalizer, RawStream } from '../../../src/normalizers/types.js';
import { tempDir } from '../../support/client.js';
import { makeRepo } from '../../support/repo.js';
import { EXIT_MS } from '../../support/bounds.js';
import { waitUntil } from '../../support/wait.js';
import { ensureAgentCli, type AgentId, type InstalledAgent } from './install.js';
import { agentEnvironment } from './isolation.js';

/** One line of a turn's raw log: `stdin` is what the driver wrote, `ms` counts from spawn. */
export interface RawLine {
  line: string;
  stream: RawStream;
  ms: number;
}

/** How orchd's approvals answer; the signal aborts when the agent withdraws the question. */
export type AnswerApproval = (ask: ApprovalAsk, signal: AbortSignal | undefined) => Promise<ApprovalAnswer>;

/** Hooks for an executor's `prepare()` that record every approval asked and every warning. */
export interface RecordingHooks {
  hooks: AgentHooks;
  asked: ApprovalAsk[];
  warnings: string[];
}

/** Hooks that record what the driver asks and warns about; `answer` decides each approval (allowOnce when absent). */
export function recordingHooks(answer?: AnswerApproval): RecordingHooks {
  const asked: ApprovalAsk[] = [];
  const warnings: string[] = [];
  const hooks: AgentHooks = {
    requestApproval(ask, signal) {
      asked.push(ask);
      return answer ? answer(ask, signal) : Promise.resolve({ decision: 'allowOnce' });
    },
    warn(message) {
      warnings.push(message);
    },
  };
  return { hooks, asked, warnings };
}

/** One turn for `runDriverTurn`: the launch to spawn, where, and how long it may take. */
export interface DriverTurnOptions {
  /** Names the turn in the timeout error, e.g. "codex turn `api-error`". */
  name: string;
  launch: AgentLaunch;
  cwd: string;
  timeoutMs: number;
  /** Spawn in a process group of its own and kill the whole group on timeout (the CLIs that relaunch themselves). */
  processGroup?: boolean;
  /** Called for every stdout line after the driver saw it. */
  onStdout?: (line: string, driver: AgentDriver) => void;
  /** Awaited once the driver has started, with the driver and the raw log so far (to interrupt it); the turn's
   * timeout starts after it. */
  during?: (driver: AgentDriver, lines: RawLine[]) => Promise<void> | void;
}

/** What `runDriverTurn` resolves with: the raw log, the exit, and when it ran. */
export interface DriverTurn {
  lines: RawLine[];
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From spawn until the process exited and its stdout closed. */
  ms: number;
  /** Wall clock at spawn. */
  startedAt: number;
  /** The child's pid (the id of its process group with `processGroup`). */
  pid: number;
}

/** Spawn `launch`, drive one turn through its driver over real pipes, and resolve with the raw log and the exit. */
export async function runDriverTurn(options: DriverTurnOptions): Promise<DriverTurn> {
  const { launch } = options;
  const lines: RawLine[] = [];
  const startedAt = Date.now();
  const started = performance.now();
  const since = () => Math.round(performance.now() - started);
  const child = spawn(launch.argv[0]!, launch.argv.slice(1), { cwd: options.cwd, env: launch.env, stdio: ['pipe', 'pipe', 'pipe'], detached: options.processGroup ?? false });
  const pid = child.pid!;
  const kill = () => {
    try {
      if (options.processGroup) process.kill(-pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stdoutClosed = new Promise<void>((resolve) => child.stdout.once('close', () => resolve()));
  child.stdin.on('error', () => {});
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push({ line, stream: 'stdout', ms: since() });
    launch.driver.onStdoutLine(line);
    options.onStdout?.(line, launch.driver);
  });
  createInterface({ input: child.stderr }).on('line', (line) => lines.push({ line, stream: 'stderr', ms: since() }));
  launch.driver.start({
    writeLine(line) {
      if (child.stdin.writableEnded) return;
      lines.push({ line, stream: 'stdin', ms: since() });
      child.stdin.write(`${line}\n`);
    },
    close() {
      if (!child.stdin.writableEnded) child.stdin.end();
    },
  });
  try {
    await options.during?.(launch.driver, lines);
  } catch (error) {
    kill();
    throw error;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      kill();
      const tail = lines.slice(-20).map((l) => `${l.ms} ${l.stream}: ${l.line.slice(0, 300)}`);
      reject(new Error(`${options.name} did not exit within ${options.timeoutMs} ms; last lines:\n${tail.join('\n')}`));
    }, options.timeoutMs);
  });
  const [{ code, signal }] = await Promise.race([Promise.all([exited, stdoutClosed]), timeout]).finally(() => clearTimeout(timer));
  return { lines, code, signal, ms: since(), startedAt, pid };
}

/** Whether any process of the group `pgid` is still alive. */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolve once the process group `pgid` is gone; `what` names it in the timeout error. */
export async function waitForProcessGroupExit(pgid: number, what: string, timeoutMs = EXIT_MS): Promise<void> {
  await waitUntil(() => !processGroupAlive(pgid), `${what} (process group ${pgid}) to be gone`, timeoutMs);
}

/** What a driver-level test asks of one turn through an executor's `prepare()`. */
export interface TurnRequest {
  prompt: string;
  resume?: string | null;
  permissionMode?: string | null;
  /** Another environment than the suite's (a fresh HOME, another config). */
  env?: Record<string, string>;
  /** How orchd's approvals answer; allowOnce by default. */
  answer?: AnswerApproval;
  /** Called once the process has spawned, with the driver and the lines so far (to interrupt it). */
  during?: (driver: AgentDriver, lines: RawLine[]) => Promise<void> | void;
}

/** A finished turn: its raw log and exit, what the driver asked and warned, and the entries replayed from the log. */
export interface NormalizedTurn {
  lines: RawLine[];
  asked: ApprovalAsk[];
  warnings: string[];
  argv: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From spawn to exit. */
  ms: number;
  entries: EntryDraft[];
  unknownLines: number;
}

/** Replay raw lines through a fresh normalizer: the final state of every entry in first-seen order. */
export function replayLog(normalizer: Normalizer, lines: readonly { line: string; stream: RawStream }[]): { entries: EntryDraft[]; unknownLines: number } {
  const byId = new Map<string, EntryDraft>();
  for (const { line, stream } of lines) for (const entry of normalizer.push(line, stream)) byId.set(entry.id, entry);
  return { entries: [...byId.values()], unknownLines: normalizer.unknownLines };
}

/** What every raw log must pass: each line replayed understood, every tool call ended, a second replay the same. */
export function assertLogUnderstood(turn: Pick<NormalizedTurn, 'lines' | 'entries' | 'unknownLines'>, replay: (lines: RawLine[]) => { entries: EntryDraft[] }): void {
  assert.equal(turn.unknownLines, 0, `unknown lines: ${turn.entries.filter((e) => e.type === 'raw').map((e) => e.type === 'raw' && e.line.slice(0, 200)).join('\n')}`);
  assert.deepEqual(replay(turn.lines).entries, turn.entries, 'replay yields the same entries');
  for (const call of toolCalls(turn.entries)) assert.ok(['succeeded', 'failed', 'denied'].includes(call.status), `tool call ${call.toolCallId} (${call.name}) ends ${call.status}`);
}

/** The tool-call entries, in order. */
export const toolCalls = (entries: readonly EntryDraft[]) => entries.filter((e): e is Extract<EntryDraft, { type: 'toolCall' }> => e.type === 'toolCall');

/** The agent's own session id, from the `agentSession` entry. */
export const agentSessionOf = (entries: readonly EntryDraft[]) => entries.find((e): e is Extract<EntryDraft, { type: 'agentSession' }> => e.type === 'agentSession')?.agentSessionId;

/** The assistant messages' texts, in order. */
export const assistantTexts = (entries: readonly EntryDraft[]) => entries.filter((e): e is Extract<EntryDraft, { type: 'assistantMessage' }> => e.type === 'assistantMessage').map((e) => e.text);

/** Every line of one stream parsed as JSON (`stdin`: what the driver sent; `stdout`: what the agent said). */
export const jsonMessages = (lines: readonly RawLine[], stream: RawStream) => lines.filter((l) => l.stream === stream).map((l) => JSON.parse(l.line) as Record<string, any>);

/** The raw log without stderr (an agent's diagnostics, which the ACP and stream-json normalizers are not fed). */
export function withoutStderr<Line extends { stream: RawStream }>(lines: readonly Line[]): Line[] {
  return lines.filter((l) => l.stream !== 'stderr');
}

/** The folder under fixtures/captures that ORCHD_RECORD_CAPTURES=1 has a test write its raw logs to, else null. */
export function recordedCapturesDir(...segments: string[]): string | null {
  if (process.env.ORCHD_RECORD_CAPTURES !== '1') return null;
  return join(import.meta.dirname, '..', '..', '..', 'fixtures', 'captures', ...segments);
}

/** Write a raw log as a capture: one `{dir, line, ms}` a line, stdin `in`, stdout `out`, stderr left out. */
export function writeCapture(file: string, lines: readonly RawLine[]): void {
  mkdirSync(dirname(file), { recursive: true });
  const records = withoutStderr(lines).map((l) => `${JSON.stringify({ dir: l.stream === 'stdin' ? 'in' : 'out', line: l.line, ms: l.ms })}\n`);
  writeFileSync(file, records.join(''));
}

/** What a driver-level suite runs against; `close()` stops the mock and removes HOME and the repository. */
export interface DriverSandbox {
  cli: InstalledAgent;
  mock: MockModel;
  /** A sealed HOME (real path). */
  home: string;
  /** A git repository with one commit (real path). */
  repo: string;
  /** The isolated environment, with the CLI on PATH and named by `pathVariable`. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The pinned CLI (installed on first use), the mock model, a sealed HOME and a repository for one suite. */
export async function openDriverSandbox(id: AgentId, options: { pathVariable: string; mock?: MockModelOptions }): Promise<DriverSandbox> {
  const cli = await ensureAgentCli(id);
  const mock = await startMockModel(options.mock);
  const made: string[] = [];
  const close = async () => {
    await mock.close();
    for (const path of made) rmSync(path, { recursive: true, force: true });
  };
  try {
    const home = realpathSync(tempDir(`orchd-${id}-home-`));
    made.push(home);
    const repo = realpathSync(makeRepo({ 'README.md': '# app\n' }));
    made.push(repo);
    const env = { ...agentEnvironment(id, { home, mockUrl: mock.url }), ...cli.env, [options.pathVariable]: cli.bin };
    return { cli, mock, home, repo, env, close };
  } catch (error) {
    await close();
    throw error;
  }
}
