// Issue 11 figure: agent output → normalized entries → persisted in the event log → delivered to a subscriber, in
// entries per second, against reading the same agent's lines from a pipe in the same run. The scripted agent emits
// one small assistant message per line (`@chatter N`), the shape that costs orchd the most per byte. A second baseline
// is the write limit: the rows orchd wrote for the run, inserted again into a new database of the same schema by
// SQLite alone (one prepared statement, batched transactions), in the same run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRepo } from './repo.js';
import { BENCH_NODE_ARGS, INITIALIZE, ORCHD, ROOT, spawnServer } from './spawn.js';
import { childrenCpuSeconds, cpuSeconds } from './subscribers.js';

export interface EntryThroughputResult {
  messages: number;
  orchd: { seconds: number; entries: number; entriesPerSecond: number; events: number };
  pipe: { seconds: number; lines: number; linesPerSecond: number };
  /** orchd's time over the pipe's. */
  ratio: number;
  /** SQLite alone inserting the rows orchd wrote for the run (events of the session's executions). */
  sqlite: { rows: number; seconds: number; rowsPerSecond: number; entriesPerSecond: number };
  /**
   * CPU microseconds per entry: the agent writing its line (in the pipe run), orchd (and the part of it SQLite alone
   * needs), the host (this process, reading every event); and the cores all of it would take at 80,000 entries/s.
   */
  cpuPerEntryUs: { agent: number; orchd: number; sqlite: number; host: number; coresAtTarget: number };
}

/** Rows per transaction when SQLite inserts the run's rows alone: larger than most of orchd's group commits. */
const CEILING_BATCH = 500;

/**
 * The write limit: the `events` rows after `afterSeq` in orchd's database, inserted again into a new database with the
 * same table and indexes and the same pragmas, one prepared statement, CEILING_BATCH rows per transaction, no
 * checkpoint on this thread.
 */
function sqliteCeiling(dataDir: string, afterSeq: number): { rows: number; seconds: number } {
  const source = new Database(join(dataDir, 'orchd.sqlite'), { readonly: true });
  const target = new Database(join(dataDir, 'ceiling.sqlite'));
  try {
    const schema = source.prepare("select sql from sqlite_master where tbl_name = 'events' and sql is not null order by rowid").all() as { sql: string }[];
    target.pragma('journal_mode = WAL');
    target.pragma('synchronous = NORMAL');
    // orchd checkpoints on a thread of its own (src/store/wal-checkpointer.ts); so does this limit, none at all.
    target.pragma('wal_autocheckpoint = 0');
    for (const { sql } of schema) target.exec(sql);
    const rows = source.prepare('select kind, at, project_id, task_id, workspace_id, session_id, execution_id, data from events where seq > ? order by seq').raw(true).all(afterSeq) as unknown[][];
    const insert = target.prepare('insert into events (kind, at, project_id, task_id, workspace_id, session_id, execution_id, data) values (?, ?, ?, ?, ?, ?, ?, ?)');
    const begin = target.prepare('begin immediate');
    const commit = target.prepare('commit');
    const start = performance.now();
    for (let i = 0; i < rows.length; i += CEILING_BATCH) {
      begin.run();
      for (const row of rows.slice(i, i + CEILING_BATCH)) insert.run(...row);
      commit.run();
    }
    return { rows: rows.length, seconds: (performance.now() - start) / 1000 };
  } finally {
    source.close();
    target.close();
  }
}

const FAKE_AGENT = join(ROOT, 'fixtures', 'fake-agent', 'fake-agent.mjs');

async function pipeBaseline(messages: number, cwd: string, home: string): Promise<{ seconds: number; lines: number; cpuSeconds: number }> {
  const cpuBefore = childrenCpuSeconds(process.pid);
  const start = performance.now();
  const child = spawn(process.execPath, [FAKE_AGENT, '-p', `@chatter ${messages}`, '--output-format', 'stream-json', '--verbose'], {
    cwd,
    env: { ...process.env, FAKE_AGENT_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let lines = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  });
  await new Promise((resolve) => child.on('close', resolve));
  return { seconds: (performance.now() - start) / 1000, lines, cpuSeconds: childrenCpuSeconds(process.pid) - cpuBefore };
}

/** Run one session whose agent streams `messages` assistant messages, subscribed to its workspace's events. */
export async function benchEntryThroughput(messages: number): Promise<EntryThroughputResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orchd-bench-entries-'));
  const home = mkdtempSync(join(tmpdir(), 'orchd-bench-agent-'));
  const repo = makeRepo(10);
  try {
    const pipe = await pipeBaseline(messages, repo, home);
    const server = spawnServer('orchd', ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir, FAKE_AGENT_HOME: home }, BENCH_NODE_ARGS);
    try {
      await server.request('initialize', INITIALIZE);
      const { project } = await server.request<{ project: { id: string } }>('project/create', { name: 'bench', repositories: [{ path: repo }], settings: { autoCommit: false } });
      const { task } = await server.request<{ task: { id: string } }>('task/create', { projectId: project.id, title: 'entries' });
      const { workspace } = await server.request<{ workspace: { id: string } }>('workspace/create', { taskId: task.id });
      let entries = 0;
      let events = 0;
      const done = new Promise<void>((resolve) =>
        server.rpc.onNotification('events/event', ({ event }: { event: { kind: string; data: any } }) => {
          events++;
          if (event.kind === 'session/entryUpserted') entries++;
          if (event.kind === 'execution/exited' && event.data.execution.runReason === 'codingAgent') resolve();
        }),
      );
      await server.request('events/subscribe', { filter: { workspaceId: workspace.id } });
      const { daemon } = await server.request<{ daemon: { currentSeq: number } }>('daemon/status', {});
      const orchdCpuBefore = cpuSeconds(server.pid);
      const hostCpuBefore = process.cpuUsage();
      const start = performance.now();
      await server.request('session/start', { workspaceId: workspace.id, executor: 'scripted-agent', prompt: `@chatter ${messages}` });
      await done;
      const seconds = (performance.now() - start) / 1000;
      const orchdCpu = cpuSeconds(server.pid) - orchdCpuBefore;
      const host = process.cpuUsage(hostCpuBefore);
      await server.close();
      const ceiling = sqliteCeiling(dataDir, daemon.currentSeq);
      const perEntry = (cpu: number) => (cpu / entries) * 1e6;
      const cpuPerEntryUs = { agent: perEntry(pipe.cpuSeconds), orchd: perEntry(orchdCpu), sqlite: perEntry(ceiling.seconds), host: perEntry((host.user + host.system) / 1e6), coresAtTarget: 0 };
      cpuPerEntryUs.coresAtTarget = ((cpuPerEntryUs.agent + cpuPerEntryUs.orchd + cpuPerEntryUs.host) * 80_000) / 1e6;
      return {
        messages,
        orchd: { seconds, entries, entriesPerSecond: entries / seconds, events },
        pipe: { seconds: pipe.seconds, lines: pipe.lines, linesPerSecond: pipe.lines / pipe.seconds },
        ratio: seconds / pipe.seconds,
        sqlite: { rows: ceiling.rows, seconds: ceiling.seconds, rowsPerSecond: ceiling.rows / ceiling.seconds, entriesPerSecond: entries / ceiling.seconds },
        cpuPerEntryUs,
      };
    } finally {
      await server.close();
    }
  } finally {
    for (const dir of [dataDir, home, repo]) rmSync(dir, { recursive: true, force: true });
  }
}
