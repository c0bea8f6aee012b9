// Agent benchmarks (issue 5). First entry: time from `session/start` to the first normalized entry the agent's
// output produced (session/entryUpserted, not the prompt orchd records itself), against the same CLI started
// directly with the same argv, env and first stdin lines, timed to its first stdout line. Normalizer throughput:
// a large raw log through the Claude normalizer against `JSON.parse` of the same lines.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { getExecutor } from '../src/executors/registry.js';
import type { AgentHooks } from '../src/executors/types.js';
import { createClaudeNormalizer } from '../src/normalizers/claude-stream-json.js';
import { INITIALIZE, ROOT, spawnServer, tempDir, ORCHD, type Server } from './spawn.js';
import { git, makeRepo } from './repo.js';
import { median } from './stats.js';

export interface FirstEntryResult {
  executor: string;
  runs: number;
  orchdMs: number;
  directMs: number;
  ratio: number;
  pass: boolean;
}

const NO_HOOKS: AgentHooks = { requestApproval: () => new Promise(() => {}), warn: () => {} };

/** Start the CLI as orchd would, write what the driver writes first, and time the first stdout line that yields a
 * normalized entry (a control-protocol reply to `initialize` is not part of the conversation, on either side). */
async function directFirstLine(executorId: string, cwd: string, env: Record<string, string>, prompt: string): Promise<number> {
  const executor = getExecutor(executorId);
  const profile = { model: null, permissionMode: 'bypassPermissions', extraArgs: [], env: {} };
  const launch = executor.prepare({ cwd, prompt, resumeAgentSessionId: null, env, profile }, NO_HOOKS);
  const started = performance.now();
  const child = spawn(launch.argv[0]!, launch.argv.slice(1), { cwd, env: launch.env, stdio: ['pipe', 'pipe', 'ignore'], detached: true });
  child.stdin.on('error', () => {});
  launch.driver.start({ writeLine: (line) => child.stdin.write(`${line}\n`), close: () => child.stdin.end() });
  const lines = createInterface({ input: child.stdout });
  const normalizer = executor.createNormalizer();
  const elapsed = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      if (normalizer.push(line, 'stdout').length) resolve(performance.now() - started);
    });
    child.once('exit', (code) => reject(new Error(`${executorId} exited with ${code} before writing a line`)));
  });
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  return elapsed;
}

/** One orchd, one project; per run a fresh workspace, then session/start → the first agent-made entry. */
async function orchdFirstEntry(server: Server, repo: string, executorId: string, prompt: string, run: number): Promise<number> {
  const { project } = await server.request<{ project: { id: string } }>('project/create', { name: `bench ${executorId} ${run}`, repositories: [{ path: repo }] });
  const { task } = await server.request<{ task: { id: string } }>('task/create', { projectId: project.id, title: 'first entry' });
  const { workspace } = await server.request<{ workspace: { id: string } }>('workspace/create', { taskId: task.id });
  let resolveEntry: (at: number) => void = () => {};
  const firstEntry = new Promise<number>((resolve) => (resolveEntry = resolve));
  let sessionId = '';
  const listener = server.rpc.onNotification('events/event', (params: { event: { kind: string; sessionId?: string; data: { entry: { id: string } } } }) => {
    const { event } = params;
    if (event.kind === 'session/entryUpserted' && event.sessionId === sessionId && !event.data.entry.id.endsWith('/prompt')) resolveEntry(performance.now());
  });
  try {
    const started = performance.now();
    const { session } = await server.request<{ session: { id: string } }>('session/start', { workspaceId: workspace.id, executor: executorId, permissionMode: 'bypassPermissions', prompt });
    sessionId = session.id;
    const at = await firstEntry;
    await server.request('session/stop', { sessionId });
    return at - started;
  } finally {
    listener.dispose();
  }
}

/** The first-entry figure for one executor, `runs` times each way, interleaved. */
export async function benchFirstEntry(executorId: string, runs: number, env: Record<string, string> = {}, prompt = 'hello'): Promise<FirstEntryResult> {
  const repo = makeRepo(10);
  const dataDir = tempDir('orchd-bench-agents-');
  const scratch = tempDir('orchd-bench-direct-');
  git(scratch, 'init', '-q');
  const server = spawnServer('orchd', ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir, ...env });
  try {
    await server.request('initialize', INITIALIZE);
    await server.request('events/subscribe', { filter: { kinds: ['session/entryUpserted'] } });
    const childEnv = { ...(process.env as Record<string, string>), ...env };
    // One warm-up each: page cache, the CLI's own first-run work.
    await directFirstLine(executorId, scratch, childEnv, prompt);
    await orchdFirstEntry(server, repo, executorId, prompt, -1);
    const orchd: number[] = [];
    const direct: number[] = [];
    for (let run = 0; run < runs; run++) {
      direct.push(await directFirstLine(executorId, scratch, childEnv, prompt));
      orchd.push(await orchdFirstEntry(server, repo, executorId, prompt, run));
    }
    const orchdMs = median(orchd);
    const directMs = median(direct);
    return { executor: executorId, runs, orchdMs, directMs, ratio: orchdMs / directMs, pass: orchdMs / directMs <= 1.2 };
  } finally {
    await server.close();
    for (const dir of [repo, dataDir, scratch]) rmSync(dir, { recursive: true, force: true });
  }
}

export interface NormalizerThroughputResult {
  lines: number;
  megabytes: number;
  normalizeMs: number;
  parseMs: number;
  ratio: number;
  linesPerSecond: number;
}

/** The Claude captures' agent lines, repeated to about `targetLines`. */
function captureCorpus(targetLines: number): { line: string; stream: 'stdout' | 'stdin' }[] {
  const dir = join(ROOT, 'fixtures', 'captures', 'claude');
  const base: { line: string; stream: 'stdout' | 'stdin' }[] = [];
  for (const file of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')) : []) {
    for (const raw of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!raw.trim()) continue;
      const record = JSON.parse(raw) as { dir?: string; line?: string };
      if (record.line === undefined) base.push({ line: raw, stream: 'stdout' });
      else if (record.dir !== 'err') base.push({ line: record.line, stream: record.dir === 'in' ? 'stdin' : 'stdout' });
    }
  }
  if (!base.length) throw new Error(`no captures in ${dir}`);
  const corpus: typeof base = [];
  while (corpus.length < targetLines) corpus.push(...base);
  return corpus;
}

/** Normalizer throughput against plain JSON.parse of the same lines (best of 3 each). */
export function benchNormalizer(targetLines: number): NormalizerThroughputResult {
  const corpus = captureCorpus(targetLines);
  const bytes = corpus.reduce((sum, { line }) => sum + Buffer.byteLength(line) + 1, 0);
  const best = (run: () => void) => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      run();
      times.push(performance.now() - start);
    }
    return Math.min(...times);
  };
  let sink = 0;
  const parseMs = best(() => {
    for (const { line } of corpus) if (line.startsWith('{')) sink += (JSON.parse(line) as object) ? 1 : 0;
  });
  const normalizeMs = best(() => {
    const normalizer = createClaudeNormalizer();
    for (const { line, stream } of corpus) sink += normalizer.push(line, stream).length;
  });
  if (sink < 0) throw new Error('unreachable');
  return { lines: corpus.length, megabytes: bytes / 1024 / 1024, normalizeMs, parseMs, ratio: normalizeMs / parseMs, linesPerSecond: corpus.length / (normalizeMs / 1000) };
}
