// A block of 10 free TCP ports per workspace (ORCHD_PORT is the first), so parallel dev servers do not collide.
import { createServer } from 'node:net';

export const PORTS_PER_WORKSPACE = 10;
const FIRST = 41000;
const LAST = 59990;

const assigned = new Map<string, number>();

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The first port of this workspace's block, stable for the life of the process. */
export async function portBlock(workspaceId: string): Promise<number> {
  const known = assigned.get(workspaceId);
  if (known !== undefined) return known;
  const taken = new Set(assigned.values());
  // Start from a hash of the id so workspaces tend to keep their ports across restarts.
  let hash = 0;
  for (const char of workspaceId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const slots = Math.floor((LAST - FIRST) / PORTS_PER_WORKSPACE);
  for (let i = 0; i < slots; i++) {
    const base = FIRST + ((hash + i) % slots) * PORTS_PER_WORKSPACE;
    if (taken.has(base)) continue;
    const checks = await Promise.all(Array.from({ length: PORTS_PER_WORKSPACE }, (_, k) => portFree(base + k)));
    if (checks.every(Boolean)) {
      assigned.set(workspaceId, base);
      return base;
    }
  }
  throw new Error('no block of free ports left between 41000 and 59999');
}

/** Forget a workspace's block (when it is deleted). */
export function releasePortBlock(workspaceId: string): void {
  assigned.delete(workspaceId);
}
