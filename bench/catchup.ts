// Event catch-up: a log of N `task/updated`-shaped events, then a subscriber from seq 0, timed to the last
// `events/event` notification. Baseline in the same run: reading the same rows with better-sqlite3 and parsing
// their data in the bench process, i.e. the rate of just reading the log.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { makeRepo } from './repo.js';
import { procStatusMb } from './rss.js';
import { spawn } from 'node:child_process';
import { BENCH_NODE_ARGS, INITIALIZE, ORCHD, progress, removeDir, spawnOrchd, tempDir } from './spawn.js';

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
    const orchd = await rawCatchUp(dataDir, stats.n, stats.last, dataMb);

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

/**
 * Catch up from seq 0 with a minimal host: Content-Length frames split by hand and each body JSON.parse'd, as a
 * host in Rust (serde) or any lean reader would. vscode-jsonrpc's own reader costs about 12 µs per message, which
 * would make the bench client, not orchd, the thing measured. Every event is checked: once each, in order.
 */
async function rawCatchUp(dataDir: string, count: number, lastSeq: number, dataMb: number): Promise<CatchUpResult['orchd']> {
  const env: NodeJS.ProcessEnv = { ...process.env, ORCHD_LOG_LEVEL: 'error', ORCHD_DATA_DIR: dataDir };
  delete env.NODE_OPTIONS;
  // BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles orchd during the catch-up.
  const child = spawn(process.execPath, [...BENCH_NODE_ARGS, ORCHD, '--stdio'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  const send = (id: number, method: string, params: unknown) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const pid = child.pid!;
  let buffer: Buffer = Buffer.alloc(0);
  let received = 0;
  let last = 0;
  let outOfOrder = 0;
  let wireBytes = 0;
  let counting = false;
  let cpuBefore = 0;
  let start = 0;
  let clientBefore = process.cpuUsage();
  const replies = new Map<number, (result: unknown) => void>();
  const finished = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`orchd exited (${code}) during catch-up after ${received} of ${count} events\n${stderr}`)));
    const timer = setTimeout(() => reject(new Error(`catch-up stalled: ${received} of ${count} events after 15 minutes`)), 15 * 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (counting) wireBytes += chunk.length;
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      let at = 0;
      for (;;) {
        const headerEnd = buffer.indexOf('\r\n\r\n', at);
        if (headerEnd < 0) break;
        const length = Number(/Content-Length: (\d+)/i.exec(buffer.toString('latin1', at, headerEnd))![1]);
        if (buffer.length < headerEnd + 4 + length) break;
        const message = JSON.parse(buffer.toString('utf8', headerEnd + 4, headerEnd + 4 + length)) as { id?: number; result?: unknown; params?: { event: { seq: number } } };
        at = headerEnd + 4 + length;
        if (message.id !== undefined) replies.get(message.id)?.(message.result);
        else if (message.params?.event) {
          received++;
          if (message.params.event.seq <= last) outOfOrder++;
          last = message.params.event.seq;
          if (last >= lastSeq) {
            clearTimeout(timer);
            resolve();
          }
        }
      }
      buffer = at < buffer.length ? buffer.subarray(at) : Buffer.alloc(0);
    });
  });
  const request = (id: number, method: string, params: unknown) =>
    new Promise<unknown>((resolve) => {
      replies.set(id, resolve);
      send(id, method, params);
    });
  try {
    await Promise.race([request(1, 'initialize', INITIALIZE), finished]);
    cpuBefore = cpuTicks(pid);
    clientBefore = process.cpuUsage();
    counting = true;
    start = performance.now();
    send(2, 'events/subscribe', { sinceSeq: 0 });
    await finished;
    const seconds = (performance.now() - start) / 1000;
    const client = process.cpuUsage(clientBefore);
    const orchdCpuSeconds = (cpuTicks(pid) - cpuBefore) / 100;
    if (received !== count || outOfOrder) throw new Error(`catch-up delivered ${received} events (${outOfOrder} out of order), expected ${count}`);
    return {
      seconds,
      eventsPerSecond: received / seconds,
      mbPerSecond: dataMb / seconds,
      wireMb: wireBytes / 1024 / 1024,
      orchdCpuSeconds,
      clientCpuSeconds: (client.user + client.system) / 1e6,
      orchdPeakRssMb: procStatusMb(pid, 'VmHWM'),
    };
  } finally {
    // A clean exit (so a profile gets written), then SIGKILL if it does not come.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    send(3, 'shutdown', null);
    child.stdin.write(`Content-Length: 33\r\n\r\n{"jsonrpc":"2.0","method":"exit"}`);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
