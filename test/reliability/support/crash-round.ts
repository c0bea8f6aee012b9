// One SIGKILL-mid-run round: agents flood output while a subscriber records what it received; the daemon is
// SIGKILLed, restarted on the same data directory, and then nothing acknowledged may be missing, no agent process
// may be left, no execution may still be `running`, and SQLite's integrity check must pass.
import { randomUUID, createHash } from 'node:crypto';
import { realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../../support/client.js';
import { makeRepo } from '../../support/repo.js';
import type { Rng } from './prng.js';
import { processesWithEnv, rssKb, type MarkedProcess } from './proc.js';
import { entity, RawDaemon } from './raw-daemon.js';

/** The environment variable that marks every process a round starts (the daemons and, through them, the agents). */
export const MARKER_ENV = 'ORCHD_RELIABILITY_MARKER';
/** How long the restarted daemon may take to remove a dead daemon's process groups. */
export const ORPHAN_BOUND_MS = 20_000;
/** How long a round may wait for agents to start flooding, and for a replay to catch up. */
export const ROUND_STEP_BOUND_MS = 120_000;

export interface CrashRoundOptions {
  rng: Rng;
  /** Agents flooding at once (1–3). */
  agents: number;
  /** Kill the daemon once the subscriber acknowledged this many `execution/output` events. */
  killAfterOutputEvents: number;
}

export interface CrashRoundResult {
  acknowledged: number;
  /** Marked processes alive right after the SIGKILL (the orphans recovery must remove: proves the check can see them). */
  orphansAtCrash: number;
  /** Agent executions that ran at the crash and read back `killed`. */
  killedAgents: number;
  /** Acknowledged events missing after the restart, or different. */
  lostAcknowledged: string[];
  orphans: MarkedProcess[];
  integrity: string;
  /** Executions left `running`, or agent executions that ran at the crash and are not `killed`. */
  badExecutions: string[];
  /** Requests that timed out or failed unexpectedly. */
  unanswered: string[];
  /** The first daemon died before the SIGKILL, or the second one did not exit cleanly. */
  crashes: string[];
  peakRssKb: number;
}

/** JSON with sorted keys, so events read back from SQLite compare equal to the live ones. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}

function digest(event: unknown): string {
  return createHash('sha1').update(canonical(event)).digest('hex');
}

async function until(check: () => boolean, what: string, boundMs: number, daemon: RawDaemon): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!check()) {
    if (!daemon.alive) throw new Error(`the daemon exited while waiting for ${what}\n${daemon.stderrTail()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${boundMs} ms waiting for ${what}\n${daemon.stderrTail()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Run one round in fresh temp directories; the result lists every problem found. */
export async function runCrashRound(options: CrashRoundOptions): Promise<CrashRoundResult> {
  const marker = randomUUID();
  const dataDir = tempDir('orchd-crash-data-');
  const workDir = tempDir('orchd-crash-cwd-');
  const agentHome = tempDir('orchd-crash-agent-');
  const repo = realpathSync(makeRepo({ 'README.md': '# crash\n' }));
  const env = { FAKE_AGENT_HOME: agentHome, [MARKER_ENV]: marker };
  const result: CrashRoundResult = { acknowledged: 0, orphansAtCrash: 0, killedAgents: 0, lostAcknowledged: [], orphans: [], integrity: 'not checked', badExecutions: [], unanswered: [], crashes: [], peakRssKb: 0 };
  const acknowledged = new Map<number, { kind: string; digest: string }>();
  const startedExecutions = new Set<string>();
  let outputEvents = 0;
  let grandchildren = 0;
  const first = new RawDaemon({ dataDir, cwd: workDir, env });
  let second: RawDaemon | undefined;
  const sampler = setInterval(() => (result.peakRssKb = Math.max(result.peakRssKb, rssKb(first.pid), second ? rssKb(second.pid) : 0)), 100);
  try {
    await first.initialize();
    const { subscriptionId } = await first.request('events/subscribe', {});
    first.onNotification = (method, params) => {
      if (method !== 'events/event' || params.subscriptionId !== subscriptionId) return;
      const event = params.event;
      acknowledged.set(event.seq, { kind: event.kind, digest: digest(event) });
      if (event.kind === 'execution/output') {
        outputEvents++;
        if (/started background process \d+/.test(event.data?.text ?? '')) grandchildren++;
      }
      if (event.kind === 'execution/started' && event.executionId) startedExecutions.add(event.executionId);
    };
    const project = entity(await first.request('project/create', { name: 'crash', repositories: [{ path: repo }] }), 'project');
    for (let i = 0; i < options.agents; i++) {
      const task = entity(await first.request('task/create', { projectId: project.id, title: `flood ${i}` }), 'task');
      const workspace = entity(await first.request('workspace/create', { taskId: task.id }), 'workspace');
      // A grandchild that outlives the daemon unless recovery kills the group, then output until killed.
      await first.request('session/start', { workspaceId: workspace.id, executor: 'scripted-agent', permissionMode: 'bypassPermissions', prompt: `@grandchild 600\n@flood 100000` });
    }
    // Counted in /proc, not from the event stream: with every agent flooding, the later agents' first lines queue behind
    // the earlier agents' output on the way to the subscriber (the event path's throughput is its own issue), and the
    // round is about crash consistency, not delivery latency.
    let scanned = { at: 0, count: 0 };
    const sleepers = () => {
      if (Date.now() - scanned.at >= 200) scanned = { at: Date.now(), count: processesWithEnv(MARKER_ENV, marker).filter((p) => /^sleep 600\b/.test(p.cmdline)).length };
      return scanned.count;
    };
    await until(() => Math.max(grandchildren, sleepers()) >= options.agents, `${options.agents} agents to start their grandchild`, ROUND_STEP_BOUND_MS, first);
    await until(() => outputEvents >= options.killAfterOutputEvents, `${options.killAfterOutputEvents} output events`, ROUND_STEP_BOUND_MS, first);
    if (!first.alive) result.crashes.push(`the daemon died before the SIGKILL\n${first.stderrTail()}`);
    await first.kill();
    result.acknowledged = acknowledged.size;
    result.orphansAtCrash = processesWithEnv(MARKER_ENV, marker).length;
    const running = [...startedExecutions];

    second = new RawDaemon({ dataDir, cwd: workDir, env });
    await second.initialize();
    // Replay from the start: every acknowledged event must be there, unchanged.
    const maxAcknowledged = Math.max(0, ...acknowledged.keys());
    const replayed = new Map<number, string>();
    let replayedUpTo = 0;
    // Listen before subscribing: the first replayed events can arrive in the same read as the subscribe reply, before
    // its promise continues. This daemon has no other subscription, so every events/event belongs to the replay.
    second.onNotification = (method, params) => {
      if (method !== 'events/event') return;
      replayedUpTo = Math.max(replayedUpTo, params.event.seq);
      if (acknowledged.has(params.event.seq)) replayed.set(params.event.seq, digest(params.event));
    };
    const replay = await second.request('events/subscribe', { sinceSeq: 0 });
    await until(() => replayedUpTo >= maxAcknowledged, `the replay to reach seq ${maxAcknowledged}`, ROUND_STEP_BOUND_MS, second);
    await second.request('events/unsubscribe', { subscriptionId: replay.subscriptionId });
    for (const [seq, seen] of acknowledged) {
      const back = replayed.get(seq);
      if (back === undefined) result.lostAcknowledged.push(`seq ${seq} (${seen.kind}) is missing after the restart`);
      else if (back !== seen.digest) result.lostAcknowledged.push(`seq ${seq} (${seen.kind}) reads back different after the restart`);
    }

    // No execution is left running; the agents that ran at the crash are killed.
    const { executions } = await second.request('execution/list', {});
    // Every agent was seen running (its grandchild alive) before the kill, even one whose `execution/started` had not
    // reached the subscriber yet, so every agent execution in the log ran at the crash.
    for (const execution of executions as any[]) if (execution.runReason === 'codingAgent' && !running.includes(execution.id)) running.push(execution.id);
    for (const execution of executions as any[]) {
      if (running.includes(execution.id) && execution.runReason === 'codingAgent' && execution.status === 'killed') result.killedAgents++;
      if (execution.status === 'running') result.badExecutions.push(`${execution.id} is still \`running\` after recovery`);
      else if (running.includes(execution.id) && execution.runReason === 'codingAgent' && execution.status !== 'killed') {
        result.badExecutions.push(`${execution.id} ran at the crash but is \`${execution.status}\` (${execution.reason ?? 'no reason'})`);
      }
    }
    for (const id of running) if (!(executions as any[]).some((e) => e.id === id)) result.badExecutions.push(`${id} started before the crash but is not listed`);

    // No process of the first daemon's agents is left (recovery kills the groups; give it a bound).
    const secondPid = second.pid;
    const deadline = Date.now() + ORPHAN_BOUND_MS;
    let left = processesWithEnv(MARKER_ENV, marker, [secondPid]);
    while (left.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      left = processesWithEnv(MARKER_ENV, marker, [secondPid]);
    }
    result.orphans = left;

    const exit = await second.stop();
    if (exit.code !== 0) result.crashes.push(`the restarted daemon ended with ${JSON.stringify(exit)} after shutdown + exit\n${second.stderrTail()}`);
    result.integrity = checkIntegrity(join(dataDir, 'orchd.sqlite'));
  } catch (error) {
    result.unanswered.push((error as Error).message);
  } finally {
    clearInterval(sampler);
    for (const daemon of [first, second]) if (daemon?.alive) await daemon.kill();
    // Never leave processes behind, whatever the round found.
    for (const orphan of processesWithEnv(MARKER_ENV, marker)) {
      try {
        process.kill(-orphan.pgid, 'SIGKILL');
      } catch {
        try {
          process.kill(orphan.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    for (const dir of [dataDir, workDir, agentHome, repo]) rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/** `PRAGMA integrity_check` on a database no daemon has open: `ok`, or what it reports. */
export function checkIntegrity(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

/** Everything wrong with a round, one line each (empty when the round passed). */
export function roundProblems(result: CrashRoundResult): string[] {
  return [
    ...result.crashes.map((c) => `crash: ${c}`),
    ...result.unanswered.map((u) => `unanswered: ${u}`),
    ...result.lostAcknowledged.map((l) => `lost: ${l}`),
    ...result.orphans.map((o) => `orphan: pid ${o.pid} (group ${o.pgid}) ${o.cmdline.slice(0, 160)}`),
    ...(result.integrity === 'ok' ? [] : [`integrity: ${result.integrity}`]),
    ...result.badExecutions.map((b) => `execution: ${b}`),
  ];
}
