// Issue 4 figure: raw output from an agent writing as fast as it can, through capture, persistence and the event
// log to a live subscriber, against simply reading the same agent's bytes from a pipe in the same run; daemon RSS.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchPeakRss } from './rss.js';
import { INITIALIZE, ORCHD, ROOT, spawnServer } from './spawn.js';
import { makeRepo } from './repo.js';

export interface LogThroughputResult {
  megabytes: number;
  orchd: { seconds: number; mbPerSecond: number; linesPerSecond: number; peakRssMb: number };
  pipe: { seconds: number; mbPerSecond: number; linesPerSecond: number };
  ratio: number;
}

const FAKE_AGENT = join(ROOT, 'fixtures', 'fake-agent', 'fake-agent.mjs');

async function pipeBaseline(megabytes: number, cwd: string, home: string): Promise<{ seconds: number; bytes: number; lines: number }> {
  const start = performance.now();
  const child = spawn(process.execPath, [FAKE_AGENT, '-p', `@flood ${megabytes}`, '--output-format', 'stream-json'], { cwd, env: { ...process.env, FAKE_AGENT_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  let lines = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  });
  await new Promise((resolve) => child.on('close', resolve));
  return { seconds: (performance.now() - start) / 1000, bytes, lines };
}

/** Flood `megabytes` through a session and a subscriber. */
export async function benchLogThroughput(megabytes: number): Promise<LogThroughputResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orchd-bench-logs-'));
  const home = mkdtempSync(join(tmpdir(), 'orchd-bench-agent-'));
  const repo = makeRepo(10);
  try {
    const baseline = await pipeBaseline(megabytes, repo, home);
    const server = spawnServer('orchd', ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir, FAKE_AGENT_HOME: home });
    await server.rpc.sendRequest('initialize', INITIALIZE);
    const project = ((await server.rpc.sendRequest('project/create', { name: 'bench', repositories: [{ path: repo }], settings: { autoCommit: false } })) as { project: { id: string } }).project;
    const task = ((await server.rpc.sendRequest('task/create', { projectId: project.id, title: 'flood' })) as { task: { id: string } }).task;
    const workspace = ((await server.rpc.sendRequest('workspace/create', { taskId: task.id })) as { workspace: { id: string } }).workspace;
    let bytes = 0;
    let lines = 0;
    let executionId: string | undefined;
    const exited = new Promise<void>((resolve) => {
      server.rpc.onNotification('events/event', ({ event }: { event: { kind: string; executionId?: string; data: any } }) => {
        if (event.kind === 'execution/output' && event.data.stream === 'stdout') {
          bytes += Buffer.byteLength(event.data.text);
          for (let i = event.data.text.indexOf('\n'); i >= 0; i = event.data.text.indexOf('\n', i + 1)) lines++;
        }
        if (event.kind === 'execution/exited' && event.data.execution.runReason === 'codingAgent') {
          executionId = event.executionId;
          resolve();
        }
      });
    });
    await server.rpc.sendRequest('events/subscribe', { filter: { workspaceId: workspace.id, kinds: ['execution/*'] } });
    const rss = watchPeakRss(server.child.pid!);
    const start = performance.now();
    await server.rpc.sendRequest('session/start', { workspaceId: workspace.id, executor: 'scripted-agent', prompt: `@flood ${megabytes}` });
    await exited;
    const seconds = (performance.now() - start) / 1000;
    rss.stop();
    void executionId;
    await server.close();
    const mb = bytes / 1024 / 1024;
    return {
      megabytes: mb,
      orchd: { seconds, mbPerSecond: mb / seconds, linesPerSecond: lines / seconds, peakRssMb: rss.peakMb },
      pipe: { seconds: baseline.seconds, mbPerSecond: baseline.bytes / 1024 / 1024 / baseline.seconds, linesPerSecond: baseline.lines / baseline.seconds },
      ratio: seconds / baseline.seconds,
    };
  } finally {
    for (const dir of [dataDir, home, repo]) rmSync(dir, { recursive: true, force: true });
  }
}
