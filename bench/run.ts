// `npm run bench`: every figure next to a baseline measured in the same run, printed as a ratio, saved as JSON.
// BENCH_QUICK=1 runs a smaller version of each.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, round } from './lib.js';
import { benchLogThroughput } from './logs.js';
import { benchCatchUp, benchRoundTrip, benchStartup } from './spine.js';
import { benchWorkspaces } from './workspaces.js';

const quick = process.env.BENCH_QUICK === '1';
const rows: string[][] = [];
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const log = (text: string) => process.stdout.write(`${text}\n`);

log(`orchd bench — node ${process.version}, ${quick ? 'quick' : 'full'} run, ${new Date().toISOString()}`);

const startup = await benchStartup(quick ? 6 : 20);
rows.push(['spawn → initialize reply', `${round(startup.orchd.medianMs, 1)} ms`, `echo server ${round(startup.echo.medianMs, 1)} ms`, `${round(startup.ratio)}x`, '<= 1.5x', verdict(startup.ratio <= 1.5)]);

const rt = await benchRoundTrip(quick ? 1000 : 3000);
rows.push(['no-op round trip p50', `${round(rt.orchd.p50Ms, 3)} ms`, `echo ${round(rt.echo.p50Ms, 3)} ms`, `${round(rt.ratioP50)}x`, '<= 1.3x', verdict(rt.ratioP50 <= 1.3)]);
rows.push(['no-op round trip p99', `${round(rt.orchd.p99Ms, 3)} ms`, `echo ${round(rt.echo.p99Ms, 3)} ms`, `${round(rt.orchd.p99Ms / rt.echo.p99Ms)}x`, '<= 1 ms', verdict(rt.orchd.p99Ms <= 1)]);
rows.push(['idle RSS', `${round(rt.idleRssMb.orchd, 1)} MB`, `echo ${round(rt.idleRssMb.echo, 1)} MB`, `${round(rt.idleRssMb.orchd / rt.idleRssMb.echo)}x`, '<= 80 MB', verdict(rt.idleRssMb.orchd <= 80)]);

const catchUp = await benchCatchUp(quick ? 100_000 : 1_000_000);
rows.push([
  `catch-up of ${catchUp.events} events`,
  `${Math.round(catchUp.orchd.eventsPerSecond)} ev/s, ${round(catchUp.orchd.mbPerSecond, 1)} MB/s`,
  `read log ${Math.round(catchUp.readLog.eventsPerSecond)} ev/s`,
  `${round(catchUp.ratio)}x time`,
  'report',
  '',
]);

const ws = await benchWorkspaces(quick ? { files: 2000, runs: 3, changed: 200 } : {});
rows.push([`workspace/create, ${ws.files} files`, `${round(ws.createMs.orchd, 1)} ms`, `git worktree add ${round(ws.createMs.git, 1)} ms`, `${round(ws.createMs.ratio)}x`, '<= 1.2x', verdict(ws.createMs.ratio <= 1.2)]);
rows.push([`workspace/diff, ${ws.diff.changedFiles} files`, `${round(ws.diff.orchdMs, 1)} ms`, `git diff+ls-files ${round(ws.diff.gitMs, 1)} ms`, `${round(ws.diff.ratio)}x`, 'report', '']);

const logs = await benchLogThroughput(quick ? 32 : 256);
rows.push([
  `agent output to subscriber, ${Math.round(logs.megabytes)} MB`,
  `${round(logs.orchd.mbPerSecond, 1)} MB/s, ${Math.round(logs.orchd.linesPerSecond)} lines/s`,
  `pipe ${round(logs.pipe.mbPerSecond, 1)} MB/s`,
  `${round(logs.ratio)}x time`,
  'report',
  '',
]);
rows.push(['daemon RSS during the flood', `${round(logs.orchd.peakRssMb, 1)} MB peak`, '', '', 'bounded', '']);

const header = ['figure', 'orchd', 'baseline (same run)', 'ratio', 'target', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
log('');
log(line(header));
log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) log(line(row));

mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'latest.json'), `${JSON.stringify({ at: new Date().toISOString(), node: process.version, quick, startup, roundTrip: rt, catchUp, workspaces: ws, logs }, null, 2)}\n`);
log('\nwrote bench/results/latest.json');
