// Idle RSS: orchd after `initialize` and ~1 s idle, against the echo server in the same state, a few times.
import { readFileSync } from 'node:fs';
import { INITIALIZE, removeDir, sleep, spawnEcho, spawnOrchd, tempDir } from './spawn.js';
import { median } from './stats.js';

/** A field of /proc/<pid>/status in MB (VmRSS: resident now, VmHWM: peak resident). Linux only. */
export function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

export const rssMb = (pid: number): number => procStatusMb(pid, 'VmRSS');

/** Sample a process's RSS every `everyMs` until `stop()`; `peakMb` is the highest seen (a process gone is skipped). */
export function watchPeakRss(pid: number, everyMs = 25): { readonly peakMb: number; stop(): void } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // gone: whatever drives the process reports it
    }
  }, everyMs);
  return {
    get peakMb() {
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

export interface RssResult {
  reps: number;
  idleMs: number;
  orchdMb: number;
  echoMb: number;
  /** Peak RSS while starting, for reference. */
  orchdPeakMb: number;
  echoPeakMb: number;
  samples: { orchdMb: number[]; echoMb: number[] };
  ratio: number;
  targetMb: number;
  pass: boolean;
}

export async function benchIdleRss(reps = 3, idleMs = 1000): Promise<RssResult> {
  const orchd: number[] = [];
  const echo: number[] = [];
  const orchdPeak: number[] = [];
  const echoPeak: number[] = [];
  for (let i = 0; i < reps; i++) {
    const dataDir = tempDir('orchd-bench-rss-');
    const a = spawnOrchd(dataDir);
    const b = spawnEcho();
    try {
      await Promise.all([a.request('initialize', INITIALIZE), b.request('initialize', INITIALIZE)]);
      await sleep(idleMs);
      orchd.push(rssMb(a.pid));
      echo.push(rssMb(b.pid));
      orchdPeak.push(procStatusMb(a.pid, 'VmHWM'));
      echoPeak.push(procStatusMb(b.pid, 'VmHWM'));
    } finally {
      await Promise.all([a.close(), b.close()]);
      removeDir(dataDir);
    }
  }
  const orchdMb = median(orchd);
  const echoMb = median(echo);
  return {
    reps,
    idleMs,
    orchdMb,
    echoMb,
    orchdPeakMb: median(orchdPeak),
    echoPeakMb: median(echoPeak),
    samples: { orchdMb: orchd, echoMb: echo },
    ratio: orchdMb / echoMb,
    targetMb: 80,
    pass: orchdMb <= 80,
  };
}
