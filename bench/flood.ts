// Issue 11 figure: how long a host waits for a no-op request (`project/list {}`) while N scripted agents flood
// output through orchd and the host consumes every event, against the echo server's `echo` while the same N floods
// run as plain processes writing into a drained pipe (the same machine load, no orchd), and against a relay server
// delivering the same floods to the same host at the rate orchd reached (bench/relay-server.mjs: the host's own cost of
// taking that stream, no orchd); daemon peak RSS meanwhile. bench/trace-hook.mjs in the daemon splits each request's
// wait into its parts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeRepo } from './repo.js';
import { watchPeakRss } from './rss.js';
import { BENCH_NODE_ARGS, INITIALIZE, ORCHD, progress, removeDir, ROOT, sleep, spawnEcho, spawnServer, tempDir, watchdog, type Server } from './spawn.js';
import { summarise, type Summary } from './stats.js';
import { cpuSeconds } from './subscribers.js';

export const FAKE_AGENT = join(ROOT, 'fixtures', 'fake-agent', 'fake-agent.mjs');

/** Messages per flooding agent: more than any window lets it write; the floods are killed when the window ends. */
const ENDLESS = 1_000_000_000;

/**
 * Each agent first waits (a Bash tool call polling for `gate`), then floods: every agent is started before any
 * floods, so starting N of them does not queue behind the others' output, and all floods begin together. The wait
 * also ends when the gate's directory is removed, so no agent can be left waiting.
 */
const floodPrompt = (gate: string) => `@bash while [ ! -e '${gate}' ] && [ -d '${dirname(gate)}' ]; do sleep 0.2; done\n@chatter ${ENDLESS}`;
/** How long the floods run before the window opens. */
const SETTLE_MS = 300;
const TRACE_HOOK = join(ROOT, 'bench', 'trace-hook.mjs');
const RELAY = join(ROOT, 'bench', 'relay-server.mjs');
/** Monotonic milliseconds, the clock bench/trace-hook.mjs stamps with in the daemon. */
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Where a request's time went (bench/trace-hook.mjs), and the daemon's GC over the window. */
export interface FloodTrace {
  /** Sent → its bytes handed to the daemon by its stdin (the daemon's loop iteration in progress, the pipe). */
  toReadMs: Summary;
  /** Read → the reply handed to the stdout socket. */
  inDaemonMs: Summary;
  /** Handed to stdout → the host has the reply (the events ahead of it in the pipe, the host's own loop). */
  toHostMs: Summary;
  /** GC pauses in the daemon: share of the window, the longest. */
  gcShare: number;
  gcMaxMs: number;
}

export interface FloodPoint {
  agents: number;
  /** CPU shares are of one core over the window: orchd's from /proc, the bench client's (which reads every event). */
  orchd: { ms: Summary; events: number; eventsPerSecond: number; peakRssMb: number; cpuShare: number; clientCpuShare: number };
  echo: { ms: Summary };
  /** The relay server's `echo` while it delivers the same floods to the same host at orchd's rate. */
  relay: { ms: Summary; eventsPerSecond: number };
  trace: FloodTrace | null;
  /** p99(orchd) / p99(echo) under the same number of floods. */
  ratioP99: number;
  /** p99(orchd) / p99(relay). */
  ratioRelayP99: number;
  pass: boolean;
  passRelay: boolean;
}

export interface FloodResult {
  windowMs: number;
  /** Both servers idle (orchd with one project and a workspace), before any flood; alternating blocks of 100. */
  idle: { requests: number; orchdMs: Summary; echoMs: Summary; targetP99Ms: number; pass: boolean };
  points: FloodPoint[];
  /** Daemon peak RSS during the 8-agent flood (null when 8 is not among the agent counts). */
  rss: { agents: number; peakMb: number; targetMb: number; pass: boolean } | null;
  targets: { ratioP99: number; idleP99Ms: number; rssMb: number };
}

const elapsed = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** One project on `repo` with `count` workspaces (one task each); returns their ids in creation order. */
export async function createWorkspaces(server: Server, repo: string, count: number, settings: { autoCommit: boolean }): Promise<{ projectId: string; workspaceIds: string[] }> {
  const { project } = await server.request<{ project: { id: string } }>('project/create', { name: 'bench', repositories: [{ path: repo }], settings });
  const workspaceIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const { task } = await server.request<{ task: { id: string } }>('task/create', { projectId: project.id, title: `bench ${i + 1}` });
    const { workspace } = await server.request<{ workspace: { id: string } }>('workspace/create', { taskId: task.id });
    workspaceIds.push(workspace.id);
  }
  return { projectId: project.id, workspaceIds };
}

/** Sequential requests for `windowMs` (or exactly `count` when given), each timed from send to reply. */
async function sample(server: Server, method: string, params: unknown, limit: { windowMs?: number; count?: number }, into: number[], times?: [sent: number, received: number][]): Promise<void> {
  const started = performance.now();
  try {
    for (let i = 0; limit.count !== undefined ? i < limit.count : performance.now() - started < limit.windowMs!; i++) {
      const start = performance.now();
      const sent = monotonicMs();
      await server.rpc.sendRequest(method, params);
      into.push(performance.now() - start);
      times?.push([sent, monotonicMs()]);
    }
  } catch (error) {
    throw new Error(`\`${method}\` failed: ${(error as Error).message}\n${server.describe()}`, { cause: error });
  }
}

/** Both servers idle: `requests` each, alternating blocks of 100 after a warm-up. */
async function idleLatency(orchd: Server, echo: Server, requests: number): Promise<{ orchd: number[]; echo: number[] }> {
  const a: number[] = [];
  const b: number[] = [];
  await sample(orchd, 'project/list', {}, { count: 200 }, []);
  await sample(echo, 'echo', {}, { count: 200 }, []);
  for (let done = 0, turn = 0; done < requests; turn++, done += 100) {
    if (turn % 2 === 0) {
      await sample(orchd, 'project/list', {}, { count: 100 }, a);
      await sample(echo, 'echo', {}, { count: 100 }, b);
    } else {
      await sample(echo, 'echo', {}, { count: 100 }, b);
      await sample(orchd, 'project/list', {}, { count: 100 }, a);
    }
  }
  return { orchd: a, echo: b };
}

/**
 * `count` copies of the scripted agent flooding into a pipe that `cat` drains to /dev/null, each in its own process
 * group; resolves once every one has written its first byte. `stop()` kills the groups.
 */
async function plainFloods(count: number, cwd: string, home: string, gate: string): Promise<{ stop: () => Promise<void> }> {
  const children: ChildProcess[] = [];
  const closed: Promise<void>[] = [];
  const started: Promise<void>[] = [];
  // The first byte goes to stderr so the bench knows the flood is running; the rest is drained by `cat`.
  const script = '"$0" "$1" -p "$2" --output-format stream-json --verbose | { head -c 1 >&2; exec cat > /dev/null; }';
  for (let i = 0; i < count; i++) {
    const child = spawn('/bin/sh', ['-c', script, process.execPath, FAKE_AGENT, floodPrompt(gate)], {
      cwd,
      env: { ...process.env, FAKE_AGENT_HOME: home, NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    children.push(child);
    closed.push(new Promise((resolve) => child.once('close', () => resolve())));
    started.push(
      new Promise((resolve, reject) => {
        child.stderr!.once('data', () => resolve());
        child.once('close', (code) => reject(new Error(`a plain flood exited (code ${code}) before writing anything`)));
      }),
    );
  }
  const stop = async () => {
    for (const child of children) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.all(closed);
  };
  try {
    await Promise.all(started);
  } catch (error) {
    await stop();
    throw error;
  }
  writeFileSync(gate, '');
  await sleep(SETTLE_MS);
  return { stop };
}

/**
 * The daemon's timestamps (bench/trace-hook.mjs, written on SIGUSR2) joined with the bench's own for the window's
 * requests: the window's `project/list` requests are the last `times.length` the daemon read and answered.
 */
async function readTrace(server: Server, file: string, times: [number, number][]): Promise<FloodTrace | null> {
  process.kill(server.pid, 'SIGUSR2');
  for (let waited = 0; !existsSync(file); waited += 20) {
    if (waited > 5000) return null;
    await sleep(20);
  }
  let trace: { reads: [number, number][]; writes: [number, number][]; gcs: [number, number][] } | undefined;
  for (let waited = 0; !trace; waited += 20) {
    try {
      trace = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      if (waited > 5000) return null;
      await sleep(20); // still being written
    }
  }
  const written = new Map(trace.writes);
  const answered = trace.reads.filter(([id]) => written.has(id)).slice(-times.length);
  if (answered.length !== times.length) return null;
  const toRead: number[] = [];
  const inDaemon: number[] = [];
  const toHost: number[] = [];
  answered.forEach(([id, read], i) => {
    const [sent, received] = times[i]!;
    const out = written.get(id)!;
    toRead.push(read - sent);
    inDaemon.push(out - read);
    toHost.push(received - out);
  });
  const from = times[0]![0];
  const to = times[times.length - 1]![1];
  const pauses = trace.gcs.filter(([start]) => start >= from && start <= to).map(([, ms]) => ms);
  return {
    toReadMs: summarise(toRead),
    inDaemonMs: summarise(inDaemon),
    toHostMs: summarise(toHost),
    gcShare: pauses.reduce((a, b) => a + b, 0) / (to - from),
    gcMaxMs: Math.max(0, ...pauses),
  };
}

/**
 * The relay baseline: `count` flooding agents whose output bench/relay-server.mjs delivers to this host (subscribed
 * the same way, counting every event) at `eventsPerSecond`, while `echo` is timed for `windowMs`.
 */
async function relayFloods(count: number, eventsPerSecond: number, cwd: string, home: string, windowMs: number): Promise<{ ms: Summary; eventsPerSecond: number }> {
  const relay = spawnServer('relay', RELAY);
  const disarm = watchdog(2 * 60_000, [relay], `the ${count}-agent relay`);
  let pids: number[] = [];
  try {
    await relay.request('initialize', INITIALIZE);
    let events = 0;
    relay.rpc.onNotification('events/event', () => void events++);
    ({ pids } = await relay.request<{ pids: number[] }>('relay', {
      command: process.execPath,
      args: [FAKE_AGENT, '-p', `@chatter ${ENDLESS}`, '--output-format', 'stream-json', '--verbose'],
      cwd,
      env: { ...process.env, FAKE_AGENT_HOME: home, NODE_OPTIONS: '' },
      count,
      eventsPerSecond,
    }));
    await sleep(SETTLE_MS);
    const before = events;
    const start = performance.now();
    const samples: number[] = [];
    await sample(relay, 'echo', {}, { windowMs }, samples);
    return { ms: summarise(samples), eventsPerSecond: (events - before) / ((performance.now() - start) / 1000) };
  } finally {
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    disarm();
    await relay.close();
  }
}

/**
 * `session/start` in every workspace with the flooding prompt; resolves once every agent's flood reaches the host.
 * Bash runs without an approval (`bypassPermissions`) so the gate needs no answer.
 */
async function orchdFloods(server: Server, workspaceIds: string[], host: HostSubscriber, gate: string): Promise<void> {
  const started = workspaceIds.map((id) => host.firstOutput(id));
  const flooding = workspaceIds.map((id) => host.flooding(id));
  await Promise.all(
    workspaceIds.map((workspaceId) => server.request('session/start', { workspaceId, executor: 'scripted-agent', permissionMode: 'bypassPermissions', prompt: floodPrompt(gate) })),
  );
  await Promise.all(started);
  writeFileSync(gate, '');
  await Promise.all(flooding);
  await sleep(SETTLE_MS);
}

/**
 * Stop the floods the quickest way: SIGKILL the daemon, then the agents' process groups (a `session/stop` would
 * queue behind the floods' output, which is what is being measured, and take minutes with 32 agents).
 */
async function killFloods(server: Server, host: HostSubscriber): Promise<void> {
  server.child.kill('SIGKILL');
  await server.exited;
  for (const pgid of host.agentGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The host's one `events/subscribe {}`: counts every event and tracks each workspace's agent. */
interface HostSubscriber {
  count: number;
  /** Process groups of the agents started so far. */
  agentGroups: number[];
  /** The agent's first stdout reached the host. */
  firstOutput(workspaceId: string): Promise<void>;
  /** The agent's flood (past the gate) reached the host. */
  flooding(workspaceId: string): Promise<void>;
}

async function subscribeHost(server: Server): Promise<HostSubscriber> {
  const waiters = new Map<string, () => void>();
  const fired = new Set<string>();
  const wait = (key: string) => (fired.has(key) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(key, resolve)));
  const fire = (key: string) => {
    if (fired.has(key)) return;
    fired.add(key);
    waiters.get(key)?.();
    waiters.delete(key);
  };
  const host: HostSubscriber = {
    count: 0,
    agentGroups: [],
    firstOutput: (id) => wait(`output:${id}`),
    flooding: (id) => wait(`flooding:${id}`),
  };
  const floodLine = ` of ${ENDLESS}"`;
  server.rpc.onNotification('events/event', ({ event }: { event: { kind: string; workspaceId?: string; data: any } }) => {
    host.count++;
    if (event.kind === 'execution/output' && event.data.stream === 'stdout') {
      fire(`output:${event.workspaceId}`);
      if (event.data.text.includes(floodLine)) fire(`flooding:${event.workspaceId}`);
    } else if (event.kind === 'execution/started' && event.data.execution.runReason === 'codingAgent' && event.data.execution.pgid) {
      host.agentGroups.push(event.data.execution.pgid);
    }
  });
  await server.request('events/subscribe', {});
  return host;
}

/** Latency under 1, 8, 32 floods (or `agentCounts`), each against the echo server under the same plain floods. */
export async function benchFlood(agentCounts: number[], windowMs: number, idleRequests: number): Promise<FloodResult> {
  const repo = makeRepo(10);
  const home = tempDir('orchd-bench-agent-');
  const points: FloodPoint[] = [];
  let idle: FloodResult['idle'] | undefined;
  try {
    for (const agents of agentCounts) {
      const dataDir = tempDir('orchd-bench-flood-');
      const traceFile = join(dataDir, 'bench-trace.json');
      const orchd = spawnServer('orchd', ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir, FAKE_AGENT_HOME: home, ORCHD_BENCH_TRACE: traceFile }, [...BENCH_NODE_ARGS, `--import=${TRACE_HOOK}`]);
      const echo = spawnEcho();
      const disarm = watchdog(5 * 60_000, [orchd, echo], `the ${agents}-agent flood`);
      try {
        await Promise.all([orchd.request('initialize', INITIALIZE), echo.request('initialize', INITIALIZE)]);
        const setupStart = performance.now();
        const { workspaceIds } = await createWorkspaces(orchd, repo, agents, { autoCommit: false });
        progress(`flood: ${agents} workspaces created in ${elapsed(setupStart)}`);
        if (!idle) {
          const samples = await idleLatency(orchd, echo, idleRequests);
          const orchdMs = summarise(samples.orchd);
          idle = { requests: orchdMs.n, orchdMs, echoMs: summarise(samples.echo), targetP99Ms: 5, pass: orchdMs.p99 <= 5 };
        }

        progress(`flood: ${agents} plain floods + echo`);
        const echoSamples: number[] = [];
        const plainStart = performance.now();
        const plain = await plainFloods(agents, repo, home, join(home, `gate-plain-${agents}`));
        progress(`flood: ${agents} plain floods running after ${elapsed(plainStart)}`);
        try {
          await sample(echo, 'echo', {}, { windowMs }, echoSamples);
        } finally {
          await plain.stop();
        }

        progress(`flood: ${agents} agents through orchd`);
        const host = await subscribeHost(orchd);
        const rss = watchPeakRss(orchd.pid);
        const orchdSamples: number[] = [];
        const times: [number, number][] = [];
        let trace: FloodTrace | null = null;
        let events = 0;
        let seconds = 0;
        let cpuShare = 0;
        let clientCpuShare = 0;
        try {
          const floodStart = performance.now();
          try {
            await orchdFloods(orchd, workspaceIds, host, join(home, `gate-orchd-${agents}`));
            progress(`flood: ${agents} agents flooding after ${elapsed(floodStart)}`);
            const before = host.count;
            const cpuBefore = cpuSeconds(orchd.pid);
            const clientBefore = process.cpuUsage();
            const start = performance.now();
            await sample(orchd, 'project/list', {}, { windowMs }, orchdSamples, times);
            events = host.count - before;
            seconds = (performance.now() - start) / 1000;
            cpuShare = (cpuSeconds(orchd.pid) - cpuBefore) / seconds;
            const client = process.cpuUsage(clientBefore);
            clientCpuShare = (client.user + client.system) / 1e6 / seconds;
            trace = await readTrace(orchd, traceFile, times);
          } finally {
            await killFloods(orchd, host);
          }
          const orchdMs = summarise(orchdSamples);
          const echoMs = summarise(echoSamples);
          progress(`flood: ${agents} agents through the relay at ${Math.round(events / seconds)} events/s`);
          const relay = await relayFloods(agents, events / seconds, repo, home, windowMs);
          points.push({
            agents,
            orchd: { ms: orchdMs, events, eventsPerSecond: events / seconds, peakRssMb: rss.peakMb, cpuShare, clientCpuShare },
            echo: { ms: echoMs },
            relay,
            trace,
            ratioP99: orchdMs.p99 / echoMs.p99,
            ratioRelayP99: orchdMs.p99 / relay.ms.p99,
            pass: orchdMs.p99 / echoMs.p99 <= 2,
            passRelay: orchdMs.p99 / relay.ms.p99 <= 2,
          });
        } finally {
          rss.stop();
        }
      } finally {
        disarm();
        await Promise.all([orchd.close(), echo.close()]);
        removeDir(dataDir);
      }
    }
  } finally {
    removeDir(repo);
    removeDir(home);
  }
  const eight = points.find((p) => p.agents === 8);
  return {
    windowMs,
    idle: idle!,
    points,
    rss: eight ? { agents: 8, peakMb: eight.orchd.peakRssMb, targetMb: 200, pass: eight.orchd.peakRssMb <= 200 } : null,
    targets: { ratioP99: 2, idleP99Ms: 5, rssMb: 200 },
  };
}
