// Issue 11 figure: agent output → normalized entries → persisted in the event log → delivered to a subscriber, in
// entries per second, against reading the same agent's lines from a pipe in the same run. The scripted agent emits
// one small assistant message per line (`@chatter N`), the shape that costs orchd the most per byte.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRepo } from './repo.js';
import { INITIALIZE, ORCHD, ROOT, spawnServer } from './spawn.js';

export interface EntryThroughputResult {
  messages: number;
  orchd: { seconds: number; entries: number; entriesPerSecond: number; events: number };
  pipe: { seconds: number; lines: number; linesPerSecond: number };
  /** orchd's time over the pipe's. */
  ratio: number;
}

const FAKE_AGENT = join(ROOT, 'fixtures', 'fake-agent', 'fake-agent.mjs');

async function pipeBaseline(messages: number, cwd: string, home: string): Promise<{ seconds: number; lines: number }> {
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
  return { seconds: (performance.now() - start) / 1000, lines };
}

/** Run one session whose agent streams `messages` assistant messages, subscribed to its workspace's events. */
export async function benchEntryThroughput(messages: number): Promise<EntryThroughputResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orchd-bench-entries-'));
  const home = mkdtempSync(join(tmpdir(), 'orchd-bench-agent-'));
  const repo = makeRepo(10);
  try {
    const pipe = await pipeBaseline(messages, repo, home);
    const server = spawnServer('orchd', ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir, FAKE_AGENT_HOME: home });
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
      const start = performance.now();
      await server.request('session/start', { workspaceId: workspace.id, executor: 'scripted-agent', prompt: `@chatter ${messages}` });
      await done;
      const seconds = (performance.now() - start) / 1000;
      return {
        messages,
        orchd: { seconds, entries, entriesPerSecond: entries / seconds, events },
        pipe: { seconds: pipe.seconds, lines: pipe.lines, linesPerSecond: pipe.lines / pipe.seconds },
        ratio: seconds / pipe.seconds,
      };
    } finally {
      await server.close();
    }
  } finally {
    for (const dir of [dataDir, home, repo]) rmSync(dir, { recursive: true, force: true });
  }
}
