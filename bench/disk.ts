// Issue 11 figure: bytes on disk per byte of agent output. A scripted agent writes a known amount through orchd (big
// lines: `@flood`; many short ones: `@chatter`); the database's growth (page count × page size, read from a second
// connection) is divided by the bytes of output text the agent wrote, before and after `maintenance/compact` drops
// the raw output and keeps the normalized entries.
// Run: npm run build && node --import tsx bench/disk.ts [floodMegabytes=16] [chatterLines=50000]
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { makeRepo } from './repo.js';
import { INITIALIZE, removeDir, spawnOrchd, tempDir } from './spawn.js';

interface Row {
  prompt: string;
  outputBytes: number;
  lines: number;
  growth: number;
  entryBytes: number;
  afterCompaction: number;
}

const floodMb = Number(process.argv[2] ?? 16);
const chatterLines = Number(process.argv[3] ?? 50_000);
const dataDir = tempDir('orchd-disk-');
const repo = makeRepo(1);
const server = spawnOrchd(dataDir);
const reader = () => new BetterSqlite3(join(dataDir, 'orchd.sqlite'), { readonly: true });
const pageBytes = (): number => {
  const db = reader();
  try {
    return (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  } finally {
    db.close();
  }
};
const scalar = (query: string, ...args: unknown[]): number => {
  const db = reader();
  try {
    return Number(Object.values(db.prepare(query).get(...args) as Record<string, unknown>)[0] ?? 0);
  } finally {
    db.close();
  }
};

try {
  await server.request('initialize', { ...INITIALIZE, dataDir });
  const rows: Row[] = [];
  for (const prompt of [`@flood ${floodMb}`, `@chatter ${chatterLines}`]) {
    const { project } = await server.request<{ project: { id: string } }>('project/create', { name: prompt, repositories: [{ path: repo }], settings: { autoCommit: false } });
    const { task } = await server.request<{ task: { id: string } }>('task/create', { projectId: project.id, title: prompt });
    const { workspace } = await server.request<{ workspace: { id: string } }>('workspace/create', { taskId: task.id });
    const before = pageBytes();
    const { session } = await server.request<{ session: { id: string } }>('session/start', { workspaceId: workspace.id, executor: 'scripted-agent', prompt });
    for (;;) {
      const { session: now } = await server.request<{ session: { status: string } }>('session/get', { sessionId: session.id });
      if (now.status === 'idle') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const growth = pageBytes() - before;
    const outputBytes = scalar(`select sum(length(cast(json_extract(data, '$.text') as blob))) from events where kind = 'execution/output' and project_id = ? and json_extract(data, '$.stream') = 'stdout'`, project.id);
    const lines = scalar(`select count(*) from events where kind = 'execution/output' and project_id = ?`, project.id);
    const entryBytes = scalar(`select sum(octet_length(data)) from events where kind = 'session/entryUpserted' and project_id = ?`, project.id);
    await server.request('project/update', { projectId: project.id, retention: { maxAgeDays: 0 } });
    const beforeCompaction = pageBytes();
    await server.request('maintenance/compact', { projectId: project.id });
    const afterCompaction = growth - (beforeCompaction - pageBytes());
    rows.push({ prompt, outputBytes, lines, growth, entryBytes, afterCompaction });
  }
  console.log('| agent output | stdout bytes | output events | database growth | bytes on disk per byte of output | of which entries (event data) | after maintenance/compact |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const per = (bytes: number) => (bytes / r.outputBytes).toFixed(2);
    console.log(`| \`${r.prompt}\` | ${r.outputBytes.toLocaleString('en-US')} | ${r.lines.toLocaleString('en-US')} | ${r.growth.toLocaleString('en-US')} | ${per(r.growth)} | ${per(r.entryBytes)} | ${per(r.afterCompaction)} |`);
  }
} finally {
  await server.close();
  removeDir(dataDir);
  removeDir(repo);
}
