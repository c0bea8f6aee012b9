// Event catch-up: a log of N `task/updated`-shaped events, then a subscriber from seq 0, timed to the last
// `events/event` notification. Baseline in the same run: reading the same rows with better-sqlite3 and parsing
// their data in the bench process, i.e. the rate of just reading the log.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { makeRepo } from './repo.js';
import { procStatusMb } from './rss.js';
import { INITIALIZE, progress, removeDir, spawnOrchd, tempDir } from './spawn.js';

export interface CatchUpResult {
  events: number;
  /** Bytes of event `data` JSON in the log (what MB/s counts). */
  dataMb: number;
  avgDataBytes: number;
  setup: { insertSeconds: number; dbFileMb: number };
  orchd: {
    seconds: number;
    eventsPerSecond: number;
    mbPerSecond: number;
    /** Framed JSON-RPC bytes on orchd's stdout during the catch-up. */
    wireMb: number;
    /** CPU seconds spent during the catch-up by orchd and by the bench process (the client parsing frames). */
    orchdCpuSeconds: number;
    clientCpuSeconds: number;
    orchdPeakRssMb: number;
  };
  readLog: { seconds: number[]; meanSeconds: number; eventsPerSecond: number; mbPerSecond: number };
  /** orchd time / read-log time (how many times longer than just reading the log). */
  ratio: number;
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** An id in orchd's format (`tsk_` + 26 Crockford base32 characters), unique and deterministic in `n`. */
function fakeId(prefix: string, n: number): string {
  let body = '';
  for (let i = 0, x = n; i < 16; i++, x = Math.floor(x / 32)) body = ALPHABET[x % 32] + body;
  return `${prefix}_01jf3k7q9c${body}`;
}

/** Ticks of user+system CPU of a process (see proc(5)); divide by 100 for seconds on Linux. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Create the schema through orchd itself, with one project on a real repository; returns the project id. */
async function prepareDataDir(dataDir: string): Promise<string> {
  const repo = makeRepo(1);
  const server = spawnOrchd(dataDir);
  try {
    await server.request('initialize', INITIALIZE);
    const { project } = await server.request<{ project: { id: string } }>('project/create', { name: 'bench', repositories: [{ path: repo }] });
    return project.id;
  } finally {
    await server.close();
    removeDir(repo);
  }
}

/** Append `count` task/updated events in one transaction, shaped like the ones orchd writes. */
function bulkInsert(dbPath: string, projectId: string, count: number): void {
  const db = new BetterSqlite3(dbPath);
  try {
    db.pragma('synchronous = OFF');
    const insert = db.prepare(
      'insert into events (kind, at, project_id, task_id, workspace_id, session_id, execution_id, data) values (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const statuses = ['todo', 'inProgress', 'inReview', 'done'];
    const taskIds = Array.from({ length: 1000 }, (_, i) => fakeId('tsk', i));
    const created = new Date(Date.now() - count - 86_400_000).toISOString();
    const base = Date.now() - count;
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const at = new Date(base + i).toISOString();
        const t = i % 1000;
        const task = {
          id: taskIds[t]!,
          projectId,
          title: `Refactor module ${t} (revision ${i})`,
          description: 'Split the parser from the evaluator; keep the API.',
          status: statuses[i % statuses.length]!,
          createdAt: created,
          updatedAt: at,
        };
        insert.run('task/updated', at, projectId, task.id, null, null, null, JSON.stringify({ task }));
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** Baseline: every row in seq order, data parsed, in this process. */
function readLog(dbPath: string): { seconds: number; rows: number } {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    const start = performance.now();
    let rows = 0;
    for (const row of db.prepare('SELECT * FROM events ORDER BY seq').iterate() as Iterable<{ data: string }>) {
      JSON.parse(row.data);
      rows++;
    }
    return { seconds: (performance.now() - start) / 1000, rows };
  } finally {
    db.close();
  }
}

/** A data directory made by orchd (schema, one project) whose log then gets `count` more events; returns the seconds the insert took. */
export async function buildEventLog(dataDir: string, count: number): Promise<number> {
  const projectId = await prepareDataDir(dataDir);
  progress(`catch-up: inserting ${count.toLocaleString('en-US')} events`);
  const start = performance.now();
  bulkInsert(join(dataDir, 'orchd.sqlite'), projectId, count);
  return (performance.now() - start) / 1000;
}

export async function benchCatchUp(count: number): Promise<CatchUpResult> {
  const dataDir = tempDir('orchd-bench-catchup-');
  const dbPath = join(dataDir, 'orchd.sqlite');
  try {
    const insertSeconds = await buildEventLog(dataDir, count);

    const db = new BetterSqlite3(dbPath, { readonly: true });
    const stats = db.prepare('select count(*) as n, max(seq) as last, sum(length(data)) as bytes from events').get() as { n: number; last: number; bytes: number };
    const pages = db.pragma('page_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const dataMb = stats.bytes / 1024 / 1024;

    progress('catch-up: baseline read of the log');
    const before = readLog(dbPath);
    if (before.rows !== stats.n) throw new Error(`baseline read ${before.rows} rows, expected ${stats.n}`);

    progress('catch-up: orchd subscriber from seq 0');
    const server = spawnOrchd(dataDir);
    let orchd: CatchUpResult['orchd'];
    try {
      await server.request('initialize', INITIALIZE);
      let received = 0;
      let lastSeq = 0;
      let outOfOrder = 0;
      const done = new Promise<void>((resolve) => {
        server.rpc.onNotification('events/event', (params: { event: { seq: number } }) => {
          received++;
          if (params.event.seq <= lastSeq) outOfOrder++;
          lastSeq = params.event.seq;
          if (lastSeq >= stats.last) resolve();
        });
      });
      const cpuBefore = cpuTicks(server.pid);
      const clientBefore = process.cpuUsage();
      const bytesBefore = server.stdoutBytes();
      const start = performance.now();
      await server.request('events/subscribe', { sinceSeq: 0 });
      let timer: NodeJS.Timeout | undefined;
      let finished = false;
      await Promise.race([
        done,
        server.exited.then(() => {
          if (!finished) throw new Error(`orchd exited during catch-up after ${received} of ${stats.n} events\n${server.describe()}`);
        }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`catch-up stalled: ${received} of ${stats.n} events after 15 minutes\n${server.describe()}`)), 15 * 60_000);
        }),
      ]).finally(() => {
        finished = true;
        clearTimeout(timer);
      });
      const seconds = (performance.now() - start) / 1000;
      const client = process.cpuUsage(clientBefore);
      const orchdCpuSeconds = (cpuTicks(server.pid) - cpuBefore) / 100;
      if (received !== stats.n || outOfOrder) throw new Error(`catch-up delivered ${received} events (${outOfOrder} out of order), expected ${stats.n}`);
      orchd = {
        seconds,
        eventsPerSecond: received / seconds,
        mbPerSecond: dataMb / seconds,
        wireMb: (server.stdoutBytes() - bytesBefore) / 1024 / 1024,
        orchdCpuSeconds,
        clientCpuSeconds: (client.user + client.system) / 1e6,
        orchdPeakRssMb: procStatusMb(server.pid, 'VmHWM'),
      };
    } finally {
      await server.close();
    }

    progress('catch-up: baseline read of the log, again');
    const after = readLog(dbPath);
    const meanSeconds = (before.seconds + after.seconds) / 2;
    return {
      events: stats.n,
      dataMb,
      avgDataBytes: stats.bytes / stats.n,
      setup: { insertSeconds, dbFileMb: (pages * pageSize) / 1024 / 1024 },
      orchd,
      readLog: { seconds: [before.seconds, after.seconds], meanSeconds, eventsPerSecond: stats.n / meanSeconds, mbPerSecond: dataMb / meanSeconds },
      ratio: orchd.seconds / meanSeconds,
    };
  } finally {
    removeDir(dataDir);
  }
}
