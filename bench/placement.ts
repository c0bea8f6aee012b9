// Where the round-trip processes run. On a 2-core box a sub-0.1 ms round trip depends on whether the client and the
// server share a core (no cross-core wakeup: about 0.045 ms for the bare ws echo) or not (about 0.11-0.15 ms), and
// unpinned the scheduler picks one or the other per process, so the echo baseline was bimodal from run to run while
// orchd was not (docs/benchmarks.md, "Service mode"). Pinning with taskset(1) makes the placement the same for the
// baseline and for orchd:
//   - `split`: the client (this process) on the first CPU, every server on the second, as an IDE and its daemon are
//     on a multi-core machine;
//   - `shared`: everything on the first CPU, the case where the server's per-request CPU is all of the difference.
// Without taskset, or with one CPU, nothing is pinned and the figure says so.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export type Placement = 'split' | 'shared' | 'unpinned';

/** The CPUs this process may run on, as taskset prints them (e.g. `0,1`); null when taskset is not there. */
function affinityOf(pid: number): string | null {
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.slice(out.lastIndexOf(':') + 1).trim();
  } catch {
    return null;
  }
}

/** Set every thread of `pid` to run on `cpus` (a taskset list). */
function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { stdio: 'ignore' });
}

/** The first two CPUs this process may use, or null when it cannot pin two apart. */
function twoCpus(): [string, string] | null {
  const mine = affinityOf(process.pid);
  if (mine === null || availableParallelism() < 2) return null;
  const cpus: string[] = [];
  for (const part of mine.split(',')) {
    const [from, to] = part.split('-').map(Number) as [number, number | undefined];
    for (let cpu = from; cpu <= (to ?? from) && cpus.length < 2; cpu++) cpus.push(String(cpu));
  }
  return cpus.length === 2 ? [cpus[0]!, cpus[1]!] : null;
}

/**
 * Pin this process (the client) and `serverPids` for `placement`; returns what was applied (`unpinned` when taskset
 * or a second CPU is missing) and a function that gives this process its CPUs back. The servers die with their
 * section, so only this process is restored.
 */
export function place(placement: Exclude<Placement, 'unpinned'>, serverPids: number[]): { applied: Placement; restore: () => void } {
  const cpus = twoCpus();
  const original = affinityOf(process.pid);
  if (!cpus || original === null) return { applied: 'unpinned', restore: () => {} };
  const [client, server] = placement === 'split' ? cpus : [cpus[0], cpus[0]];
  pin(process.pid, client);
  for (const pid of serverPids) pin(pid, server);
  return { applied: placement, restore: () => pin(process.pid, original) };
}
