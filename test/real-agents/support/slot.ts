// Bounded concurrency for the real agent CLIs across test processes: `node --test` runs test files in parallel
// processes (--test-concurrency=2), and two heavy CLIs starting at once on a 2-CPU machine make each take many times
// longer. Every test/real-agents/*.test.ts file holds a slot for its whole run (`await holdRealAgentSlot()` at the
// top, before its suites are declared, so the wait counts against no test's timeout). A slot is a directory in the
// agent cache (`<cache>/.slots/slot-<n>`) with its owner's pid and start time; the process's exit frees it, and a slot
// whose owner is gone (killed, crashed) is taken over. ORCHD_REAL_AGENT_CONCURRENCY sets the number of slots (1 by
// default).
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { agentCacheDir } from './install.js';

/** The variable that sets how many real-agent test files may run at once. */
export const REAL_AGENT_CONCURRENCY_VARIABLE = 'ORCHD_REAL_AGENT_CONCURRENCY';
/** How often a waiting process looks for a free slot (the cost of a look, not a deadline). */
const POLL_MS = 250;
/** A slot without an owner file this old was left by a process that died between mkdir and write. */
const ORPHAN_SLOT_MS = 30_000;

let held: string | null = null;

/** How many real-agent test files may run at once: ORCHD_REAL_AGENT_CONCURRENCY, else 1. */
export function realAgentConcurrency(env: Record<string, string | undefined> = process.env): number {
  const value = env[REAL_AGENT_CONCURRENCY_VARIABLE];
  if (value === undefined || value === '') return 1;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new Error(`Expected \`${REAL_AGENT_CONCURRENCY_VARIABLE}\` to be a whole number >= 1, got \`${value}\``);
  return count;
}

/** Wait (without a deadline: the holders' own tests are bounded) until a real-agent slot is free, and hold it until
 * this process exits. Idempotent within a process. */
export async function holdRealAgentSlot(): Promise<void> {
  if (held) return;
  const dir = join(agentCacheDir(), '.slots');
  mkdirSync(dir, { recursive: true });
  const slots = Array.from({ length: realAgentConcurrency() }, (_, index) => join(dir, `slot-${index}`));
  let reported = false;
  for (;;) {
    for (const slot of slots) {
      if (tryTake(slot)) {
        held = slot;
        process.once('exit', () => release(slot));
        return;
      }
    }
    if (!reported) {
      reported = true;
      process.stderr.write(`waiting for a real-agent slot (${slots.length} in ${dir}; held by ${slots.map(ownerOf).join(', ')})\n`);
    }
    await sleep(POLL_MS);
  }
}

/** Take `slot` if it is free or its owner is gone. */
function tryTake(slot: string): boolean {
  try {
    mkdirSync(slot);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!abandoned(slot)) return false;
    rmSync(slot, { recursive: true, force: true });
    try {
      mkdirSync(slot);
    } catch {
      return false; // another process took it over first
    }
  }
  writeFileSync(join(slot, 'owner.json'), JSON.stringify({ pid: process.pid, startTicks: startTicks(process.pid), at: Date.now() }));
  return true;
}

function release(slot: string): void {
  const owner = readOwner(slot);
  if (owner?.pid === process.pid) rmSync(slot, { recursive: true, force: true });
}

interface SlotOwner {
  pid: number;
  startTicks: string | null;
  at: number;
}

function readOwner(slot: string): SlotOwner | null {
  try {
    return JSON.parse(readFileSync(join(slot, 'owner.json'), 'utf8')) as SlotOwner;
  } catch {
    return null;
  }
}

function ownerOf(slot: string): string {
  const owner = readOwner(slot);
  return owner ? `pid ${owner.pid}` : 'a process starting up';
}

/** Whether the slot's owner is gone: its pid is dead or now names another process (a different start time). */
function abandoned(slot: string): boolean {
  const owner = readOwner(slot);
  if (!owner) {
    try {
      return Date.now() - statSync(slot).mtimeMs > ORPHAN_SLOT_MS;
    } catch {
      return false; // the slot vanished: try again
    }
  }
  const ticks = startTicks(owner.pid);
  return ticks === null || (owner.startTicks !== null && ticks !== owner.startTicks);
}

/** The start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22), or null when it is not running. */
function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
