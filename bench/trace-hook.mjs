// Loaded into the daemon under the flood benchmark (`node --import bench/trace-hook.mjs`): timestamps, on the clock all
// processes share (CLOCK_MONOTONIC, process.hrtime), when each `project/list` request's bytes reach the daemon's stdin
// and when its reply is handed to the stdout socket, and every GC pause. On SIGUSR2 it writes them to
// $ORCHD_BENCH_TRACE; the bench joins them with its own send and receive times, which splits a request's latency into
// waiting to be read, in the daemon, and on its way back to the host. It reads only chunks under 4 KB (requests, and
// reply frames, which go out as writes of their own), so the event stream it leaves alone.
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const SMALL = 4096;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const reads = [];
const writes = [];
const gcs = [];

const emit = process.stdin.emit;
process.stdin.emit = function (event, chunk, ...rest) {
  if (event === 'data' && chunk.length < SMALL) {
    const t = now();
    for (const match of chunk.toString('latin1').matchAll(/"id":(\d+),"method":"project\/list"/g)) reads.push([Number(match[1]), t]);
  }
  return emit.call(this, event, chunk, ...rest);
};

const writeGeneric = net.Socket.prototype._writeGeneric;
net.Socket.prototype._writeGeneric = function (writev, data, encoding, callback) {
  if (this === process.stdout || Object.getPrototypeOf(this) === process.stdout) {
    const t = now();
    for (const part of writev ? data.map((entry) => entry.chunk ?? entry) : [data]) {
      if (part.length >= SMALL) continue;
      const text = Buffer.isBuffer(part) ? part.toString('latin1') : String(part);
      for (const match of text.matchAll(/"id":(\d+),"result"/g)) writes.push([Number(match[1]), t]);
    }
  }
  return writeGeneric.call(this, writev, data, encoding, callback);
};

const offset = now() - performance.now();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push([entry.startTime + offset, entry.duration]);
}).observe({ entryTypes: ['gc'] });

process.on('SIGUSR2', () => {
  if (process.env.ORCHD_BENCH_TRACE) writeFileSync(process.env.ORCHD_BENCH_TRACE, JSON.stringify({ reads, writes, gcs }));
});
