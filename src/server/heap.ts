// How far V8 lets the daemon's old generation grow past what survived the last full GC.
//
// Under floods the daemon's live heap is small (23-29 MB under eight agents), but V8's adaptive growing factor lets
// the old generation reach up to four times that before it compacts, so peak RSS is mostly garbage waiting (heap
// total 147-170 MB at the peak). A fixed factor of 1.5 kept the same floods at 160-176 MB of RSS with the same
// events per second and no-op p99 (docs/benchmarks.md, fifth pass). The flag is read by V8 at each full GC, so it
// takes effect when set at run time; startup flags would not reach a daemon a host starts with `node bin/orchd.js`.
// `node:v8` is imported when the flag is set, not before: loading it takes about 2.5 ms, which `orchd --stdio`
// spends after its `initialize` reply rather than before it.
import type { Logger } from '../log/logger.js';

/** The old generation may grow to (100 + this)% of its size after the last full GC. */
export const DEFAULT_HEAP_GROWING_PERCENT = 50;
const FLAG = '--heap-growing-percent';
/** ORCHD_HEAP_GROWING_PERCENT: another percentage, or 0 for V8's own adaptive factor. */
const ENV = 'ORCHD_HEAP_GROWING_PERCENT';

export interface HeapTuning {
  /** The percentage set, or null when V8's default (or a flag given to node) stands. */
  readonly growingPercent: number | null;
  /** Why nothing was set, when nothing was. */
  readonly reason?: 'nodeFlag' | 'disabled' | 'invalidEnv';
}

/** What to set, from node's own flags and the environment; pure, for tests. */
export function heapTuning(execArgv: readonly string[], env: NodeJS.ProcessEnv): HeapTuning {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) => arg.replaceAll('_', '-').startsWith(FLAG));
  if (given) return { growingPercent: null, reason: 'nodeFlag' };
  const raw = env[ENV];
  if (raw === undefined || raw === '') return { growingPercent: DEFAULT_HEAP_GROWING_PERCENT };
  if (!/^\d{1,4}$/.test(raw.trim())) return { growingPercent: null, reason: 'invalidEnv' };
  const percent = Number(raw.trim());
  return percent === 0 ? { growingPercent: null, reason: 'disabled' } : { growingPercent: percent };
}

/** Apply heapTuning to this process (daemon modes only: `--stdio` and `serve`), and log what was decided. */
export async function tuneHeap(logger: Logger): Promise<HeapTuning> {
  const tuning = heapTuning(process.execArgv, process.env);
  if (tuning.growingPercent !== null) {
    const { setFlagsFromString } = await import('node:v8');
    setFlagsFromString(`${FLAG}=${tuning.growingPercent}`);
  }
  if (tuning.reason === 'invalidEnv') {
    logger.warn(`Expected ${ENV} to be a whole number of percent (0 for V8's default), got ${JSON.stringify(process.env[ENV])}; V8's default stands`);
  }
  logger.info('heap growing factor', { heapGrowingPercent: tuning.growingPercent, ...(tuning.reason ? { reason: tuning.reason } : {}) });
  return tuning;
}
