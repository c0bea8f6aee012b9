// Issue 13 figures: PTY terminals (`terminal/*`), each against node-pty driven directly in the bench process in the
// same run, or against the same daemon idle:
//   - keystroke echo latency: `cat` in a terminal (ECHO_COMMAND: the line discipline echoes, nothing else writes),
//     one character by `terminal/input`, timed until the `terminal/output` event carrying its echo reaches the host's
//     subscription over stdio; against writing the character to the same command in a node-pty of the bench's own
//     and timing until its onData echoes it. Two cadences: back to back (the next key once the echo is in) and typed,
//     one key every KEY_INTERVAL_MS;
//   - flood throughput to a subscriber: a terminal running FLOOD_COMMAND (50 MB of `x` in lines of 100), MB/s from
//     `terminal/create` to the last byte delivered, against reading the same command's PTY output with node-pty;
//   - a no-op request (`project/list {}`) while a terminal floods without end, p50/p99, against the same requests
//     on the idle daemon and while the same flood runs in a node-pty the bench itself reads.
import { readFileSync } from 'node:fs';
import type { IPty } from 'node-pty';
import { createWorkspaces } from './flood.js';
import { makeRepo } from './repo.js';
import { watchPeakRss } from './rss.js';
import { BENCH_NODE_ARGS, INITIALIZE, ORCHD, progress, removeDir, spawnServer, tempDir, watchdog, type Server } from './spawn.js';
import { summarise, type Summary } from './stats.js';
import { cpuSeconds } from './subscribers.js';

/** Typed cadence: one key every this many ms (above the daemon's 16 ms coalescing window; a fast typist's burst). */
export const KEY_INTERVAL_MS = 25;
/** Keys per block; blocks alternate between orchd and node-pty, the order flipping each round. */
const BLOCK = 50;
/**
 * The program keys are typed into: the terminal's line discipline echoes each key (ECHO) and hands it over at once
 * (no ICANON, so no line to end with Enter and no line buffer to fill); `cat` reads it and writes nothing back.
 */
const ECHO_COMMAND = ['/bin/sh', '-c', 'stty -icanon; exec cat > /dev/null'] as const;
const WARM_UP_KEYS = 50;
const COLS = 120;
const ROWS = 40;
/**
 * Lines of 100 `x` (ONLCR makes each `\n` a `\r\n` on the PTY): without end, or `bytes` of them followed by
 * FLOOD_END, after which the program waits (`exec cat`) until it is killed. It does not exit at the end because on
 * Linux node-pty often loses the last few KB a program wrote just before it exited (it reads EIO, or gives up 200 ms
 * after the exit, before draining the PTY): 3 of 4 standalone runs of this flood lost 2–9 KB of the 50 MB.
 */
const FLOOD_END = 'FLOOD-END';
const floodCommand = (bytes?: number) =>
  bytes === undefined ? `tr '\\0' x < /dev/zero | fold -w 100` : `head -c ${bytes} /dev/zero | tr '\\0' x | fold -w 100; printf '\\n${FLOOD_END}\\n'; exec cat`;

// BENCH_NODE_ARGS (bench/spawn.ts) reaches the daemons this section starts; a profile is written when the daemon shuts
// down at the end of the section.

export interface EchoSeries {
  /** 0: back to back. */
  intervalMs: number;
  orchdMs: Summary;
  /** orchd: from sending `terminal/input` to its reply (the PTY written), for the same keys. */
  inputReplyMs: Summary;
  directMs: Summary;
  ratioP50: number;
  ratioP99: number;
}

export interface FloodRun {
  seconds: number;
  /** Cores busy on the whole machine meanwhile (from /proc/stat; 2 is all of this machine's). */
  machineCores: number;
  /** Characters delivered (`x`, `\r`, `\n`: one byte each). */
  bytes: number;
  mbPerSecond: number;
}

export interface TerminalsResult {
  echo: { keys: number; series: EchoSeries[] };
  flood: {
    bytes: number;
    command: string;
    orchd: FloodRun[];
    direct: FloodRun[];
    /** Means over the runs. */
    orchdMbPerSecond: number;
    directMbPerSecond: number;
    /** Mean orchd time / mean node-pty time. */
    ratio: number;
    /** Over the orchd runs: the daemon's peak RSS, its CPU and the bench client's, as shares of one core. */
    orchdPeakRssMb: number;
    orchdCpuShare: number;
    clientCpuShare: number;
    /** `terminal/output` events per orchd run (mean). */
    events: number;
  };
  noop: {
    windowMs: number;
    idle: Summary;
    /** While the endless flood runs in a node-pty the bench reads (`mbPerSecond`: what it read). */
    ptyFlood: { ms: Summary; mbPerSecond: number };
    /** While the endless flood runs in an orchd terminal, the host subscribed and reading every event; RSS over the whole figure. */
    orchdFlood: { ms: Summary; mbPerSecond: number; eventsPerSecond: number; cpuShare: number; clientCpuShare: number; peakRssMb: number };
    ratioIdleP99: number;
    ratioPtyP99: number;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Output sinks: one per terminal (orchd's, by id, or the bench's own node-pty), counting what arrives, watching for
// the flood's end marker and, for the echo figure, keeping the text so a keystroke can wait for its echo.

class Sink {
  chars = 0;
  /** `\r` and `\n` seen, so `chars - newlines` is the payload. */
  newlines = 0;
  chunks = 0;
  /** Kept text, only while `keep` (the echo figure): a flood is only counted. */
  keep = false;
  text = '';
  private waiter: { test: (text: string) => boolean; resolve: (at: number) => void } | undefined;
  private firstWaiters: (() => void)[] = [];
  private marker: { text: string; resolve: (at: number) => void } | undefined;
  private tail = '';

  push(data: string): void {
    const at = performance.now();
    if (this.chunks++ === 0) for (const resolve of this.firstWaiters.splice(0)) resolve();
    this.chars += data.length;
    for (let i = data.indexOf('\n'); i !== -1; i = data.indexOf('\n', i + 1)) this.newlines++;
    for (let i = data.indexOf('\r'); i !== -1; i = data.indexOf('\r', i + 1)) this.newlines++;
    if (this.marker) {
      // The marker may straddle two chunks: the last chunk's tail is kept.
      const { text, resolve } = this.marker;
      if (data.includes(text) || (this.tail + data.slice(0, text.length)).includes(text)) {
        this.marker = undefined;
        resolve(at);
      }
    }
    this.tail = data.slice(-FLOOD_END.length);
    if (!this.keep) return;
    this.text += data;
    if (this.waiter?.test(this.text)) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve(at);
    }
  }

  /** Resolves with the time the kept text first passed `test` (now, when it already does). */
  until(test: (text: string) => boolean): Promise<number> {
    if (test(this.text)) return Promise.resolve(performance.now());
    if (this.waiter) throw new Error('one waiter at a time');
    return new Promise((resolve) => (this.waiter = { test, resolve }));
  }

  /** Resolves with the time `text` arrived (set before it can arrive). */
  untilMarker(text: string): Promise<number> {
    return new Promise((resolve) => (this.marker = { text, resolve }));
  }

  first(): Promise<void> {
    return this.chunks > 0 ? Promise.resolve() : new Promise((resolve) => this.firstWaiters.push(resolve));
  }
}

/** The host's one `events/subscribe` for the workspace: `terminal/output` into each terminal's sink, exits awaited. */
class Host {
  private readonly sinks = new Map<string, Sink>();
  private readonly exits = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  events = 0;

  constructor(server: Server) {
    server.rpc.onNotification('events/event', ({ event }: { event: { kind: string; data: any } }) => {
      if (event.kind === 'terminal/output') {
        this.events++;
        this.sink(event.data.terminalId).push(event.data.data);
      } else if (event.kind === 'terminal/exited') {
        this.exit(event.data.terminal.id).resolve();
      }
    });
  }

  /** A terminal's sink; made on its first event when that comes before the `terminal/create` reply. */
  sink(terminalId: string): Sink {
    let sink = this.sinks.get(terminalId);
    if (!sink) this.sinks.set(terminalId, (sink = new Sink()));
    return sink;
  }

  private exit(terminalId: string) {
    let exit = this.exits.get(terminalId);
    if (!exit) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.exits.set(terminalId, (exit = { promise, resolve }));
    }
    return exit;
  }

  exited(terminalId: string): Promise<void> {
    return this.exit(terminalId).promise;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The bench's own PTYs, through node-pty as the daemon's supervisor uses it.

type NodePty = typeof import('node-pty');
let nodePty: NodePty | undefined;
const ownPtys = new Set<IPty>();
process.once('exit', () => {
  for (const p of ownPtys) killGroup(p.pid);
});

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The bench's environment for a PTY: as the daemon gives its terminals (TERM), without tsx in NODE_OPTIONS. */
function ptyEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, TERM: 'xterm-256color', COLORTERM: 'truecolor' };
}

interface OwnPty {
  pty: IPty;
  sink: Sink;
  exited: Promise<void>;
  /** SIGKILL its process group (node-pty makes the child a session leader) and wait for the exit. */
  kill(): Promise<void>;
}

async function spawnOwnPty(file: string, args: string[], cwd: string): Promise<OwnPty> {
  nodePty ??= await import('node-pty');
  const sink = new Sink();
  const pty = nodePty.spawn(file, args, { name: 'xterm-256color', cols: COLS, rows: ROWS, cwd, env: ptyEnv() });
  ownPtys.add(pty);
  pty.onData((data) => sink.push(data));
  const exited = new Promise<void>((resolve) =>
    pty.onExit(() => {
      ownPtys.delete(pty);
      resolve();
    }),
  );
  return {
    pty,
    sink,
    exited,
    async kill() {
      killGroup(pty.pid);
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Keystroke echo.

interface Keyboard {
  sink: Sink;
  type(data: string): Promise<unknown> | void;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const pause = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : undefined);

/**
 * `keys` keystrokes, each timed from sending to its echo at the host (and, for orchd, to the `terminal/input`
 * reply). With `intervalMs`, each key is sent that long after the one before (or when its echo is in, if later): the
 * cadence of someone typing, not a wait for anything.
 */
async function typeBlock(keyboard: Keyboard, keys: number, intervalMs: number, state: { typed: number; lastSent: number }, into: number[], replies: number[] = []): Promise<void> {
  const { sink } = keyboard;
  for (let i = 0; i < keys; i++) {
    await pause(state.lastSent + intervalMs - performance.now());
    const key = LETTERS[state.typed++ % LETTERS.length]!;
    sink.text = '';
    const sent = (state.lastSent = performance.now());
    const echoed = sink.until((text) => text.includes(key));
    await keyboard.type(key);
    replies.push(performance.now() - sent);
    into.push((await echoed) - sent);
  }
}

async function echoLatency(server: Server, host: Host, workspaceId: string, cwd: string, keys: number): Promise<EchoSeries[]> {
  const [command, ...args] = ECHO_COMMAND;
  const { terminal } = await server.request<{ terminal: { id: string } }>('terminal/create', { workspaceId, command, args, cols: COLS, rows: ROWS, name: 'echo' });
  const orchdSink = host.sink(terminal.id);
  orchdSink.keep = true;
  const orchd: Keyboard = { sink: orchdSink, type: (data) => server.rpc.sendRequest('terminal/input', { terminalId: terminal.id, data }) };
  const own = await spawnOwnPty(command, args, cwd);
  own.sink.keep = true;
  const direct: Keyboard = { sink: own.sink, type: (data) => own.pty.write(data) };
  const series: EchoSeries[] = [];
  try {
    // Warm-up, untimed (and past `stty`).
    for (const k of [orchd, direct]) await typeBlock(k, WARM_UP_KEYS, 0, { typed: 0, lastSent: 0 }, []);
    for (const intervalMs of [0, KEY_INTERVAL_MS]) {
      const a: number[] = [];
      const b: number[] = [];
      const replies: number[] = [];
      const sa = { typed: 0, lastSent: 0 };
      const sb = { typed: 0, lastSent: 0 };
      for (let done = 0, round = 0; done < keys; round++, done += BLOCK) {
        const n = Math.min(BLOCK, keys - done);
        if (round % 2 === 0) {
          await typeBlock(orchd, n, intervalMs, sa, a, replies);
          await typeBlock(direct, n, intervalMs, sb, b);
        } else {
          await typeBlock(direct, n, intervalMs, sb, b);
          await typeBlock(orchd, n, intervalMs, sa, a, replies);
        }
      }
      const orchdMs = summarise(a);
      const directMs = summarise(b);
      series.push({ intervalMs, orchdMs, inputReplyMs: summarise(replies), directMs, ratioP50: orchdMs.p50 / directMs.p50, ratioP99: orchdMs.p99 / directMs.p99 });
      progress(`terminals: echo ${intervalMs ? `every ${intervalMs} ms` : 'back to back'}: orchd p50 ${orchdMs.p50.toFixed(2)} ms, node-pty ${directMs.p50.toFixed(3)} ms`);
    }
  } finally {
    await own.kill();
    await server.request('terminal/kill', { terminalId: terminal.id, signal: 'SIGKILL' });
    await host.exited(terminal.id);
  }
  return series;
}

// ---------------------------------------------------------------------------------------------------------------
// Flood throughput.

/** CPU ticks of the whole machine so far, busy and in all, and how many CPUs (from /proc/stat). Linux only. */
function machineCpu(): { busy: number; total: number; cpus: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const fields = lines[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((s, x) => s + x, 0);
  return { busy: total - fields[3]! - fields[4]!, total, cpus: lines.filter((l) => /^cpu\d/.test(l)).length };
}

/** Cores busy on average since `before` (the whole machine: orchd, the program, the bench, and anything else). */
function coresBusy(before: ReturnType<typeof machineCpu>): number {
  const now = machineCpu();
  return ((now.busy - before.busy) / Math.max(1, now.total - before.total)) * now.cpus;
}

function checkPayload(sink: Sink, bytes: number, who: string): void {
  const payload = sink.chars - sink.newlines - FLOOD_END.length;
  if (payload !== bytes) throw new Error(`${who}: expected ${bytes} bytes of \`x\` from the flood, got ${payload} (${sink.chars} characters in all)`);
}

async function orchdFlood(server: Server, host: Host, workspaceId: string, bytes: number): Promise<FloodRun & { peakRssMb: number; cpuSeconds: number; clientCpuSeconds: number; events: number }> {
  const rss = watchPeakRss(server.pid);
  try {
    const cpuBefore = cpuSeconds(server.pid);
    const clientBefore = process.cpuUsage();
    const eventsBefore = host.events;
    const machineBefore = machineCpu();
    const start = performance.now();
    const { terminal } = await server.request<{ terminal: { id: string } }>('terminal/create', {
      workspaceId,
      command: '/bin/sh',
      args: ['-c', floodCommand(bytes)],
      cols: COLS,
      rows: ROWS,
      name: 'flood',
    });
    const sink = host.sink(terminal.id);
    const end = await sink.untilMarker(FLOOD_END);
    const machineCores = coresBusy(machineBefore);
    const client = process.cpuUsage(clientBefore);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    await server.request('terminal/kill', { terminalId: terminal.id, signal: 'SIGKILL' });
    await host.exited(terminal.id);
    checkPayload(sink, bytes, 'orchd');
    const seconds = (end - start) / 1000;
    return {
      seconds,
      machineCores,
      bytes: sink.chars,
      mbPerSecond: sink.chars / 1e6 / seconds,
      peakRssMb: rss.peakMb,
      cpuSeconds: cpu,
      clientCpuSeconds: (client.user + client.system) / 1e6,
      events: host.events - eventsBefore,
    };
  } finally {
    rss.stop();
  }
}

async function directFlood(cwd: string, bytes: number): Promise<FloodRun> {
  const machineBefore = machineCpu();
  const start = performance.now();
  const own = await spawnOwnPty('/bin/sh', ['-c', floodCommand(bytes)], cwd);
  try {
    const end = await Promise.race([
      own.sink.untilMarker(FLOOD_END),
      own.exited.then(() => Promise.reject(new Error(`node-pty: the flood exited before its end marker (${own.sink.chars} characters read)`))),
    ]);
    const machineCores = coresBusy(machineBefore);
    checkPayload(own.sink, bytes, 'node-pty');
    const seconds = (end - start) / 1000;
    return { seconds, machineCores, bytes: own.sink.chars, mbPerSecond: own.sink.chars / 1e6 / seconds };
  } finally {
    await own.kill();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// No-op requests while a terminal floods.

/** Sequential `project/list {}` for `windowMs` (or exactly `count`), each timed from send to reply. */
async function sample(server: Server, limit: { windowMs?: number; count?: number }, into: number[]): Promise<void> {
  const started = performance.now();
  try {
    for (let i = 0; limit.count !== undefined ? i < limit.count : performance.now() - started < limit.windowMs!; i++) {
      const start = performance.now();
      await server.rpc.sendRequest('project/list', {});
      into.push(performance.now() - start);
    }
  } catch (error) {
    throw new Error(`\`project/list\` failed: ${(error as Error).message}\n${server.describe()}`, { cause: error });
  }
}

/** Meanwhile-figures of one window of `project/list` while something floods. */
interface Window {
  seconds: number;
  chars: number;
  events: number;
  cpuSeconds: number;
  clientCpuSeconds: number;
}

/** Sequential `project/list` for `windowMs` while the endless flood runs in the bench's own node-pty. */
async function ptyFloodWindow(server: Server, cwd: string, windowMs: number, into: number[]): Promise<Window> {
  const own = await spawnOwnPty('/bin/sh', ['-c', floodCommand()], cwd);
  try {
    await own.sink.first();
    const chars = own.sink.chars;
    const start = performance.now();
    await sample(server, { windowMs }, into);
    return { seconds: (performance.now() - start) / 1000, chars: own.sink.chars - chars, events: 0, cpuSeconds: 0, clientCpuSeconds: 0 };
  } finally {
    await own.kill();
  }
}

/** Sequential `project/list` for `windowMs` while the endless flood runs in an orchd terminal the host reads. */
async function orchdFloodWindow(server: Server, host: Host, workspaceId: string, windowMs: number, into: number[]): Promise<Window> {
  const { terminal } = await server.request<{ terminal: { id: string } }>('terminal/create', {
    workspaceId,
    command: '/bin/sh',
    args: ['-c', floodCommand()],
    cols: COLS,
    rows: ROWS,
    name: 'endless flood',
  });
  const sink = host.sink(terminal.id);
  try {
    await sink.first();
    const chars = sink.chars;
    const events = host.events;
    const cpuBefore = cpuSeconds(server.pid);
    const clientBefore = process.cpuUsage();
    const start = performance.now();
    await sample(server, { windowMs }, into);
    const seconds = (performance.now() - start) / 1000;
    const client = process.cpuUsage(clientBefore);
    return {
      seconds,
      chars: sink.chars - chars,
      events: host.events - events,
      cpuSeconds: cpuSeconds(server.pid) - cpuBefore,
      clientCpuSeconds: (client.user + client.system) / 1e6,
    };
  } finally {
    await server.request('terminal/kill', { terminalId: terminal.id, signal: 'SIGKILL' });
    await host.exited(terminal.id);
  }
}

/**
 * Two rounds, each: `idleRequests / 2` on the idle daemon, then a window of `windowMs / 2` under each flood (node-pty
 * first in the first round, orchd first in the second), so the three series share the machine's other load.
 */
async function noopUnderFlood(server: Server, host: Host, workspaceId: string, cwd: string, windowMs: number, idleRequests: number): Promise<TerminalsResult['noop']> {
  const idle: number[] = [];
  const underPty: number[] = [];
  const underOrchd: number[] = [];
  const ptyWindows: Window[] = [];
  const orchdWindows: Window[] = [];
  const rss = watchPeakRss(server.pid);
  try {
    await sample(server, { count: 200 }, []);
    for (let round = 0; round < 2; round++) {
      await sample(server, { count: Math.ceil(idleRequests / 2) }, idle);
      const pty = async () => ptyWindows.push(await ptyFloodWindow(server, cwd, windowMs / 2, underPty));
      const orchd = async () => orchdWindows.push(await orchdFloodWindow(server, host, workspaceId, windowMs / 2, underOrchd));
      if (round === 0) {
        await pty();
        await orchd();
      } else {
        await orchd();
        await pty();
      }
    }
  } finally {
    rss.stop();
  }
  const sum = (windows: Window[], key: keyof Window) => windows.reduce((s, w) => s + w[key], 0);
  const orchdSeconds = sum(orchdWindows, 'seconds');
  const idleMs = summarise(idle);
  const ptyMs = summarise(underPty);
  const orchdMs = summarise(underOrchd);
  return {
    windowMs,
    idle: idleMs,
    ptyFlood: { ms: ptyMs, mbPerSecond: sum(ptyWindows, 'chars') / 1e6 / sum(ptyWindows, 'seconds') },
    orchdFlood: {
      ms: orchdMs,
      mbPerSecond: sum(orchdWindows, 'chars') / 1e6 / orchdSeconds,
      eventsPerSecond: sum(orchdWindows, 'events') / orchdSeconds,
      cpuShare: sum(orchdWindows, 'cpuSeconds') / orchdSeconds,
      clientCpuShare: sum(orchdWindows, 'clientCpuSeconds') / orchdSeconds,
      peakRssMb: rss.peakMb,
    },
    ratioIdleP99: orchdMs.p99 / idleMs.p99,
    ratioPtyP99: orchdMs.p99 / ptyMs.p99,
  };
}

// ---------------------------------------------------------------------------------------------------------------

export interface TerminalsConfig {
  keys: number;
  floodBytes: number;
  floodRuns: number;
  windowMs: number;
  idleRequests: number;
}

/** One daemon, one workspace on a small repository, one subscription of the workspace's events for the whole section. */
export async function benchTerminals(config: TerminalsConfig): Promise<TerminalsResult> {
  const repo = makeRepo(10);
  const dataDir = tempDir('orchd-bench-terminals-');
  // spawnServer runs `node <script> <args>`: with node options, the first takes the script's place.
  const server = BENCH_NODE_ARGS.length
    ? spawnServer('orchd', BENCH_NODE_ARGS[0]!, [...BENCH_NODE_ARGS.slice(1), ORCHD, '--stdio'], { ORCHD_DATA_DIR: dataDir })
    : spawnServer('orchd', ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir });
  const disarm = watchdog(5 * 60_000, [server], 'the terminals section');
  try {
    await server.request('initialize', INITIALIZE);
    const { workspaceIds } = await createWorkspaces(server, repo, 1, { autoCommit: false });
    const workspaceId = workspaceIds[0]!;
    const host = new Host(server);
    await server.request('events/subscribe', { filter: { workspaceId, kinds: ['terminal/output', 'terminal/exited'] } });
    const { workspace } = await server.request<{ workspace: { repositories: { path: string }[] } }>('workspace/get', { workspaceId });
    const cwd = workspace.repositories[0]!.path;

    progress('terminals: keystroke echo');
    const series = await echoLatency(server, host, workspaceId, cwd, config.keys);

    progress(`terminals: flood of ${config.floodBytes / 1e6} MB, ${config.floodRuns} runs each`);
    const orchdRuns: Awaited<ReturnType<typeof orchdFlood>>[] = [];
    const directRuns: FloodRun[] = [];
    // ABBA: orchd, node-pty, node-pty, orchd, ...
    for (let i = 0; i < config.floodRuns; i++) {
      if (i % 2 === 0) {
        orchdRuns.push(await orchdFlood(server, host, workspaceId, config.floodBytes));
        directRuns.push(await directFlood(cwd, config.floodBytes));
      } else {
        directRuns.push(await directFlood(cwd, config.floodBytes));
        orchdRuns.push(await orchdFlood(server, host, workspaceId, config.floodBytes));
      }
      progress(`terminals: flood ${i + 1}: orchd ${orchdRuns.at(-1)!.mbPerSecond.toFixed(1)} MB/s, node-pty ${directRuns.at(-1)!.mbPerSecond.toFixed(1)} MB/s`);
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const orchdSeconds = mean(orchdRuns.map((r) => r.seconds));
    const directSeconds = mean(directRuns.map((r) => r.seconds));
    const totalOrchdSeconds = orchdRuns.reduce((s, r) => s + r.seconds, 0);

    progress(`terminals: no-op requests, idle and under floods (${config.windowMs / 1000} s windows)`);
    const noop = await noopUnderFlood(server, host, workspaceId, cwd, config.windowMs, config.idleRequests);

    return {
      echo: { keys: config.keys, series },
      flood: {
        bytes: config.floodBytes,
        command: floodCommand(config.floodBytes),
        orchd: orchdRuns.map(({ seconds, machineCores, bytes, mbPerSecond }) => ({ seconds, machineCores, bytes, mbPerSecond })),
        direct: directRuns,
        orchdMbPerSecond: mean(orchdRuns.map((r) => r.mbPerSecond)),
        directMbPerSecond: mean(directRuns.map((r) => r.mbPerSecond)),
        ratio: orchdSeconds / directSeconds,
        orchdPeakRssMb: Math.max(...orchdRuns.map((r) => r.peakRssMb)),
        orchdCpuShare: orchdRuns.reduce((s, r) => s + r.cpuSeconds, 0) / totalOrchdSeconds,
        clientCpuShare: orchdRuns.reduce((s, r) => s + r.clientCpuSeconds, 0) / totalOrchdSeconds,
        events: mean(orchdRuns.map((r) => r.events)),
      },
      noop,
    };
  } finally {
    disarm();
    await server.close();
    removeDir(dataDir);
    removeDir(repo);
  }
}
