// No-op round trip: sequential `project/list` on an empty database against the echo server's `echo`.
// Both servers run side by side and the requests alternate in blocks, so noise lands on both samples alike.
import { INITIALIZE, removeDir, spawnEcho, spawnOrchd, tempDir, watchdog, type Server } from './spawn.js';
import { summarise, type Summary } from './stats.js';

export interface RoundTripResult {
  requests: number;
  warmup: number;
  block: number;
  orchdMs: Summary;
  echoMs: Summary;
  /** p50(orchd) / p50(echo). */
  ratioP50: number;
  ratioP99: number;
  targets: { ratioP50: number; orchdP99Ms: number };
  pass: { ratioP50: boolean; orchdP99: boolean };
}

/** `count` sequential requests straight on the connection (no per-request timer: the watchdog bounds the loop). */
async function timed(server: Server, method: string, params: unknown, count: number, into?: number[]): Promise<void> {
  try {
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await server.rpc.sendRequest(method, params);
      into?.push(performance.now() - start);
    }
  } catch (error) {
    throw new Error(`\`${method}\` failed: ${(error as Error).message}\n${server.describe()}`, { cause: error });
  }
}

export async function benchRoundTrip(requests: number, warmup = 500, block = 100): Promise<RoundTripResult> {
  const dataDir = tempDir('orchd-bench-rt-');
  const orchd = spawnOrchd(dataDir);
  const echo = spawnEcho();
  const disarm = watchdog(5 * 60_000, [orchd, echo], 'the round-trip loop');
  try {
    await orchd.request('initialize', INITIALIZE);
    await echo.request('initialize', INITIALIZE);
    // Sanity: the cheap request really is cheap (an empty list), and the error path is not what is measured.
    const listed = await orchd.request<{ projects: unknown[] }>('project/list', {});
    if (!Array.isArray(listed.projects) || listed.projects.length !== 0) throw new Error(`expected an empty project list, got ${JSON.stringify(listed)}`);
    await timed(orchd, 'project/list', {}, warmup);
    await timed(echo, 'echo', {}, warmup);
    const orchdSamples: number[] = [];
    const echoSamples: number[] = [];
    for (let done = 0, turn = 0; done < requests; turn++) {
      const n = Math.min(block, requests - done);
      if (turn % 2 === 0) {
        await timed(orchd, 'project/list', {}, n, orchdSamples);
        await timed(echo, 'echo', {}, n, echoSamples);
      } else {
        await timed(echo, 'echo', {}, n, echoSamples);
        await timed(orchd, 'project/list', {}, n, orchdSamples);
      }
      done += n;
    }
    const orchdMs = summarise(orchdSamples);
    const echoMs = summarise(echoSamples);
    return {
      requests,
      warmup,
      block,
      orchdMs,
      echoMs,
      ratioP50: orchdMs.p50 / echoMs.p50,
      ratioP99: orchdMs.p99 / echoMs.p99,
      targets: { ratioP50: 1.3, orchdP99Ms: 1 },
      pass: { ratioP50: orchdMs.p50 / echoMs.p50 <= 1.3, orchdP99: orchdMs.p99 <= 1 },
    };
  } finally {
    disarm();
    await Promise.all([orchd.close(), echo.close()]);
    removeDir(dataDir);
  }
}
