// Issue 12 figures: service mode over WebSocket (`orchd serve`). Three of them, each next to a baseline in the same
// run:
//   - the no-op round trip (`project/list {}`, and `daemon/ping`) over WebSocket, against a bare `ws` server in a child
//     process that answers every request at once; the series alternate in blocks, as in bench/roundtrip.ts;
//   - orchd's CPU per event with 1, 4 and 16 WebSocket subscribers (one connection each) while one scripted agent
//     writes `@chatter N`, against the same measurement over stdio with one subscriber (bench/subscribers.ts);
//   - the RSS one idle, initialized WebSocket connection costs the daemon, against the bare `ws` server holding as many.
// Every client here is the same small JSON-RPC client over the `ws` package, for orchd and for the baseline alike.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import WebSocket, { type RawData } from 'ws';
import { WS_SUBPROTOCOL } from '../protocol/service.js';
import { place, type Placement } from './placement.js';
import { makeRepo } from './repo.js';
import { procStatusMb } from './rss.js';
import { BENCH_NODE_ARGS, INITIALIZE, ORCHD, progress, removeDir, ROOT, spawnOrchd, tempDir, watchdog as stdioWatchdog } from './spawn.js';
import { summarise, median, type Summary } from './stats.js';
import { benchSubscribers, cpuSeconds, type SubscriberRun } from './subscribers.js';

// ---------------------------------------------------------------------------------------------------------------
// Child processes: `orchd serve` and the bare `ws` echo server. No child outlives the bench.

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

interface Child {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (expectedly or not). */
  readonly exited: Promise<void>;
  describe(): string;
  /** SIGTERM (orchd shuts down cleanly on it), SIGKILL after 10 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** The environment both servers get: the bench's own, minus anything that would load tsx into the child. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ORCHD_LOG_LEVEL: 'error', ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

function spawnChild(name: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  const describe = () => {
    const status = child.exitCode !== null ? `exited with code ${child.exitCode}` : child.signalCode ? `killed by ${child.signalCode}` : 'running';
    return `${name} (pid ${child.pid}, ${status}) stderr:\n${stderr.slice(-4000) || '(empty)'}`;
  };
  return {
    name,
    pid: child.pid!,
    child,
    exited,
    describe,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}

/** SIGKILL the children if `ms` pass before the returned function is called (their sockets close, requests fail). */
function watchdog(ms: number, children: Child[], what: string): () => void {
  const timer = setTimeout(() => {
    progress(`${what} took over ${Math.round(ms / 1000)} s; killing ${children.map((c) => c.name).join(' and ')}`);
    for (const c of children) c.child.kill('SIGKILL');
  }, ms);
  return () => clearTimeout(timer);
}

// BENCH_NODE_ARGS (bench/spawn.ts) reaches every `orchd serve` and `ws` echo server this section starts (the echo's
// profiles are the ones without dist/ in their URLs).

interface Service {
  readonly process: Child;
  readonly url: string;
  readonly token: string;
}

/**
 * `orchd serve --data-dir <dataDir>` on any free port; resolves once service.json names its url (written after the
 * listener is up), waiting on the directory's change events rather than polling.
 */
async function spawnServe(dataDir: string, env: Record<string, string> = {}): Promise<Service> {
  const serve = spawnChild('orchd serve', [...BENCH_NODE_ARGS, ORCHD, 'serve', '--data-dir', dataDir], env);
  const path = join(dataDir, 'service.json');
  try {
    const info = await new Promise<{ url: string; tokenFile: string; pid: number }>((resolve, reject) => {
      const watcher = watch(dataDir);
      const timer = setTimeout(() => finish(new Error(`orchd serve wrote no service.json in 30 s\n${serve.describe()}`)), 30_000);
      let settled = false;
      const finish = (error: Error | undefined, value?: { url: string; tokenFile: string; pid: number }) => {
        if (settled) return;
        settled = true;
        watcher.close();
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value!);
      };
      // service.json appears by a rename, whole; should it not parse anyway, the next change event looks again.
      const check = () => {
        if (!existsSync(path)) return;
        try {
          finish(undefined, JSON.parse(readFileSync(path, 'utf8')));
        } catch {
          // not there whole yet
        }
      };
      watcher.on('change', check);
      watcher.on('error', (error) => finish(error));
      void serve.exited.then(() => finish(new Error(`orchd serve exited before it wrote service.json\n${serve.describe()}`)));
      check();
    });
    if (info.pid !== serve.pid) throw new Error(`service.json names pid ${info.pid}, expected the spawned ${serve.pid}`);
    return { process: serve, url: info.url, token: readFileSync(info.tokenFile, 'utf8').trim() };
  } catch (error) {
    await serve.stop();
    throw error;
  }
}

/**
 * The baseline: a bare `ws` WebSocketServer that selects the same subprotocol and answers every request at once
 * (`initialize` with a minimal result, anything else with its params), parsing and serialising each message as any
 * JSON-RPC server must. Plain JavaScript run with `node --input-type=module -e`, so nothing is compiled.
 */
const ECHO_SOURCE = `
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  maxPayload: 64 * 1024 * 1024,
  handleProtocols: (protocols) => (protocols.has(${JSON.stringify(WS_SUBPROTOCOL)}) ? ${JSON.stringify(WS_SUBPROTOCOL)} : false),
});
wss.on('connection', (socket) => {
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString('utf8'));
    if (message.id === undefined) return;
    const result = message.method === 'initialize' ? { serverInfo: { name: 'echo', version: '0' }, protocolVersion: 1, capabilities: {} } : (message.params ?? null);
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
  });
});
wss.on('listening', () => process.stdout.write(wss.address().port + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

/** Start both servers; when either fails, stop the other before rethrowing. */
async function spawnBoth(dataDir: string): Promise<[Service, Service]> {
  const [serve, echo] = await Promise.allSettled([spawnServe(dataDir), spawnWsEcho()]);
  if (serve.status === 'fulfilled' && echo.status === 'fulfilled') return [serve.value, echo.value];
  if (serve.status === 'fulfilled') await serve.value.process.stop();
  if (echo.status === 'fulfilled') await echo.value.process.stop();
  throw serve.status === 'rejected' ? serve.reason : (echo as PromiseRejectedResult).reason;
}

/** The echo server; resolves with its url once it prints the port it listens on. */
async function spawnWsEcho(): Promise<Service> {
  const echo = spawnChild('ws echo', [...BENCH_NODE_ARGS, '--input-type=module', '-e', ECHO_SOURCE], {});
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      echo.child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      void echo.exited.then(() => reject(new Error(`the ws echo server exited before listening\n${echo.describe()}`)));
    });
    return { process: echo, url: `ws://127.0.0.1:${port}/`, token: 'unused' };
  } catch (error) {
    await echo.stop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A small JSON-RPC client over one WebSocket: one message per text message, requests matched by id. A request fails
// when the server answers with an error or the socket closes, so a killed server never leaves a request hanging.

class WsRpc {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void; method: string }>();
  private closeInfo: string | undefined;
  /** Called with every notification's method and params. */
  onNotification: ((method: string, params: any) => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(
    readonly name: string,
    readonly socket: WebSocket,
  ) {
    socket.on('message', (data: RawData) => this.receive(data));
    this.closed = new Promise((resolve) =>
      socket.once('close', (code: number, reason: Buffer) => {
        this.closeInfo = `closed with ${code} ${reason.toString('utf8')}`;
        for (const [, p] of this.pending) p.reject(new Error(`${this.name}: \`${p.method}\` failed: the socket ${this.closeInfo}`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  /** Connect with the token as `Authorization: Bearer` and the orchd subprotocol, as a native host would. */
  static async connect(name: string, service: Service): Promise<WsRpc> {
    const socket = new WebSocket(service.url, [WS_SUBPROTOCOL], { headers: { authorization: `Bearer ${service.token}` }, perMessageDeflate: false });
    // Errors end in 'close' (which fails what is pending); this listener only keeps them from being unhandled.
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => {
        response.resume();
        socket.terminate();
        reject(new Error(`${name}: upgrade refused with HTTP ${response.statusCode}`));
      });
      socket.once('error', reject);
    });
    if (socket.protocol !== WS_SUBPROTOCOL) throw new Error(`${name}: expected the subprotocol ${WS_SUBPROTOCOL}, got ${JSON.stringify(socket.protocol)}`);
    return new WsRpc(name, socket);
  }

  request<T = unknown>(method: string, params?: unknown): Promise<T> {
    if (this.closeInfo) return Promise.reject(new Error(`${this.name}: \`${method}\` not sent: the socket ${this.closeInfo}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.socket.send(JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }));
    });
  }

  private receive(data: RawData): void {
    const message = JSON.parse(data.toString());
    if (message.id !== undefined && message.method === undefined) {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.error) p.reject(new Error(`${this.name}: \`${p.method}\` failed: ${message.error.message} (${message.error.code})`));
      else p.resolve(message.result);
    } else if (message.method !== undefined && message.id === undefined) {
      this.onNotification?.(message.method, message.params);
    }
  }

  /** Close the socket and wait for the close handshake (or give up on it after 5 s). */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000, 'bench done');
    const timer = setTimeout(() => this.socket.terminate(), 5000);
    await this.closed;
    clearTimeout(timer);
  }
}

/** Connect and `initialize`. */
async function initialized(name: string, service: Service): Promise<WsRpc> {
  const rpc = await WsRpc.connect(name, service);
  await rpc.request('initialize', { ...INITIALIZE, clientInfo: { name } });
  return rpc;
}

// ---------------------------------------------------------------------------------------------------------------
// Figure 1: the no-op round trip.

/** The four series measured with the processes placed one way (bench/placement.ts). */
export interface WsRoundTripPlacement {
  /** What was asked, and what was applied (`unpinned` when taskset or a second CPU is missing). */
  placement: Placement;
  applied: Placement;
  echoMs: Summary;
  /** `project/list {}` on an empty database, over WebSocket. */
  projectListMs: Summary;
  /** `daemon/ping` (no database), over WebSocket. */
  pingMs: Summary;
  /** For reference: `project/list {}` over stdio to `orchd --stdio` (vscode-jsonrpc client, as bench/roundtrip.ts). */
  stdioProjectListMs: Summary;
  /** p50(project/list) / p50(echo). */
  ratioP50: number;
  ratioP99: number;
  pingRatioP50: number;
}

export interface WsRoundTripResult extends WsRoundTripPlacement {
  requests: number;
  warmup: number;
  block: number;
  /**
   * Every placement measured, in order: as the scheduler places them, `split` (client and servers on different CPUs:
   * the target's figure, copied to the top level), `shared` (all on one CPU).
   */
  placements: WsRoundTripPlacement[];
  target: number;
  pass: boolean;
}

type Series = { name: string; run: (count: number, into?: number[]) => Promise<void> };

function wsSeries(name: string, rpc: WsRpc, method: string, params: unknown): Series {
  return {
    name,
    async run(count, into) {
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        await rpc.request(method, params);
        into?.push(performance.now() - start);
      }
    },
  };
}

export async function benchWsRoundTrip(requests: number, warmup = 500, block = 100): Promise<WsRoundTripResult> {
  const dataDir = tempDir('orchd-bench-ws-rt-');
  const stdioDataDir = tempDir('orchd-bench-ws-rt-stdio-');
  const children: Child[] = [];
  const clients: WsRpc[] = [];
  const stdio = spawnOrchd(stdioDataDir);
  const disarmStdio = stdioWatchdog(5 * 60_000, [stdio], 'the WebSocket round-trip loop');
  let disarm = () => {};
  try {
    const [serve, echo] = await spawnBoth(dataDir);
    children.push(serve.process, echo.process);
    disarm = watchdog(5 * 60_000, children, 'the WebSocket round-trip loop');
    const orchd = await initialized('bench', serve);
    const echoClient = await initialized('bench', echo);
    clients.push(orchd, echoClient);
    await stdio.request('initialize', INITIALIZE);
    // Sanity: the cheap request really is cheap (an empty list), and the error path is not what is measured.
    const listed = await orchd.request<{ projects: unknown[] }>('project/list', {});
    if (!Array.isArray(listed.projects) || listed.projects.length !== 0) throw new Error(`expected an empty project list, got ${JSON.stringify(listed)}`);
    const pong = await orchd.request<{ pong: boolean }>('daemon/ping');
    if (pong.pong !== true) throw new Error(`expected daemon/ping to answer pong, got ${JSON.stringify(pong)}`);
    const series: Series[] = [
      wsSeries('echo', echoClient, 'echo', {}),
      wsSeries('project/list', orchd, 'project/list', {}),
      wsSeries('daemon/ping', orchd, 'daemon/ping', undefined),
      {
        name: 'stdio project/list',
        async run(count, into) {
          for (let i = 0; i < count; i++) {
            const start = performance.now();
            await stdio.rpc.sendRequest('project/list', {});
            into?.push(performance.now() - start);
          }
        },
      },
    ];
    const placements: WsRoundTripPlacement[] = [];
    for (const placement of ['unpinned', 'split', 'shared'] as const) {
      const pinned = placement === 'unpinned' ? { applied: 'unpinned' as const, restore: () => {} } : place(placement, [serve.process.pid, echo.process.pid, stdio.pid]);
      try {
        progress(`ws round trip: ${placement === pinned.applied ? placement : `${placement} (taskset unavailable: unpinned)`}`);
        placements.push({ placement, applied: pinned.applied, ...(await measureSeries(series, requests, warmup, block)) });
      } finally {
        pinned.restore();
      }
    }
    const split = placements.find((p) => p.placement === 'split')!;
    return { requests, warmup, block, ...split, placements, target: 1.3, pass: split.ratioP50 <= 1.3 };
  } finally {
    disarm();
    disarmStdio();
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([...children.map((c) => c.stop()), stdio.close()]);
    removeDir(dataDir);
    removeDir(stdioDataDir);
  }
}

/** Warm every series up, then measure them in rotating blocks. */
async function measureSeries(series: Series[], requests: number, warmup: number, block: number): Promise<Omit<WsRoundTripPlacement, 'placement' | 'applied'>> {
  for (const s of series) await s.run(warmup);
  const samples = series.map(() => [] as number[]);
  // Blocks rotate through the series, starting one further each turn, so no series always follows the same one.
  for (let done = 0, turn = 0; done < requests; turn++) {
    const n = Math.min(block, requests - done);
    for (let j = 0; j < series.length; j++) {
      const at = (turn + j) % series.length;
      await series[at]!.run(n, samples[at]);
    }
    done += n;
  }
  const [echoMs, projectListMs, pingMs, stdioProjectListMs] = samples.map((s) => summarise(s)) as [Summary, Summary, Summary, Summary];
  return {
    echoMs,
    projectListMs,
    pingMs,
    stdioProjectListMs,
    ratioP50: projectListMs.p50 / echoMs.p50,
    ratioP99: projectListMs.p99 / echoMs.p99,
    pingRatioP50: pingMs.p50 / echoMs.p50,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Figure 2: CPU per event with K WebSocket subscribers.

export interface WsSubscribersResult {
  messages: number;
  /** Runs per K on each transport; each figure is the run with the median µs/event. */
  reps: number;
  /** The stdio run with one subscriber (bench/subscribers.ts) in the same bench run: the baseline. */
  baseline: SubscriberRun;
  /** Per K: the stdio runs (K subscriptions on the one connection), alternating with the WebSocket runs. */
  stdio: SubscriberRun[];
  /** Per K, each on a fresh `orchd serve`: K connections with one `events/subscribe {filter: {}}` each. */
  runs: (SubscriberRun & {
    /** µs/event against the baseline (stdio, 1 subscriber). */
    ratio: number;
    /** µs/event against stdio with the same K. */
    ratioSameK: number;
    /** (µs/event(K) − µs/event(first K)) / (K − first K) over WebSocket; null for the first K. */
    cpuMicrosPerEventPerSubscriber: number | null;
  })[];
  /** Every run's µs/event, per K, in order. */
  samples: { subscribers: number; stdio: number[]; ws: number[] }[];
}

/** One project on `repo` with one workspace, over a WebSocket connection; returns the workspace id. */
async function createWorkspace(rpc: WsRpc, repo: string): Promise<string> {
  const { project } = await rpc.request<{ project: { id: string } }>('project/create', { name: 'bench', repositories: [{ path: repo }], settings: { autoCommit: false } });
  const { task } = await rpc.request<{ task: { id: string } }>('task/create', { projectId: project.id, title: 'bench' });
  const { workspace } = await rpc.request<{ workspace: { id: string } }>('workspace/create', { taskId: task.id });
  return workspace.id;
}

async function wsSubscriberRun(subscribers: number, messages: number, repo: string, home: string): Promise<SubscriberRun> {
  const dataDir = tempDir('orchd-bench-ws-subs-');
  const clients: WsRpc[] = [];
  let serve: Service | undefined;
  let disarm = () => {};
  try {
    serve = await spawnServe(dataDir, { FAKE_AGENT_HOME: home });
    disarm = watchdog(5 * 60_000, [serve.process], `the ${subscribers}-WebSocket-subscriber run`);
    // The control connection starts the agent and subscribes to nothing.
    const control = await initialized('bench control', serve);
    clients.push(control);
    const workspaceId = await createWorkspace(control, repo);
    const perClient = new Array<number>(subscribers).fill(0);
    let notifications = 0;
    let exitedIn = 0;
    let allExited!: () => void;
    const done = new Promise<void>((resolve) => (allExited = resolve));
    let counting = false;
    for (let i = 0; i < subscribers; i++) {
      const rpc = await initialized(`bench subscriber ${i + 1}`, serve);
      clients.push(rpc);
      let finished = false;
      rpc.onNotification = (method, params: { event: { kind: string; data: any } }) => {
        // Each subscription counts up to and including the agent's exit; later events (the session going idle) are
        // not part of the measured flood.
        if (method !== 'events/event' || !counting || finished) return;
        notifications++;
        perClient[i]!++;
        if (params.event.kind === 'execution/exited' && params.event.data.execution.runReason === 'codingAgent') {
          finished = true;
          if (++exitedIn === subscribers) allExited();
        }
      };
      await rpc.request('events/subscribe', { filter: {} });
    }
    counting = true;
    const cpuBefore = cpuSeconds(serve.process.pid);
    const start = performance.now();
    await control.request('session/start', { workspaceId, executor: 'scripted-agent', prompt: `@chatter ${messages}` });
    await Promise.race([done, serve.process.exited.then(() => Promise.reject(new Error(`orchd serve exited during the flood\n${serve!.process.describe()}`)))]);
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuSeconds(serve.process.pid) - cpuBefore;
    if (perClient.some((c) => c !== perClient[0])) {
      throw new Error(`expected ${subscribers} WebSocket subscribers to receive the same events, got counts ${JSON.stringify(perClient)}`);
    }
    const events = perClient[0]!;
    return {
      subscribers,
      events,
      notifications,
      seconds,
      cpuSeconds: cpu,
      cpuMicrosPerEvent: (cpu / events) * 1e6,
      cpuMicrosPerNotification: (cpu / notifications) * 1e6,
    };
  } finally {
    disarm();
    await Promise.all(clients.map((c) => c.close()));
    await serve?.process.stop();
    removeDir(dataDir);
  }
}

/** The run whose µs/event is the median (the lower middle one for an even count). */
function medianRun(runs: SubscriberRun[]): SubscriberRun {
  return [...runs].sort((a, b) => a.cpuMicrosPerEvent - b.cpuMicrosPerEvent)[Math.ceil(runs.length / 2) - 1]!;
}

/**
 * `reps` rounds; in each, per K, the stdio run (bench/subscribers.ts) then the WebSocket run, so the two transports
 * see the same machine. The stdio run with the first K is the baseline.
 */
export async function benchWsSubscribers(counts: number[], messages: number, reps = 1): Promise<WsSubscribersResult> {
  const repo = makeRepo(10);
  const home = tempDir('orchd-bench-agent-');
  const stdioRuns = counts.map(() => [] as SubscriberRun[]);
  const wsRuns = counts.map(() => [] as SubscriberRun[]);
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const [i, k] of counts.entries()) {
        progress(`ws: ${k} subscriber${k === 1 ? '' : 's'}, stdio then WebSocket (round ${rep + 1} of ${reps})`);
        stdioRuns[i]!.push((await benchSubscribers([k], messages)).baseline);
        wsRuns[i]!.push(await wsSubscriberRun(k, messages, repo, home));
      }
    }
  } finally {
    removeDir(repo);
    removeDir(home);
  }
  const stdio = stdioRuns.map(medianRun);
  const ws = wsRuns.map(medianRun);
  const baseline = stdio[0]!;
  const first = ws[0]!;
  return {
    messages,
    reps,
    baseline,
    stdio,
    runs: ws.map((r, i) => ({
      ...r,
      ratio: r.cpuMicrosPerEvent / baseline.cpuMicrosPerEvent,
      ratioSameK: r.cpuMicrosPerEvent / stdio[i]!.cpuMicrosPerEvent,
      cpuMicrosPerEventPerSubscriber: r === first ? null : (r.cpuMicrosPerEvent - first.cpuMicrosPerEvent) / (r.subscribers - first.subscribers),
    })),
    samples: counts.map((k, i) => ({ subscribers: k, stdio: stdioRuns[i]!.map((r) => r.cpuMicrosPerEvent), ws: wsRuns[i]!.map((r) => r.cpuMicrosPerEvent) })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Figure 3: memory per idle connection.

export interface IdleConnectionsSample {
  beforeMb: number;
  afterMb: number;
  bytesPerConnection: number;
}

export interface WsIdleConnectionsResult {
  connections: number;
  reps: number;
  orchd: IdleConnectionsSample[];
  echo: IdleConnectionsSample[];
  /** Medians over the reps. */
  orchdBytesPerConnection: number;
  echoBytesPerConnection: number;
  ratio: number;
}

const rssBytes = (pid: number): number => procStatusMb(pid, 'VmRSS') * 1024 * 1024;

/**
 * With one control connection open and initialized (so every handler the idle connections touch is already loaded),
 * the server's RSS; then `connections` more, each initialized, one more round trip on every one of them so the
 * server has finished with all of them, and its RSS again.
 */
async function idleConnections(service: Service, connections: number, method: string): Promise<IdleConnectionsSample> {
  const clients: WsRpc[] = [];
  try {
    const control = await initialized('bench control', service);
    clients.push(control);
    await control.request(method, {});
    const before = rssBytes(service.process.pid);
    for (let i = 0; i < connections; i++) clients.push(await initialized(`bench idle ${i + 1}`, service));
    await Promise.all(clients.map((c) => c.request(method, {})));
    const after = rssBytes(service.process.pid);
    return { beforeMb: before / 2 ** 20, afterMb: after / 2 ** 20, bytesPerConnection: (after - before) / connections };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

export async function benchWsIdleConnections(connections: number, reps: number): Promise<WsIdleConnectionsResult> {
  const orchd: IdleConnectionsSample[] = [];
  const echo: IdleConnectionsSample[] = [];
  for (let i = 0; i < reps; i++) {
    const dataDir = tempDir('orchd-bench-ws-idle-');
    const children: Child[] = [];
    let disarm = () => {};
    try {
      const [serve, bare] = await spawnBoth(dataDir);
      children.push(serve.process, bare.process);
      disarm = watchdog(2 * 60_000, children, 'the idle-connection run');
      // One after the other, so the two servers do not compete for the CPU while their connections are set up.
      orchd.push(await idleConnections(serve, connections, 'project/list'));
      echo.push(await idleConnections(bare, connections, 'echo'));
    } finally {
      disarm();
      await Promise.all(children.map((c) => c.stop()));
      removeDir(dataDir);
    }
  }
  const orchdBytes = median(orchd.map((s) => s.bytesPerConnection));
  const echoBytes = median(echo.map((s) => s.bytesPerConnection));
  return { connections, reps, orchd, echo, orchdBytesPerConnection: orchdBytes, echoBytesPerConnection: echoBytes, ratio: orchdBytes / echoBytes };
}

// ---------------------------------------------------------------------------------------------------------------

export interface WsResult {
  roundTrip: WsRoundTripResult;
  subscribers: WsSubscribersResult;
  idleConnections: WsIdleConnectionsResult;
}

export async function benchWs(options: { requests: number; counts: number[]; messages: number; subscriberReps: number; connections: number; idleReps: number }): Promise<WsResult> {
  progress('ws: round trip');
  const roundTrip = await benchWsRoundTrip(options.requests);
  const subscribers = await benchWsSubscribers(options.counts, options.messages, options.subscriberReps);
  progress(`ws: ${options.connections} idle connections`);
  const idleConnections = await benchWsIdleConnections(options.connections, options.idleReps);
  return { roundTrip, subscribers, idleConnections };
}
