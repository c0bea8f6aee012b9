// A subscriber that stops reading for a while as agents emit many lines: the daemon must keep serving (a second
// daemon on the same data directory answers, and requests written meanwhile are answered after the stall), its
// memory must stay bounded, and after resuming the subscriber receives every event in order with no gap.
import { realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../../support/client.js';
import { makeRepo } from '../../support/repo.js';
import { rssKb } from './proc.js';
import { entity, RawDaemon } from './raw-daemon.js';

/** How long any probe request may take while the subscriber is stalled. */
export const PROBE_TIMEOUT_MS = 30_000;
/** How long the agents and the catch-up may take once the subscriber reads again. */
const DRAIN_BOUND_MS = 30 * 60_000;

export interface StallOptions {
  agents: number;
  /** Lines emitted in total (by each session's setup step, `seq`, through the same runner and output path as the agent). */
  lines: number;
  /** Agent flood per session, in MB (8 KiB lines). */
  floodMb: number;
  stallMs: number;
  log?: (line: string) => void;
}

export interface StallResult {
  eventsReceived: number;
  /** Events missing from, extra in, or out of order in what the subscriber received, compared with the log. */
  gaps: string[];
  /** Probes that failed or timed out (during the stall on the observer; after it on the stalled connection). */
  unansweredProbes: string[];
  probesAnswered: number;
  peakRssKb: number;
  /** RSS of the stalled daemon at the end of the stall. */
  rssAtStallEndKb: number;
}

/** Run the stalled-subscriber scenario in fresh temp directories. */
export async function runStalledSubscriber(options: StallOptions): Promise<StallResult> {
  const log = options.log ?? (() => {});
  const dataDir = tempDir('orchd-stall-data-');
  const workDir = tempDir('orchd-stall-cwd-');
  const agentHome = tempDir('orchd-stall-agent-');
  const repo = realpathSync(makeRepo({ 'README.md': '# stall\n' }));
  const daemon = new RawDaemon({ dataDir, cwd: workDir, env: { FAKE_AGENT_HOME: agentHome } });
  let observer: RawDaemon | undefined;
  const result: StallResult = { eventsReceived: 0, gaps: [], unansweredProbes: [], probesAnswered: 0, peakRssKb: 0, rssAtStallEndKb: 0 };
  const sampler = setInterval(() => (result.peakRssKb = Math.max(result.peakRssKb, rssKb(daemon.pid))), 100);
  const received: number[] = [];
  try {
    await daemon.initialize();
    const { subscriptionId } = await daemon.request('events/subscribe', { sinceSeq: 0 });
    let outOfOrder = 0;
    daemon.onNotification = (method, params) => {
      if (method !== 'events/event' || params.subscriptionId !== subscriptionId) return;
      const seq = params.event.seq as number;
      if (received.length && seq <= received[received.length - 1]!) outOfOrder++;
      received.push(seq);
    };
    const perSession = Math.ceil(options.lines / options.agents);
    const project = await daemon.request('project/create', { name: 'stall', repositories: [{ path: repo }], scripts: { setup: [{ command: `seq 1 ${perSession}`, name: 'lines' }] } });
    const projectId = entity(project, 'project').id;
    const sessions: string[] = [];
    for (let i = 0; i < options.agents; i++) {
      const task = await daemon.request('task/create', { projectId, title: `stall ${i}` });
      const workspace = await daemon.request('workspace/create', { taskId: entity(task, 'task').id });
      const started = await daemon.request('session/start', { workspaceId: entity(workspace, 'workspace').id, executor: 'scripted-agent', prompt: `@flood ${options.floodMb}` });
      sessions.push(entity(started, 'session').id);
    }
    // Stop reading stdout; keep writing requests to the stalled connection; probe through a second daemon.
    daemon.child.stdout!.pause();
    log(`stall: subscriber stopped reading for ${options.stallMs} ms`);
    observer = new RawDaemon({ dataDir, cwd: workDir, env: { FAKE_AGENT_HOME: agentHome } });
    await observer.initialize();
    const stalledProbes: number[] = [];
    const stallEnds = Date.now() + options.stallMs;
    while (Date.now() < stallEnds) {
      const id = daemon.freshId();
      stalledProbes.push(id);
      await daemon.write(`Content-Length: ${JSON.stringify({ jsonrpc: '2.0', id, method: 'project/list', params: {} }).length}\r\n\r\n${JSON.stringify({ jsonrpc: '2.0', id, method: 'project/list', params: {} })}`);
      try {
        await observer.request('execution/list', {}, PROBE_TIMEOUT_MS);
        result.probesAnswered++;
      } catch (error) {
        result.unansweredProbes.push(`observer \`execution/list\` during the stall: ${(error as Error).message.split('\n')[0]}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    result.rssAtStallEndKb = rssKb(daemon.pid);
    daemon.child.stdout!.resume();
    log(`stall: resumed (RSS ${Math.round(result.rssAtStallEndKb / 1024)} MB); waiting for the agents`);
    for (const id of stalledProbes) {
      try {
        await daemon.waitForReply(id, DRAIN_BOUND_MS, 'a request written during the stall');
        result.probesAnswered++;
      } catch (error) {
        result.unansweredProbes.push(`stalled connection \`project/list\` ${id}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    // Wait until every session is idle again, then until the subscriber caught up with the log.
    const deadline = Date.now() + DRAIN_BOUND_MS;
    for (;;) {
      const { sessions: list } = await observer.request('session/list', {}, PROBE_TIMEOUT_MS);
      if ((list as any[]).every((s) => s.status === 'idle')) break;
      if (Date.now() > deadline) throw new Error('the sessions did not finish in time');
      await new Promise((r) => setTimeout(r, 500));
    }
    const probe = await daemon.request('events/subscribe', {}, PROBE_TIMEOUT_MS);
    await daemon.request('events/unsubscribe', { subscriptionId: probe.subscriptionId }, PROBE_TIMEOUT_MS);
    while ((received.at(-1) ?? 0) < probe.currentSeq) {
      if (Date.now() > deadline || !daemon.alive) throw new Error(`the subscriber did not catch up to seq ${probe.currentSeq} (at ${received.at(-1)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    result.eventsReceived = received.length;
    if (outOfOrder) result.gaps.push(`${outOfOrder} events arrived out of order`);
    await observer.stop();
    await daemon.stop();
    // Compare with the log itself: exactly the seqs after the subscription's start, up to the catch-up point.
    const db = new Database(join(dataDir, 'orchd.sqlite'), { readonly: true });
    try {
      const seqs = (db.prepare('select seq from events where seq > ? and seq <= ? order by seq').all(0, probe.currentSeq) as { seq: number }[]).map((r) => r.seq);
      const got = new Set(received);
      const inLog = new Set(seqs);
      const missing = seqs.filter((seq) => !got.has(seq));
      const extra = received.filter((seq) => seq <= probe.currentSeq && !inLog.has(seq)).length;
      if (missing.length) result.gaps.push(`${missing.length} events in the log never reached the subscriber (first: ${missing.slice(0, 5).join(', ')})`);
      if (received.length !== got.size) result.gaps.push(`${received.length - got.size} events were delivered twice`);
      if (extra) result.gaps.push(`${extra} events received that the log does not hold`);
    } finally {
      db.close();
    }
  } catch (error) {
    result.unansweredProbes.push((error as Error).message);
  } finally {
    clearInterval(sampler);
    for (const d of [daemon, observer]) if (d?.alive) await d.kill();
    for (const dir of [dataDir, workDir, agentHome, repo]) rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
