// Issue 2 figures, each against a baseline measured in the same run: start-up to the `initialize` reply and no-op
// round trips against a bare vscode-jsonrpc echo server; idle RSS; events/subscribe catch-up against reading the log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { makeRepo } from './repo.js';
import { ECHO, INITIALIZE, median, ORCHD, percentile, rssMb, spawnServer } from './lib.js';

const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

async function timeToInitialize(script: string, args: string[], env: Record<string, string>): Promise<number> {
  const start = performance.now();
  const server = spawnServer(script, args, env);
  await server.rpc.sendRequest('initialize', INITIALIZE);
  const elapsed = performance.now() - start;
  await server.close();
  return elapsed;
}

export interface StartupResult {
  runs: number;
  orchd: { medianMs: number; p90Ms: number };
  echo: { medianMs: number; p90Ms: number };
  ratio: number;
}

/** Spawn → initialize reply, interleaved with the echo server. */
export async function benchStartup(runs: number): Promise<StartupResult> {
  const orchd: number[] = [];
  const echo: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const dataDir = tempDir('orchd-bench-start-');
    const a = await timeToInitialize(ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir });
    const b = await timeToInitialize(ECHO, [], {});
    rmSync(dataDir, { recursive: true, force: true });
    if (i >= 2) {
      orchd.push(a);
      echo.push(b);
    }
  }
  return {
    runs,
    orchd: { medianMs: median(orchd), p90Ms: percentile(orchd, 90) },
    echo: { medianMs: median(echo), p90Ms: percentile(echo, 90) },
    ratio: median(orchd) / median(echo),
  };
}

export interface RoundTripResult {
  requests: number;
  orchd: { p50Ms: number; p99Ms: number };
  echo: { p50Ms: number; p99Ms: number };
  ratioP50: number;
  idleRssMb: { orchd: number; echo: number };
}

async function roundTrips(method: string, params: unknown, script: string, args: string[], env: Record<string, string>, count: number): Promise<{ samples: number[]; rss: number }> {
  const server = spawnServer(script, args, env);
  await server.rpc.sendRequest('initialize', INITIALIZE);
  for (let i = 0; i < 500; i++) await server.rpc.sendRequest(method, params);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await server.rpc.sendRequest(method, params);
    samples.push(performance.now() - start);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const rss = rssMb(server.child.pid!);
  await server.close();
  return { samples, rss };
}

/** Sequential no-op requests: `project/list` on an empty database against `echo`; RSS after 1 s idle. */
export async function benchRoundTrip(count: number): Promise<RoundTripResult> {
  const dataDir = tempDir('orchd-bench-rt-');
  try {
    const orchd = await roundTrips('project/list', {}, ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir }, count);
    const echo = await roundTrips('echo', {}, ECHO, [], {}, count);
    return {
      requests: count,
      orchd: { p50Ms: percentile(orchd.samples, 50), p99Ms: percentile(orchd.samples, 99) },
      echo: { p50Ms: percentile(echo.samples, 50), p99Ms: percentile(echo.samples, 99) },
      ratioP50: percentile(orchd.samples, 50) / percentile(echo.samples, 50),
      idleRssMb: { orchd: orchd.rss, echo: echo.rss },
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface CatchUpResult {
  events: number;
  megabytes: number;
  orchd: { seconds: number; eventsPerSecond: number; mbPerSecond: number };
  readLog: { seconds: number; eventsPerSecond: number };
  ratio: number;
}

/** A log of `count` task/updated-shaped events, then time a subscriber catching up from seq 0. */
export async function benchCatchUp(count: number): Promise<CatchUpResult> {
  const dataDir = tempDir('orchd-bench-catchup-');
  const repo = makeRepo(10);
  try {
    // Let orchd create the schema, then bulk-load rows shaped like real events.
    const setup = spawnServer(ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir });
    await setup.rpc.sendRequest('initialize', INITIALIZE);
    const project = (await setup.rpc.sendRequest('project/create', { name: 'bench', repositories: [{ path: repo }] })) as { id: string };
    await setup.close();
    const db = new BetterSqlite3(join(dataDir, 'orchd.sqlite'));
    const insert = db.prepare('insert into events (kind, at, project_id, task_id, data) values (?, ?, ?, ?, ?)');
    const at = new Date().toISOString();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const taskId = `tsk_bench${String(i % 1000).padStart(21, '0')}`;
        const task = { id: taskId, projectId: project.id, title: `Task number ${i}`, description: 'A benchmark task with a description of moderate length.', status: 'inProgress', createdAt: at, updatedAt: at };
        insert.run('task/updated', at, project.id, taskId, JSON.stringify({ task, previousStatus: 'todo' }));
      }
    })();
    const bytes = (db.prepare('select sum(length(data)) as n from events').get() as { n: number }).n;
    // Baseline: read the same rows and parse them, in this process.
    let start = performance.now();
    let seen = 0;
    for (const row of db.prepare('select * from events order by seq').iterate() as Iterable<{ data: string }>) {
      JSON.parse(row.data);
      seen++;
    }
    const readSeconds = (performance.now() - start) / 1000;
    const total = (db.prepare('select max(seq) as m from events').get() as { m: number }).m;
    db.close();

    const server = spawnServer(ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir });
    await server.rpc.sendRequest('initialize', INITIALIZE);
    let received = 0;
    const done = new Promise<void>((resolve) => {
      server.rpc.onNotification('events/event', (params: { event: { seq: number } }) => {
        received++;
        if (params.event.seq >= total) resolve();
      });
    });
    start = performance.now();
    await server.rpc.sendRequest('events/subscribe', { sinceSeq: 0 });
    await done;
    const seconds = (performance.now() - start) / 1000;
    await server.close();
    return {
      events: received,
      megabytes: bytes / 1024 / 1024,
      orchd: { seconds, eventsPerSecond: received / seconds, mbPerSecond: bytes / 1024 / 1024 / seconds },
      readLog: { seconds: readSeconds, eventsPerSecond: seen / readSeconds },
      ratio: seconds / readSeconds,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
}
