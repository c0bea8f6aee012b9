// Start-up: spawn → `initialize` reply, orchd (fresh data directory each run, so it includes creating and migrating
// the database) against the bare vscode-jsonrpc echo server, interleaved so both see the same machine.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ECHO, INITIALIZE, ORCHD, removeDir, ROOT, spawnEcho, spawnOrchd, spawnServer, tempDir, type Server } from './spawn.js';
import { median, summarise, type Summary } from './stats.js';

export interface StartupResult {
  runs: number;
  warmup: number;
  orchdMs: Summary;
  echoMs: Summary;
  /** For reference: spawn → exit of `node -e 0`, the floor for any Node process. */
  bareNodeMs: Summary;
  /** median(orchd) / median(echo). */
  ratio: number;
  target: number;
  pass: boolean;
}

async function timeToInitialize(start: () => Server): Promise<number> {
  const server = start();
  try {
    await server.request('initialize', INITIALIZE, 30_000);
    return performance.now() - server.spawnedAt;
  } finally {
    await server.close();
  }
}

async function orchdOnce(): Promise<number> {
  const dataDir = tempDir('orchd-bench-start-');
  try {
    return await timeToInitialize(() => spawnOrchd(dataDir));
  } finally {
    removeDir(dataDir);
  }
}

function bareNodeOnce(): Promise<number> {
  const start = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => resolve(performance.now() - start));
  });
}

/** `runs` measured pairs after `warmup` discarded ones; the order within a pair alternates (ABBA). */
export async function benchStartup(runs: number, warmup = 2): Promise<StartupResult> {
  const orchd: number[] = [];
  const echo: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    let a: number;
    let b: number;
    if (i % 2 === 0) {
      a = await orchdOnce();
      b = await timeToInitialize(spawnEcho);
    } else {
      b = await timeToInitialize(spawnEcho);
      a = await orchdOnce();
    }
    const c = await bareNodeOnce();
    if (i >= warmup) {
      orchd.push(a);
      echo.push(b);
      bare.push(c);
    }
  }
  const orchdMs = summarise(orchd);
  const echoMs = summarise(echo);
  const ratio = orchdMs.p50 / echoMs.p50;
  return { runs, warmup, orchdMs, echoMs, bareNodeMs: summarise(bare), ratio, target: 1.5, pass: ratio <= 1.5 };
}

export interface PhaseBreakdown {
  /** spawn() → the new process's clock starts (fork and exec of node). */
  execMs: number;
  /** Node's own bootstrap, up to loading the main module. */
  bootstrapMs: number;
  /** Loading and evaluating the program (orchd: dist/orchd.mjs and better-sqlite3's JS; echo: vscode-jsonrpc). */
  loadMs: number;
  /** Loaded → `initialize` reply at the client: reading the request, the handler, writing the reply. */
  initializeMs: number;
  /** spawn() → reply, as the client saw it. */
  totalMs: number;
}

export interface StartupBreakdownResult {
  runs: number;
  orchd: PhaseBreakdown;
  echo: PhaseBreakdown;
}

const MARKS = join(ROOT, 'bench', 'startup-marks.mjs');
/** The bundle itself (not the bin/orchd.js launcher), or what BENCH_ORCHD names. */
const BUNDLE = process.env.BENCH_ORCHD ? ORCHD : join(ROOT, 'dist', 'orchd.mjs');

/** One start-up under bench/startup-marks.mjs, split into phases on the shared wall clock. */
async function phasesOnce(server: Server): Promise<PhaseBreakdown> {
  let stderr = '';
  server.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let repliedAt: number;
  try {
    await server.request('initialize', INITIALIZE, 30_000);
    repliedAt = performance.now();
  } finally {
    await server.close();
  }
  await server.exited;
  const match = /STARTUP_MARKS (\{.*\})/.exec(stderr);
  if (!match) throw new Error(`${server.name}: no STARTUP_MARKS line on stderr:\n${stderr.slice(-2000)}`);
  const marks = JSON.parse(match[1]!) as { origin: number; bootstrap: number; loaded: number };
  const spawnedAbs = performance.timeOrigin + server.spawnedAt;
  const repliedAbs = performance.timeOrigin + repliedAt;
  return {
    execMs: marks.origin - spawnedAbs,
    bootstrapMs: marks.bootstrap,
    loadMs: marks.loaded - marks.bootstrap,
    initializeMs: repliedAbs - (marks.origin + marks.loaded),
    totalMs: repliedAbs - spawnedAbs,
  };
}

/**
 * Where start-up time goes, phase by phase, for both servers: medians of `runs` interleaved pairs after one warm-up.
 * The program runs under bench/startup-marks.mjs, so totals are close to, not the same as, the headline figure.
 */
export async function startupBreakdown(runs: number): Promise<StartupBreakdownResult> {
  const orchd: PhaseBreakdown[] = [];
  const echo: PhaseBreakdown[] = [];
  for (let i = 0; i <= runs; i++) {
    const dataDir = tempDir('orchd-bench-phases-');
    try {
      const a = await phasesOnce(spawnServer('orchd', MARKS, [BUNDLE, '--stdio'], { ORCHD_DATA_DIR: dataDir }));
      const b = await phasesOnce(spawnServer('echo', MARKS, [ECHO]));
      if (i > 0) {
        orchd.push(a);
        echo.push(b);
      }
    } finally {
      removeDir(dataDir);
    }
  }
  const med = (list: PhaseBreakdown[]): PhaseBreakdown => ({
    execMs: median(list.map((p) => p.execMs)),
    bootstrapMs: median(list.map((p) => p.bootstrapMs)),
    loadMs: median(list.map((p) => p.loadMs)),
    initializeMs: median(list.map((p) => p.initializeMs)),
    totalMs: median(list.map((p) => p.totalMs)),
  });
  return { runs, orchd: med(orchd), echo: med(echo) };
}
