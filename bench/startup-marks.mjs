// Start-up diagnostics: `node bench/startup-marks.mjs <module> [args...]` runs <module> as the main program and
// prints, at exit, one stderr line `STARTUP_MARKS {...}`; all but `origin` are milliseconds since the process started:
//   origin     performance.timeOrigin (wall clock, ms since the epoch), so the caller can line up its own clock
//   bootstrap  Node's own bootstrap finished (performance.nodeTiming.bootstrapComplete)
//   loaded     <module> and everything it imports are evaluated (orchd: listening on stdin)
// Plain JavaScript so it adds nothing to what it measures.
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const marks = { origin: performance.timeOrigin, bootstrap: performance.nodeTiming.bootstrapComplete };
const [target] = process.argv.splice(2, 1);
if (!target) {
  process.stderr.write('usage: node bench/startup-marks.mjs <module> [args...]\n');
  process.exit(2);
}
process.on('exit', () => writeSync(2, `STARTUP_MARKS ${JSON.stringify(marks)}\n`));
await import(pathToFileURL(target).href);
marks.loaded = performance.now();
