// Facts about processes read from /proc (Linux): CPU time, RSS, liveness, and processes carrying a marker.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  state: string;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

/** /proc/<pid>/stat, or undefined once the process is gone. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may contain spaces: split after the last `)`.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/** True while the process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** The clock ticks per second used by /proc (USER_HZ; 100 on every Linux this runs on). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Resident set size in KiB, or 0 once the process is gone. */
export function rssKb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

export interface MarkedProcess {
  pid: number;
  pgid: number;
  cmdline: string;
}

/** Live (non-zombie) processes whose environment contains `NAME=value`, except those in `exclude`. */
export function processesWithEnv(name: string, value: string, exclude: readonly number[] = []): MarkedProcess[] {
  const needle = `${name}=${value}`;
  const found: MarkedProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (exclude.includes(pid) || pid === process.pid) continue;
    let environ: string;
    let stat: string;
    let cmdline: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue; // gone, or not ours
    }
    if (!environ.split('\0').includes(needle)) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') continue;
    found.push({ pid, pgid: Number(fields[2]), cmdline });
  }
  return found;
}
