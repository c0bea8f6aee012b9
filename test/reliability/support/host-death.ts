// Host death: a stand-in host (host-parent.mjs) spawns the daemon with stdio piped, then is SIGKILLed; the daemon
// must notice, exit within a bound, and not spin meanwhile; SIGTERM must always end it.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../support/client.js';
import { DAEMON_BIN } from './raw-daemon.js';
import { PROTOCOL_VERSION } from '../../../protocol/version.js';
import { CLOCK_TICKS_PER_SECOND, isRunning, procStat } from './proc.js';

/** How long an orphaned daemon may live after its host died (the goal is about a second; this is generous for a busy machine). */
export const HOST_DEATH_EXIT_BOUND_MS = 10_000;
/** How long SIGTERM may take to end the daemon. */
export const SIGTERM_EXIT_BOUND_MS = 10_000;
/** CPU time an orphan may burn before it is gone (shutting down costs far less; a spinning daemon burns ~0.8 s per second). */
export const MAX_CPU_MS_WHILE_ORPHANED = 2_000;
/** How long the stand-in host may take to start the daemon and see its first reply. */
const START_BOUND_MS = 60_000;

const PARENT_SCRIPT = fileURLToPath(new URL('./host-parent.mjs', import.meta.url));

export interface HostDeathCase {
  /** `none`: the host dies before initialize; `null`/`pid`: after initialize with that processId. */
  initialize: 'none' | 'null' | 'pid';
  stderr: 'pipe' | 'ignore';
}

export interface HostDeathResult {
  daemonPid: number;
  /** ms from the host's death to the daemon's exit; undefined when it outlived HOST_DEATH_EXIT_BOUND_MS. */
  exitedAfterMs: number | undefined;
  /** CPU time the daemon used from the host's death until it exited or the bound passed. */
  cpuMsWhileOrphaned: number;
  /** When it outlived the bound: did SIGTERM end it within SIGTERM_EXIT_BOUND_MS? */
  sigtermEnded: boolean | undefined;
}

async function waitGone(pid: number, boundMs: number, onSample: () => void): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < boundMs) {
    onSample();
    if (!isRunning(pid)) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  onSample();
  return isRunning(pid) ? undefined : Date.now() - started;
}

/** Start the stand-in host and return the daemon's pid once it answered. */
async function startHost(c: HostDeathCase, dataDir: string) {
  const parent = spawn(process.execPath, [PARENT_SCRIPT, DAEMON_BIN, dataDir, c.initialize, c.stderr, String(PROTOCOL_VERSION)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const daemonPid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stand-in host did not report its daemon within ${START_BOUND_MS} ms`)), START_BOUND_MS);
    let out = '';
    parent.stdout!.on('data', (chunk) => {
      out += chunk.toString();
      const match = /ready (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    parent.on('exit', () => reject(new Error('the stand-in host exited early')));
  });
  return { parent, daemonPid };
}

/** SIGKILL the host and watch the daemon; SIGTERM it if it outlives the bound; SIGKILL it as a last resort. */
export async function runHostDeath(c: HostDeathCase): Promise<HostDeathResult> {
  const dataDir = tempDir('orchd-host-death-');
  const { parent, daemonPid } = await startHost(c, dataDir);
  const ticksAtDeath = procStat(daemonPid)?.cpuTicks ?? 0;
  let lastTicks = ticksAtDeath;
  const sample = () => {
    const stat = procStat(daemonPid);
    if (stat) lastTicks = stat.cpuTicks;
  };
  parent.kill('SIGKILL');
  try {
    const exitedAfterMs = await waitGone(daemonPid, HOST_DEATH_EXIT_BOUND_MS, sample);
    const cpuMsWhileOrphaned = ((lastTicks - ticksAtDeath) * 1000) / CLOCK_TICKS_PER_SECOND;
    let sigtermEnded: boolean | undefined;
    if (exitedAfterMs === undefined) {
      process.kill(daemonPid, 'SIGTERM');
      sigtermEnded = (await waitGone(daemonPid, SIGTERM_EXIT_BOUND_MS, () => {})) !== undefined;
    }
    return { daemonPid, exitedAfterMs, cpuMsWhileOrphaned, sigtermEnded };
  } finally {
    if (isRunning(daemonPid)) process.kill(daemonPid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** With the host alive (stdio piped), SIGTERM the daemon: resolves with ms until it was gone, or undefined. */
export async function runSigtermWithLiveHost(c: HostDeathCase): Promise<number | undefined> {
  const dataDir = tempDir('orchd-sigterm-');
  const { parent, daemonPid } = await startHost(c, dataDir);
  try {
    process.kill(daemonPid, 'SIGTERM');
    return await waitGone(daemonPid, SIGTERM_EXIT_BOUND_MS, () => {});
  } finally {
    if (isRunning(daemonPid)) process.kill(daemonPid, 'SIGKILL');
    parent.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}
