// Issue 11 figure: what each extra subscriber costs the daemon. One scripted agent writes a fixed number of short
// messages (`@chatter N`) while K unfiltered subscriptions (`events/subscribe {}`) receive every event; orchd's CPU
// time (utime + stime from /proc/<pid>/stat) per logged event, against the same run with one subscriber.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createWorkspaces } from './flood.js';
import { makeRepo } from './repo.js';
import { BENCH_NODE_ARGS, INITIALIZE, ORCHD, progress, removeDir, spawnServer, tempDir, watchdog } from './spawn.js';

export interface SubscriberRun {
  subscribers: number;
  /** Events in the log from `session/start` to the agent's `execution/exited` (what one subscriber receives). */
  events: number;
  /** `events/event` notifications received, over all subscriptions. */
  notifications: number;
  seconds: number;
  cpuSeconds: number;
  /** orchd CPU per logged event. */
  cpuMicrosPerEvent: number;
  /** orchd CPU per delivered notification. */
  cpuMicrosPerNotification: number;
}

export interface SubscribersResult {
  messages: number;
  runs: SubscriberRun[];
  /** The one-subscriber run: the baseline. */
  baseline: SubscriberRun;
  /** Per K > 1: (µs/event(K) − µs/event(1)) / (K − 1), the CPU one more subscriber adds per event. */
  marginal: { subscribers: number; cpuMicrosPerEventPerSubscriber: number; ratio: number }[];
}

let clockTicks: number | undefined;

/** Kernel clock ticks per second (the unit of /proc/<pid>/stat's CPU times). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds a process has used so far, from /proc/<pid>/stat. Linux only. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** /proc/<pid>/stat after the command name (which may hold spaces), from field 3 (state): utime is field 14, stime 15. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds (user + system) of `pid`'s children that have exited and been waited for (/proc: cutime + cstime). */
export function childrenCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // cutime is field 16, cstime 17.
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond();
}

async function run(subscribers: number, messages: number, repo: string, home: string): Promise<SubscriberRun> {
  const dataDir = tempDir('orchd-bench-subs-');
  const server = spawnServer('orchd', ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir, FAKE_AGENT_HOME: home }, BENCH_NODE_ARGS);
  const disarm = watchdog(5 * 60_000, [server], `the ${subscribers}-subscriber run`);
  try {
    await server.request('initialize', INITIALIZE);
    const { workspaceIds } = await createWorkspaces(server, repo, 1, { autoCommit: false });
    const perSubscription = new Map<string, number>();
    const finished = new Set<string>();
    let notifications = 0;
    let exitedIn = 0;
    let allExited!: () => void;
    const done = new Promise<void>((resolve) => (allExited = resolve));
    let counting = false;
    server.rpc.onNotification('events/event', ({ subscriptionId, event }: { subscriptionId: string; event: { kind: string; data: any } }) => {
      // Each subscription counts up to and including the agent's exit; later events (the session going idle) are not
      // part of the measured flood.
      if (!counting || finished.has(subscriptionId)) return;
      notifications++;
      perSubscription.set(subscriptionId, (perSubscription.get(subscriptionId) ?? 0) + 1);
      if (event.kind === 'execution/exited' && event.data.execution.runReason === 'codingAgent') {
        finished.add(subscriptionId);
        if (++exitedIn === subscribers) allExited();
      }
    });
    for (let i = 0; i < subscribers; i++) await server.request('events/subscribe', {});
    counting = true;
    const cpuBefore = cpuSeconds(server.pid);
    const start = performance.now();
    await server.request('session/start', { workspaceId: workspaceIds[0], executor: 'scripted-agent', prompt: `@chatter ${messages}` });
    await done;
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const counts = [...perSubscription.values()];
    if (counts.length !== subscribers || counts.some((c) => c !== counts[0])) {
      throw new Error(`expected ${subscribers} subscriptions to receive the same events, got counts ${JSON.stringify(counts)}`);
    }
    const events = counts[0]!;
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
    await server.close();
    removeDir(dataDir);
  }
}

/** One run per subscriber count, each on a fresh daemon; the first count is the baseline. */
export async function benchSubscribers(counts: number[], messages: number): Promise<SubscribersResult> {
  const repo = makeRepo(10);
  const home = tempDir('orchd-bench-agent-');
  const runs: SubscriberRun[] = [];
  try {
    for (const k of counts) {
      progress(`subscribers: ${k}`);
      runs.push(await run(k, messages, repo, home));
    }
  } finally {
    removeDir(repo);
    removeDir(home);
  }
  const baseline = runs[0]!;
  return {
    messages,
    runs,
    baseline,
    marginal: runs
      .filter((r) => r.subscribers > baseline.subscribers)
      .map((r) => ({
        subscribers: r.subscribers,
        cpuMicrosPerEventPerSubscriber: (r.cpuMicrosPerEvent - baseline.cpuMicrosPerEvent) / (r.subscribers - baseline.subscribers),
        ratio: r.cpuMicrosPerEvent / baseline.cpuMicrosPerEvent,
      })),
  };
}
