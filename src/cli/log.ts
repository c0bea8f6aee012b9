// `orchd log SESSION_ID|WORKSPACE_ID [-f] [--raw]`: a session's conversation (`session/entries`), drawn by the same
// renderer as `orchd run`'s live view, each agent turn and script between its start and end lines; with -f, what
// happens next too (events/subscribe filtered to the session, from the seq the entries cover) until Ctrl-C, like
// tail -f. `--raw` prints the processes' raw output instead (`execution/logs`): stdout to stdout, stderr to stderr,
// each execution's header on stderr, so `orchd log --raw ses_… > capture.jsonl` keeps the agent's lines as printed.
import { constants } from 'node:os';
import type { Event, EventData } from '../../protocol/events.js';
import type { Execution, Session } from '../../protocol/execution.js';
import type { NormalizedEntry } from '../../protocol/entries.js';
import type { Workspace } from '../../protocol/workspace.js';
import type { LogArgs } from './args.js';
import { resolveSession } from './ids.js';
import { connectOrReport, type DaemonClient } from './local-daemon.js';
import { RunRenderer } from './run/render.js';
import { createStyle, wantsColor } from './run/style.js';
import { describeInCliWords, type CliWords } from './words.js';

export interface LogCommandOptions extends LogArgs {
  version: string;
  write?: (text: string) => void;
  writeError?: (text: string) => void;
}

const LOG_WORDS: CliWords = { sessionId: 'SESSION_ID', workspaceId: 'WORKSPACE_ID' };

/** Print the session's conversation (or raw output), then follow it with -f; resolves with the exit code. */
export async function logCommand(options: LogCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const writeError = options.writeError ?? ((text: string) => void process.stderr.write(text));
  const daemon = await connectOrReport({ version: options.version, logLevel: options.logLevel, dataDir: options.dataDir });
  if (!daemon) return 1;
  let stop!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (stop = resolve));
  const onSignal = (signal: NodeJS.Signals) => stop(128 + (constants.signals[signal] ?? 0));
  // Nobody reads stdout any more (`orchd log … | head`): stop quietly.
  const onStdoutError = () => stop(1);
  process.stdout.on('error', onStdoutError);
  try {
    await daemon.initialize({ clientName: 'orchd-cli', approvals: false });
    const { session, workspace } = await resolveSession(daemon, options.target);
    const follow = options.follow ? { stopped: keepAliveUntil(stopped) } : null;
    if (follow) {
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
      daemon.connection.onClose(() => {
        writeError('orchd: the connection to orchd closed\n');
        stop(1);
      });
    }
    if (options.raw) return await rawLog(daemon, session, { write, writeError, follow });
    return await conversationLog(daemon, session, workspace, options, { write, follow });
  } catch (error) {
    writeError(`orchd: ${describeInCliWords(error, LOG_WORDS)}\n`);
    return 1;
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    process.stdout.off('error', onStdoutError);
    await daemon.close();
  }
}

interface Following {
  /** Resolves with the exit code when following should end (a signal, stdout gone, the connection closed). */
  stopped: Promise<number>;
}

/**
 * `promise`, with the process kept alive until it settles: an orchd in this process holds no handle of its own (its
 * streams are in memory, its poll for other processes' commits is unref'd), and a promise alone keeps nothing running.
 */
function keepAliveUntil<T>(promise: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1 << 30);
  return promise.finally(() => clearInterval(timer));
}

// ---- the conversation -------------------------------------------------------------------------------------------

async function conversationLog(
  daemon: DaemonClient,
  session: Session,
  workspace: Workspace,
  options: LogCommandOptions,
  io: { write: (text: string) => void; follow: Following | null },
): Promise<number> {
  const tty = Boolean(process.stdout.isTTY) && !options.json;
  const color = wantsColor({ isTty: tty, noColorFlag: options.noColor, env: process.env });
  const renderer = options.json
    ? null
    : new RunRenderer({ write: io.write, tty, color, agent: session.executor, columns: () => process.stdout.columns, statusLine: false, userMessages: true });
  const printEntry = (entry: NormalizedEntry) => (renderer ? renderer.entry(entry) : io.write(`${JSON.stringify({ type: 'entry', entry })}\n`));
  // Events that arrive while the history is printed wait for it; those it already covers are dropped.
  const started = new Set<string>();
  const exited = new Set<string>();
  const pending: Event[] = [];
  let live = false;
  const onEvent = (event: Event) => {
    if (!live) return void pending.push(event);
    if (!renderer) {
      if (event.kind === 'session/entryUpserted') printEntry((event.data as EventData<'session/entryUpserted'>).entry);
      return;
    }
    if (event.kind === 'execution/started' || event.kind === 'execution/exited') {
      const { execution } = event.data as EventData<'execution/started'>;
      const seen = event.kind === 'execution/started' ? started : exited;
      if (seen.has(execution.id)) return;
      seen.add(execution.id);
    }
    renderer.event(event);
  };
  daemon.connection.onNotification('events/event', (params: { subscriptionId: string; event: Event }) => onEvent(params.event));

  renderer?.note(`· session ${session.id} (${session.executor}) in ${workspace.id} on ${workspace.branch}`, 'dim');
  const history = await daemon.request('session/entries', { sessionId: session.id });
  if (io.follow) await daemon.request('events/subscribe', { filter: { sessionId: session.id }, sinceSeq: history.seq });
  const { executions } = await daemon.request('execution/list', { sessionId: session.id });
  const entries = history.entries.map((e) => e.entry);
  if (!renderer) entries.forEach(printEntry);
  else {
    const byExecution = new Map<string, NormalizedEntry[]>();
    for (const entry of entries) byExecution.set(entry.executionId, [...(byExecution.get(entry.executionId) ?? []), entry]);
    for (const execution of executions) {
      renderer.executionStarted(execution);
      started.add(execution.id);
      for (const entry of byExecution.get(execution.id) ?? []) renderer.entry(entry);
      byExecution.delete(execution.id);
      if (execution.status !== 'running') {
        renderer.executionExited(execution);
        exited.add(execution.id);
      }
    }
    // Entries of an execution the list did not name (none expected): still part of the conversation.
    for (const rest of byExecution.values()) for (const entry of rest) renderer.entry(entry);
  }
  if (!io.follow) {
    const latest = (await daemon.request('session/get', { sessionId: session.id })).session;
    if (latest.status === 'running') renderer?.note(`· the session is running; \`orchd log -f ${session.id}\` follows it`, 'dim');
    renderer?.close();
    return 0;
  }
  live = true;
  for (const event of pending.splice(0)) onEvent(event);
  const code = await io.follow.stopped;
  renderer?.close();
  return code;
}

// ---- raw output -------------------------------------------------------------------------------------------------

/** How many chunks one `execution/logs` call asks for. */
const PAGE = 1000;

async function rawLog(
  daemon: DaemonClient,
  session: Session,
  io: { write: (text: string) => void; writeError: (text: string) => void; follow: Following | null },
): Promise<number> {
  const style = createStyle(wantsColor({ isTty: Boolean(process.stderr.isTTY), noColorFlag: false, env: process.env }));
  /** The last chunk printed, per execution: live chunks at or below it were already printed from the log. */
  const printed = new Map<string, number>();
  const header = (execution: Execution) => io.writeError(`${style.dim(`── ${describeExecution(execution)} ──`)}\n`);
  const printChunk = (executionId: string, chunk: { seq: number; stream: string; text: string }) => {
    if (chunk.seq <= (printed.get(executionId) ?? 0)) return;
    printed.set(executionId, chunk.seq);
    // What orchd wrote to the agent is in the log too (docs/protocol.md); the raw output is what the process printed.
    if (chunk.stream === 'stdout') io.write(chunk.text);
    else if (chunk.stream === 'stderr') io.writeError(chunk.text);
  };
  const pending: Event[] = [];
  let live = false;
  const onEvent = (event: Event) => {
    if (!live) return void pending.push(event);
    if (event.kind === 'execution/started') header((event.data as EventData<'execution/started'>).execution);
    else if (event.kind === 'execution/output') {
      const data = event.data as EventData<'execution/output'>;
      printChunk(data.executionId, data);
    }
  };
  if (io.follow) {
    daemon.connection.onNotification('events/event', (params: { subscriptionId: string; event: Event }) => onEvent(params.event));
    await daemon.request('events/subscribe', { filter: { sessionId: session.id, kinds: ['execution/started', 'execution/output'] } });
  }
  const { executions } = await daemon.request('execution/list', { sessionId: session.id });
  const headed = new Set<string>();
  for (const execution of executions) {
    header(execution);
    headed.add(execution.id);
    let sinceSeq = printed.get(execution.id) ?? 0;
    for (;;) {
      const page = await daemon.request('execution/logs', { executionId: execution.id, sinceSeq, limit: PAGE });
      if (page.compacted) io.writeError(`orchd: the raw output of ${execution.id} was dropped by retention (orchd gc); its conversation is kept (orchd log without --raw)\n`);
      for (const chunk of page.chunks) printChunk(execution.id, chunk);
      if (page.done || page.chunks.length === 0) break;
      sinceSeq = page.nextSeq;
    }
  }
  if (!io.follow) return 0;
  live = true;
  for (const event of pending.splice(0)) {
    // An execution the list already named has had its header.
    if (event.kind === 'execution/started' && headed.has((event.data as EventData<'execution/started'>).execution.id)) continue;
    onEvent(event);
  }
  return io.follow.stopped;
}

/** `setup: npm install (exe_…, completed, exit code 0)`, `scripted-agent (exe_…, running)`. */
function describeExecution(execution: Execution): string {
  const what = execution.action.type === 'script' ? `${execution.runReason.replace(/Script$/, '')}: ${execution.action.name}` : `${execution.action.executor}${execution.action.followUp ? ' (follow-up)' : ''}`;
  const end = execution.exitCode !== null ? `, exit code ${execution.exitCode}` : execution.signal ? `, ${execution.signal}` : '';
  return `${what} (${execution.id}, ${execution.status}${end})`;
}
