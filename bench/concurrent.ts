// Issue 11 figure: N concurrent `session/start` (workspaces made beforehand, not timed), each running the scripted
// agent on a small edit that orchd then auto-commits; timed to the last reply and to every session finished.
// Baseline: the same N agents run bare at once in N plain `git worktree add` worktrees, each followed by
// `git add -A && git commit`, measured before and after orchd (mean of the two).
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createWorkspaces, FAKE_AGENT } from './flood.js';
import { git, GIT_ENV, makeRepo } from './repo.js';
import { BENCH_NODE_ARGS, INITIALIZE, ORCHD, progress, removeDir, spawnServer, tempDir, watchdog } from './spawn.js';
import { median } from './stats.js';

const execFileAsync = promisify(execFile);

export interface ConcurrentSessionsResult {
  sessions: number;
  orchd: {
    /** From sending all requests to each reply, in arrival order. */
    firstReplyMs: number;
    medianReplyMs: number;
    lastReplyMs: number;
    /** From sending all requests to the last session going idle with its commit made. */
    finishedMs: number;
  };
  /** The bare agents + commits, before and after orchd. */
  bare: { runsMs: number[]; meanMs: number };
  /** orchd finishedMs / bare meanMs. */
  ratio: number;
  targets: { ratio: number; lastReplyMs: number };
  pass: { ratio: boolean; lastReply: boolean };
}

/** The prompt of session `i`: a reply, one file written, 200 short messages. */
const promptOf = (i: number) => `Bench change ${i}\n@edit notes/change-${i}.md Change ${i}: a small edit\n@chatter 200`;

/** The agent alone in its worktree (print mode, stdout drained), then `git add -A` and `git commit`. */
async function bareSession(cwd: string, i: number, home: string): Promise<void> {
  const child = spawn(process.execPath, [FAKE_AGENT, '-p', promptOf(i), '--output-format', 'stream-json', '--verbose'], {
    cwd,
    env: { ...process.env, FAKE_AGENT_HOME: home, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`bare agent ${i} exited with ${code}: ${stderr.slice(-2000)}`);
  await execFileAsync('git', ['add', '-A'], { cwd, env: GIT_ENV });
  await execFileAsync('git', ['commit', '-q', '-m', `Bench change ${i}`], { cwd, env: GIT_ENV });
}

async function bareRun(worktrees: string[], home: string): Promise<number> {
  const start = performance.now();
  await Promise.all(worktrees.map((cwd, i) => bareSession(cwd, i, home)));
  return performance.now() - start;
}

export async function benchConcurrentSessions(sessions: number): Promise<ConcurrentSessionsResult> {
  const home = tempDir('orchd-bench-agent-');
  const repo = makeRepo(100);
  const bareRepo = makeRepo(100);
  const bareDir = tempDir('orchd-bench-bare-');
  const dataDir = tempDir('orchd-bench-concurrent-');
  const server = spawnServer('orchd', ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir, FAKE_AGENT_HOME: home }, BENCH_NODE_ARGS);
  const disarm = watchdog(5 * 60_000, [server], `${sessions} concurrent sessions`);
  try {
    // Two sets of bare worktrees, one per baseline run, so each starts from a clean tree.
    const worktrees = [0, 1].map((set) =>
      Array.from({ length: sessions }, (_, i) => {
        const dir = join(bareDir, `s${set}-${i}`);
        git(bareRepo, 'worktree', 'add', '-q', '-b', `bench/s${set}-${i}`, dir);
        return dir;
      }),
    );
    await server.request('initialize', INITIALIZE);
    const { workspaceIds } = await createWorkspaces(server, repo, sessions, { autoCommit: true });

    progress(`concurrent: ${sessions} bare agents + commits`);
    const bareBefore = await bareRun(worktrees[0]!, home);

    progress(`concurrent: ${sessions} session/start`);
    const pending = new Set(workspaceIds);
    const committed = new Set<string>();
    const idle = new Set<string>();
    const failures: string[] = [];
    let allFinished!: () => void;
    const finished = new Promise<void>((resolve) => (allFinished = resolve));
    let finishedAt = 0;
    const check = (workspaceId: string) => {
      if (committed.has(workspaceId) && idle.has(workspaceId) && pending.delete(workspaceId) && pending.size === 0) {
        finishedAt = performance.now();
        allFinished();
      }
    };
    server.rpc.onNotification('events/event', ({ event }: { event: { kind: string; workspaceId?: string; data: any } }) => {
      const id = event.workspaceId;
      if (!id || !pending.has(id)) return;
      if (event.kind === 'workspace/committed') {
        if (!event.data.commits.some((c: { oid: string | null }) => c.oid)) failures.push(`${id}: auto-commit made no commit`);
        committed.add(id);
        check(id);
      } else if (event.kind === 'execution/exited' && event.data.execution.runReason === 'codingAgent' && event.data.execution.status !== 'completed') {
        failures.push(`${id}: the agent ${event.data.execution.status} (${event.data.execution.reason ?? `exit code ${event.data.execution.exitCode}`})`);
        committed.add(id); // no commit will come; let the run end and report
        check(id);
      } else if (event.kind === 'session/updated' && event.data.session.status === 'idle') {
        idle.add(id);
        check(id);
      }
    });
    await server.request('events/subscribe', {});
    const replies: number[] = [];
    const start = performance.now();
    await Promise.all(
      workspaceIds.map((workspaceId, i) =>
        server.request('session/start', { workspaceId, executor: 'scripted-agent', prompt: promptOf(i) }).then(() => replies.push(performance.now() - start)),
      ),
    );
    await finished;
    const finishedMs = finishedAt - start;
    if (failures.length) throw new Error(`${failures.length} of ${sessions} sessions went wrong:\n${failures.slice(0, 10).join('\n')}`);

    progress(`concurrent: ${sessions} bare agents + commits, again`);
    const bareAfter = await bareRun(worktrees[1]!, home);
    const bareMean = (bareBefore + bareAfter) / 2;
    const lastReplyMs = Math.max(...replies);
    return {
      sessions,
      orchd: { firstReplyMs: Math.min(...replies), medianReplyMs: median(replies), lastReplyMs, finishedMs },
      bare: { runsMs: [bareBefore, bareAfter], meanMs: bareMean },
      ratio: finishedMs / bareMean,
      targets: { ratio: 1.5, lastReplyMs: 2000 },
      pass: { ratio: finishedMs / bareMean <= 1.5, lastReply: lastReplyMs <= 2000 },
    };
  } finally {
    disarm();
    await server.close();
    for (const dir of [dataDir, repo, bareRepo, bareDir, home]) removeDir(dir);
  }
}
