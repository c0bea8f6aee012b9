// `orchd shell WORKSPACE_ID`: a workspace terminal (terminal/* in docs/protocol.md, docs/terminals.md) in the
// person's own terminal, through the daemon: the running service when there is one, else orchd in this process.
// stdin (raw mode on a TTY) → terminal/input, one request at a time so keystrokes stay in order; `terminal/output`
// events → stdout, in chunk order, fetching the scrollback when a chunk is missing; the window's size → terminal/resize;
// `terminal/exited` → the program's exit code (128 + the signal's number when a signal ended it).
// Stdout carries the terminal's bytes: that is this command's job. The daemon's logs stay on stderr.
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import type { Event, EventData } from '../../protocol/events.js';
import type { Terminal, TerminalOutputResult } from '../../protocol/terminal.js';
import type { ShellArgs } from './args.js';
import { resolveWorkspace } from './ids.js';
import { connectDaemon, describeError, type DaemonClient } from './local-daemon.js';
import { describeInCliWords, WORKSPACE_WORDS } from './words.js';

export interface ShellCommandOptions extends ShellArgs {
  version: string;
}

/** The size a terminal gets when stdout is not a terminal. */
export const DEFAULT_SIZE = { cols: 80, rows: 24 } as const;
/** Input typed while one terminal/input request is in flight is sent with the next one, up to this many characters. */
const MAX_INPUT_BATCH = 1024 * 1024;

/** The window's size (the protocol takes 1 to 1000 each way), or 80x24 when stdout is not a terminal. */
export function windowSize(stream: { isTTY?: boolean; columns?: number; rows?: number }): { cols: number; rows: number } {
  if (!stream.isTTY || !stream.columns || !stream.rows) return { ...DEFAULT_SIZE };
  const clamp = (n: number) => Math.min(1000, Math.max(1, Math.floor(n)));
  return { cols: clamp(stream.columns), rows: clamp(stream.rows) };
}

/** The exit code for a terminal's end: its program's code, 128 + the signal's number when a signal ended it, else 1. */
export function exitCodeOf(terminal: Pick<Terminal, 'exitCode' | 'signal'>): number {
  if (terminal.exitCode !== null) return terminal.exitCode;
  const number = terminal.signal ? (constants.signals as Record<string, number | undefined>)[terminal.signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

/** Open the terminal and pass it through until it ends; resolves with the process exit code. */
export async function shellCommand(options: ShellCommandOptions): Promise<number> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  let raw = false;
  /** One line on stderr; in raw mode the terminal needs \r\n, and the line starts on a fresh one. */
  const complain = (message: string) => void process.stderr.write(raw ? `\r\norchd: ${message}\r\n` : `orchd: ${message}\n`);

  let daemon: DaemonClient;
  try {
    daemon = await connectDaemon({ version: options.version, logLevel: options.logLevel, dataDir: options.dataDir });
  } catch (error) {
    complain(describeError(error));
    return 1;
  }

  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let ending = false;
  /** End with `code` (the first call wins); a terminal that still runs is stopped on the way out. */
  const end = (code: number) => {
    if (ending) return;
    ending = true;
    finish(code);
  };
  let connected = true;
  const restoreTty = () => {
    if (raw && stdin.isTTY) stdin.setRawMode(false);
    raw = false;
  };

  const output = new TerminalOutputPump(
    (terminalId, sinceSeq) => daemon.request('terminal/output', { terminalId, sinceSeq }),
    (data) => void stdout.write(data),
    (terminal) => {
      // Ended by orchd (workspace stopped, another client's terminal/kill), not by this CLI on its way out: say why.
      if (terminal.reason && !ending) complain(`the terminal was ended: ${terminal.reason}`);
      end(exitCodeOf(terminal));
    },
    (error) => complain(describeError(error)),
  );
  daemon.connection.onNotification('events/event', (params: { subscriptionId: string; event: Event }) => output.event(params.event));
  daemon.connection.onClose(() => {
    connected = false;
    if (ending) return;
    complain('the connection to orchd closed before the terminal ended');
    end(1);
  });

  let input: InputPump | undefined;
  const onData = (chunk: string) => input?.send(chunk);
  // Not a terminal (a pipe, a file): its end is Ctrl-D typed at the start of a line, so the program sees end of input.
  const onEnd = () => input?.send('\u0004');
  const onResize = () => input?.resize(windowSize(stdout));
  // Nobody reads stdout any more: stop the terminal rather than let it run on unseen.
  const onStdoutError = () => end(1);
  const signals: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT'];
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = 128 + (constants.signals[signal] ?? 0);
    // A second signal while the terminal is being stopped: quit at once.
    if (signalled) {
      restoreTty();
      process.exit(code);
    }
    signalled = true;
    end(code);
  };

  try {
    await daemon.initialize({ clientName: 'orchd-shell', approvals: false });
    // A unique prefix of the id will do, as for git's commits.
    const workspaceId = (await resolveWorkspace(daemon, options.workspaceId)).id;
    // Subscribed before the terminal exists, so its first output chunk is delivered live.
    await daemon.request('events/subscribe', { filter: { workspaceId, kinds: ['terminal/*'] } });
    for (const signal of signals) process.on(signal, onSignal);
    const size = windowSize(stdout);
    const { terminal } = await daemon.request('terminal/create', {
      workspaceId,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.program !== undefined ? { command: options.program, args: options.args } : {}),
      cols: size.cols,
      rows: size.rows,
    });
    input = new InputPump(daemon, terminal.id, size, complain);
    output.attach(terminal.id);
    // A signal during start-up ended it already: the terminal is stopped below, never shown.
    if (!ending) {
      if (stdin.isTTY) {
        stdin.setRawMode(true);
        raw = true;
        rawOutput();
      }
      // Decode UTF-8 across chunk boundaries: a character split between two reads is sent whole.
      stdin.setEncoding('utf8');
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      stdin.resume();
      stdout.on('resize', onResize);
      stdout.on('error', onStdoutError);
    }
    return await finished;
  } catch (error) {
    ending = true;
    complain(describeInCliWords(error, WORKSPACE_WORDS));
    return 1;
  } finally {
    ending = true;
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
    stdout.off('resize', onResize);
    restoreTty();
    await input?.settled();
    // Ended from here (a signal, stdout gone): hang up on the terminal as a closed window does, then stop its process
    // group (escalating) in case the program ignores SIGHUP; also when a service keeps running after this client.
    if (output.terminalId !== undefined && !output.exited && connected) {
      const terminalId = output.terminalId;
      await daemon
        .request('terminal/kill', { terminalId, signal: 'SIGHUP' })
        .then(() => daemon.request('terminal/kill', { terminalId }))
        .catch((error: unknown) => complain(describeError(error)));
    }
    await daemon.close().catch(() => {});
    for (const signal of signals) process.off(signal, onSignal);
    stdout.off('error', onStdoutError);
  }
}

/**
 * Pass output bytes through unchanged. libuv's raw mode keeps output processing (ONLCR) on, which would turn the bare
 * line feeds of full-screen programs (vim, less: "cursor down, same column") into CR LF. setRawMode(false) restores the
 * terminal's settings as they were, output processing included. Without `stty`, output stays as libuv leaves it.
 */
function rawOutput(): void {
  try {
    spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'], timeout: 5000 });
  } catch {
    // no stty: CR LF instead of LF, which only full-screen programs notice
  }
}

/** What a catch-up needs from the terminal/output method. */
export type ScrollbackFetch = (terminalId: string, sinceSeq: number) => Promise<Pick<TerminalOutputResult, 'reset' | 'data' | 'toSeq'>>;

/**
 * A terminal's output in chunk order, from its `terminal/output` and `terminal/exited` events. Events may arrive
 * before the terminal/create reply names the terminal, so they wait until then; a chunk after a gap (the log trimmed,
 * a subscription that paused and resumed) first fetches what is missing with the terminal/output method, and so does
 * an exit whose `outputSeq` is past the last chunk written.
 */
export class TerminalOutputPump {
  terminalId: string | undefined;
  /** Whether `terminal/exited` came for it (and everything before it was written). */
  exited = false;
  private waiting: Event[] = [];
  /** The last chunk written. */
  private lastSeq = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly fetch: ScrollbackFetch,
    private readonly write: (data: string) => void,
    private readonly onExit: (terminal: Terminal) => void,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  event(event: Event): void {
    if (this.exited) return;
    if (this.terminalId === undefined) {
      this.waiting.push(event);
      return;
    }
    if (this.idOf(event) !== this.terminalId) return;
    // The scrollback could not be read: say so, and keep showing what comes live.
    this.queue = this.queue.then(() => this.handle(event)).catch(this.onError);
  }

  /** The terminal's id is known: pass on what waited for it. */
  attach(terminalId: string): void {
    this.terminalId = terminalId;
    const waiting = this.waiting;
    this.waiting = [];
    for (const event of waiting) this.event(event);
  }

  /** Resolves once every event so far is handled. */
  settled(): Promise<void> {
    return this.queue;
  }

  private idOf(event: Event): string | undefined {
    if (event.kind === 'terminal/output') return (event.data as EventData<'terminal/output'>).terminalId;
    if (event.kind === 'terminal/exited') return (event.data as EventData<'terminal/exited'>).terminal.id;
    return undefined;
  }

  private async handle(event: Event): Promise<void> {
    if (this.exited) return;
    if (event.kind === 'terminal/output') {
      const chunk = event.data as EventData<'terminal/output'>;
      if (chunk.seq <= this.lastSeq) return;
      if (chunk.seq > this.lastSeq + 1) await this.catchUp();
      if (chunk.seq <= this.lastSeq) return;
      this.write(chunk.data);
      this.lastSeq = chunk.seq;
      return;
    }
    const { terminal } = event.data as EventData<'terminal/exited'>;
    // Every chunk is committed before the exit is recorded; fetch any this subscription did not deliver.
    if (terminal.outputSeq > this.lastSeq) await this.catchUp().catch(this.onError);
    this.exited = true;
    this.onExit(terminal);
  }

  /** Write the output after the last chunk written; after a reset, clear the screen before drawing the snapshot. */
  private async catchUp(): Promise<void> {
    const result = await this.fetch(this.terminalId!, this.lastSeq);
    if (result.toSeq <= this.lastSeq && !result.reset) return;
    this.write(result.reset ? `\x1b[H\x1b[2J${result.data}` : result.data);
    this.lastSeq = Math.max(this.lastSeq, result.toSeq);
  }
}

/** Keystrokes and window sizes to the terminal, one request at a time and in the order they happened. */
class InputPump {
  private ops: ({ kind: 'input'; data: string } | { kind: 'resize'; cols: number; rows: number })[] = [];
  private running: Promise<void> | undefined;
  private size: { cols: number; rows: number };

  constructor(
    private readonly daemon: DaemonClient,
    private readonly terminalId: string,
    size: { cols: number; rows: number },
    private readonly complain: (message: string) => void,
  ) {
    this.size = size;
  }

  send(data: string): void {
    if (data === '') return;
    const last = this.ops.at(-1);
    if (last?.kind === 'input' && last.data.length + data.length <= MAX_INPUT_BATCH) last.data += data;
    else this.ops.push({ kind: 'input', data });
    this.pump();
  }

  resize(size: { cols: number; rows: number }): void {
    const last = this.ops.at(-1);
    if (last?.kind === 'resize') this.ops.pop();
    this.ops.push({ kind: 'resize', ...size });
    this.pump();
  }

  /** Resolves once nothing is being sent. */
  async settled(): Promise<void> {
    this.ops = [];
    await this.running;
  }

  private pump(): void {
    this.running ??= (async () => {
      for (let op = this.ops.shift(); op; op = this.ops.shift()) {
        try {
          if (op.kind === 'input') {
            await this.daemon.request('terminal/input', { terminalId: this.terminalId, data: op.data });
          } else if (op.cols !== this.size.cols || op.rows !== this.size.rows) {
            await this.daemon.request('terminal/resize', { terminalId: this.terminalId, cols: op.cols, rows: op.rows });
            this.size = { cols: op.cols, rows: op.rows };
          }
        } catch (error) {
          // The program has just ended (its terminal/exited follows), or orchd is gone (the connection's close says so).
          if (!isEnded(error)) this.complain(describeError(error));
        }
      }
    })().finally(() => (this.running = undefined));
  }
}

/** Whether a request failed because the terminal is no longer running or the connection is gone. */
function isEnded(error: unknown): boolean {
  const kind = (error as { data?: { kind?: unknown } } | undefined)?.data?.kind;
  if (kind === 'invalidState' || kind === 'shuttingDown') return true;
  const message = error instanceof Error ? error.message : '';
  return /connection (is |got )?(disposed|closed)/i.test(message);
}
