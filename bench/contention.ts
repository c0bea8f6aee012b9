// What two busy cores do to a request's tail on this machine, with no orchd involved: the echo server's no-op round
// trip while 0 to 3 CPU-bound processes run. Under a flood, orchd's own work, the agent and the host's parsing keep
// the cores about that busy, so this is the floor for any design that does the flood's work on the same machine.
// Run: node --import tsx bench/contention.ts   (about 13 s; not part of `npm run bench`)
import { spawn } from 'node:child_process';
import { INITIALIZE, spawnEcho } from './spawn.js';

const WINDOW_MS = 3000;
const percentile = (samples: number[], p: number) => [...samples].sort((x, y) => x - y)[Math.min(samples.length - 1, Math.floor(samples.length * p))]!;

const echo = spawnEcho();
await echo.request('initialize', INITIALIZE);
for (const busy of [0, 1, 2, 3]) {
  const loops = Array.from({ length: busy }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const samples: number[] = [];
  const end = performance.now() + WINDOW_MS;
  try {
    while (performance.now() < end) {
      const started = performance.now();
      await echo.request('echo', {});
      samples.push(performance.now() - started);
    }
  } finally {
    for (const loop of loops) loop.kill('SIGKILL');
  }
  process.stdout.write(
    `${busy} busy process${busy === 1 ? '' : 'es'}: echo p50 ${percentile(samples, 0.5).toFixed(3)} ms, p99 ${percentile(samples, 0.99).toFixed(3)} ms, max ${Math.max(...samples).toFixed(1)} ms (${samples.length} requests)\n`,
  );
}
await echo.close();
process.exit(0);
