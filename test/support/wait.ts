// Waiting in tests: for a condition, a count or a process to be gone, failing with what was awaited. The deadlines
// come from bounds.ts; a test never sleeps for a fixed time and then looks, it waits for what it needs to see.
import { readdirSync, readFileSync } from 'node:fs';
import { EVENT_MS, EXIT_MS } from './bounds.js';

/** How often a condition is checked; the cost of a check, never a deadline. */
const POLL_MS = 5;

/** Resolve once `check()` is true; reject naming `what` after the timeout. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = EVENT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Resolve with `read()` once it has at least `count` items. To assert there are no more than `count`, wait for a
 * later item that must come after them (events arrive in seq order) instead of waiting a while. */
export async function waitForCount<T>(read: () => T[], count: number, timeoutMs = EVENT_MS): Promise<T[]> {
  await waitUntil(() => read().length >= count, `${count} items (have ${read().length})`, timeoutMs);
  return read();
}

/** Whether `pid` has exited (gone, or a zombie waiting for its parent to reap it). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Resolve once the process `pid` has exited; `what` names it in the timeout error. */
export async function waitForProcessExit(pid: number, what: string, timeoutMs = EXIT_MS): Promise<void> {
  await waitUntil(() => processGone(pid), `${what} (pid ${pid}) to exit`, timeoutMs);
}

/** Resolve or reject as `promise` does, or reject naming `what` when it has not settled within the timeout. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = EVENT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The pids of this process's children whose command line contains `text` (from /proc). */
export function childPidsRunning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').includes(text)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** The live (not zombie) members of process group `pgid`, with their command lines, from /proc. */
export function groupMembers(pgid: number): { pid: number; cmdline: string }[] {
  const members: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || fields[0] === 'Z') continue;
      members.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') });
    } catch {
      // exited meanwhile
    }
  }
  return members;
}
