// Process identity (pid + start time + boot id, so a reused pid is never mistaken for ours) and stopping a whole
// process group with escalation: graceful hook → SIGINT → SIGTERM → SIGKILL.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  startTicks: string;
  bootId: string;
}

let bootIdCache: string | undefined;

function bootId(): string {
  bootIdCache ??= (() => {
    try {
      return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      return 'unknown';
    }
  })();
  return bootIdCache;
}

interface StatFields {
  /** Field 3: R, S, D, Z (a zombie: exited, not yet reaped by its parent), ... */
  state: string;
  pgrp: number;
  startTicks: string;
}

/** Parse /proc/<pid>/stat; the command name is in parentheses and may itself hold spaces and parentheses. */
export function parseStat(text: string): StatFields | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): pgrp is field 5, starttime field 22.
  const pgrp = Number(rest[2]);
  const startTicks = rest[19];
  if (!Number.isInteger(pgrp) || startTicks === undefined) return null;
  return { state: rest[0] ?? '', pgrp, startTicks };
}

function readStat(pid: number): StatFields | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The identity of a live process, or null (gone, or not Linux). */
export function processIdentity(pid: number): ProcessIdentity | null {
  const stat = readStat(pid);
  return stat ? { pid, startTicks: stat.startTicks, bootId: bootId() } : null;
}

/** This daemon's own identity, recorded as the owner of every execution it starts. */
export function daemonIdentity(): { pid: number; startTicks: string | null } {
  return { pid: process.pid, startTicks: processIdentity(process.pid)?.startTicks ?? null };
}

/**
 * True when the process with this identity is still the same live process (same pid, start time and boot). A zombie
 * has exited (only its parent has not reaped it yet), so it does not count: it holds no lock and serves nothing.
 */
export function isSameProcess(identity: { pid: number; startTicks: string | null; bootId?: string | null }): boolean {
  if (identity.startTicks === null) return false;
  if (identity.bootId && identity.bootId !== bootId()) return false;
  const stat = readStat(identity.pid);
  return stat !== null && stat.state !== 'Z' && stat.startTicks === identity.startTicks;
}

/**
 * Resolve once a child forked by this process has left this process's group (its own setsid() or setpgid() has run),
 * or has exited; at once without /proc. node-pty returns right after fork(), while the child is still in orchd's
 * group: a stop or signal sent to the child's group then would find no such group.
 */
export async function untilOwnGroup(pid: number, boundMs = 5000): Promise<void> {
  const ours = readStat(process.pid)?.pgrp;
  if (ours === undefined) return;
  const deadline = Date.now() + boundMs;
  for (;;) {
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z' || stat.pgrp !== ours || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Live members of process group `pgid` (read from /proc), with their start times. */
export function groupMembers(pgid: number): { pid: number; startTicks: string }[] {
  const members: { pid: number; startTicks: string }[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgrp === pgid) members.push({ pid: Number(entry), startTicks: stat.startTicks });
  }
  return members;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

async function waitForGroupExit(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

export interface StopOptions {
  /** Asked first (for example: write an interrupt message to the agent's stdin). */
  graceful?: (() => void) | undefined;
  gracefulMs?: number;
  intMs?: number;
  termMs?: number;
}

export type StopStep = 'alreadyGone' | 'graceful' | 'SIGINT' | 'SIGTERM' | 'SIGKILL';

/** Stop every process in the group, escalating until none is left; returns the step that ended it. */
export async function stopProcessGroup(pgid: number, options: StopOptions = {}): Promise<StopStep> {
  if (!groupAlive(pgid)) return 'alreadyGone';
  if (options.graceful) {
    options.graceful();
    if (await waitForGroupExit(pgid, options.gracefulMs ?? 2000)) return 'graceful';
  }
  signalGroup(pgid, 'SIGINT');
  if (await waitForGroupExit(pgid, options.intMs ?? 2000)) return 'SIGINT';
  signalGroup(pgid, 'SIGTERM');
  if (await waitForGroupExit(pgid, options.termMs ?? 2000)) return 'SIGTERM';
  signalGroup(pgid, 'SIGKILL');
  await waitForGroupExit(pgid, 5000);
  return 'SIGKILL';
}

/**
 * After a crash: kill what is left of a group orchd started, identified by its leader's persisted identity.
 * When the leader still runs, its start time must match. When the leader is gone, only group members that started
 * at or after it are ours (a reused pgid would belong to processes started later by someone else, whose own leader
 * would then be alive with a different start time, so that case is refused above).
 */
export async function killLeftoverGroup(identity: { pid: number; startTicks: string | null; bootId: string | null }): Promise<'killed' | 'gone' | 'refused'> {
  if (identity.startTicks === null || (identity.bootId && identity.bootId !== bootId())) return 'gone';
  const leader = readStat(identity.pid);
  if (leader && leader.startTicks !== identity.startTicks) return 'refused';
  const members = groupMembers(identity.pid).filter((m) => BigInt(m.startTicks) >= BigInt(identity.startTicks!));
  if (!leader && members.length === 0) return 'gone';
  await stopProcessGroup(identity.pid, { intMs: 500, termMs: 1000 });
  return 'killed';
}
