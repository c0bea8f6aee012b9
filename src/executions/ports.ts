// A block of 10 free TCP ports per workspace (ORCHD_PORT is the first), so parallel dev servers do not collide.
// The blocks are per-daemon state: the engine owns one PortBlocks, workspaces release theirs on delete and archive.
import { createServer } from 'node:net';

export const PORTS_PER_WORKSPACE = 10;
const FIRST = 41000;
const LAST = 59990;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The port blocks this daemon handed out, by workspace id. */
export class PortBlocks {
  private readonly assigned = new Map<string, number>();
  /** Allocations run one at a time, so two workspaces never pick the same free block. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly first: number;
  private readonly last: number;

  constructor(range: { first?: number; last?: number } = {}) {
    this.first = range.first ?? FIRST;
    this.last = range.last ?? LAST;
  }

  /** The first port of this workspace's block, stable while the workspace lives. */
  blockFor(workspaceId: string): Promise<number> {
    const known = this.assigned.get(workspaceId);
    if (known !== undefined) return Promise.resolve(known);
    const next = this.queue.then(() => this.allocate(workspaceId));
    this.queue = next.catch(() => {});
    return next;
  }

  /** Give a workspace's block back (the workspace was deleted or archived). */
  release(workspaceId: string): void {
    this.assigned.delete(workspaceId);
  }

  /** Release every block whose workspace is not in `live` (start-up reconciliation). */
  retainOnly(live: Iterable<string>): string[] {
    const keep = new Set(live);
    const released = [...this.assigned.keys()].filter((id) => !keep.has(id));
    for (const id of released) this.assigned.delete(id);
    return released;
  }

  /** The workspaces that hold a block now, with the block's first port. */
  held(): ReadonlyMap<string, number> {
    return new Map(this.assigned);
  }

  private async allocate(workspaceId: string): Promise<number> {
    const known = this.assigned.get(workspaceId);
    if (known !== undefined) return known;
    const taken = new Set(this.assigned.values());
    // Start from a hash of the id so a workspace tends to get the same block again after a restart.
    let hash = 0;
    for (const char of workspaceId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    const slots = Math.floor((this.last - this.first) / PORTS_PER_WORKSPACE);
    for (let i = 0; i < slots; i++) {
      const base = this.first + ((hash + i) % slots) * PORTS_PER_WORKSPACE;
      if (taken.has(base)) continue;
      const checks = await Promise.all(Array.from({ length: PORTS_PER_WORKSPACE }, (_, k) => portFree(base + k)));
      if (checks.every(Boolean)) {
        this.assigned.set(workspaceId, base);
        return base;
      }
    }
    throw new Error(`no block of ${PORTS_PER_WORKSPACE} free ports left between ${this.first} and ${this.last + PORTS_PER_WORKSPACE - 1}`);
  }
}
