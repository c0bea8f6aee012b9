// File watching (issue 14): how long a write takes to reach the host as `fs/changed`, against a bare fs.watch of the
// same directory in the bench process; and what watches on ten 10,000-file workspaces cost the daemon in memory and
// inotify watches, against its RSS before them, with chokidar 5 on the same worktrees for comparison (the per-file
// watches that made src/files/watcher.ts watch directories instead).
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, watch as fsWatch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import { makeRepo } from './repo.js';
import { rssMb, watchPeakRss } from './rss.js';
import { INITIALIZE, progress, sleep, spawnOrchd, type Server } from './spawn.js';
import { summarise, type Summary } from './stats.js';

export interface WatchBenchResult {
  files: number;
  latency: { writes: number; gapMs: number; orchdMs: Summary; fsWatchMs: Summary; ratioP50: number; ratioP99: number };
  memory: {
    workspaces: number;
    filesEach: number;
    beforeMb: number;
    afterMb: number;
    peakMb: number;
    perWorkspaceMb: number;
    inotifyWatches: number;
    watchReplyMs: Summary;
    maxUserWatches: number | null;
  };
  /** chokidar 5 on the same worktrees, in the bench process. */
  chokidar: { rssMb: number; inotifyWatches: number; readyMs: number };
}

interface Workspace {
  id: string;
  repositories: { path: string }[];
}

/** `fs.inotify.max_user_watches`, the per-user limit every inotify watch counts against (Linux). */
export function maxUserWatches(): number | null {
  try {
    return Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
  } catch {
    return null;
  }
}

/** inotify watches held by a process: the `inotify wd:` lines of its inotify descriptors' fdinfo (Linux). */
function inotifyWatches(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
      count += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').split('\n').filter((line) => line.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

async function workspacesOn(daemon: Server, repo: string, count: number): Promise<Workspace[]> {
  const { project } = await daemon.request<{ project: { id: string } }>('project/create', { name: 'watch bench', repositories: [{ path: repo }] });
  const workspaces: Workspace[] = [];
  for (let i = 0; i < count; i++) {
    const { task } = await daemon.request<{ task: { id: string } }>('task/create', { projectId: project.id, title: `watch ${i}` });
    workspaces.push((await daemon.request<{ workspace: Workspace }>('workspace/create', { taskId: task.id })).workspace);
  }
  return workspaces;
}

/** Write → `fs/changed` at the host, one write at a time with a quiet gap (so each is a first change, not coalesced). */
async function benchLatency(daemon: Server, worktree: string, workspaceId: string, writes: number, gapMs: number) {
  const waiting = new Map<string, { orchd?: number; fsWatch?: number; done: () => void }>();
  const settle = (path: string, side: 'orchd' | 'fsWatch') => {
    const entry = waiting.get(path);
    if (!entry || entry[side] !== undefined) return;
    entry[side] = performance.now();
    if (entry.orchd !== undefined && entry.fsWatch !== undefined) entry.done();
  };
  // The baseline: the kernel's notice through Node, nothing else (a watch of each directory written to).
  const bare = Array.from({ length: 100 }, (_, d) => fsWatch(join(worktree, 'src', `d${d}`), (_event, name) => name && settle(`src/d${d}/${name}`, 'fsWatch')));
  daemon.rpc.onNotification('fs/changed', (params: { changes: { path: string }[] }) => {
    for (const change of params.changes) settle(change.path, 'orchd');
  });
  const { watchId } = await daemon.request<{ watchId: string }>('fs/watch', { workspaceId, diff: false });
  const orchd: number[] = [];
  const direct: number[] = [];
  try {
    for (let i = 0; i < writes; i++) {
      const path = `src/d${i % 100}/f${i}.ts`;
      const arrived = new Promise<void>((resolve) => waiting.set(path, { done: resolve }));
      const start = performance.now();
      writeFileSync(join(worktree, path), `export const value${i} = ${-i};\n`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([arrived, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no change event for ${path} within 10 s`)), 10_000)))]);
      clearTimeout(timer);
      const entry = waiting.get(path)!;
      waiting.delete(path);
      orchd.push(entry.orchd! - start);
      direct.push(entry.fsWatch! - start);
      await sleep(gapMs);
    }
  } finally {
    await daemon.request('fs/unwatch', { watchId });
    for (const watcher of bare) watcher.close();
  }
  const orchdMs = summarise(orchd);
  const fsWatchMs = summarise(direct);
  return { writes, gapMs, orchdMs, fsWatchMs, ratioP50: orchdMs.p50 / fsWatchMs.p50, ratioP99: orchdMs.p99 / fsWatchMs.p99 };
}

/** chokidar 5 alone on the worktrees, in this process: its RSS, inotify watches and time to `ready`. */
async function chokidarOn(worktrees: readonly string[]): Promise<WatchBenchResult['chokidar']> {
  const before = rssMb(process.pid);
  const start = performance.now();
  const watchers = worktrees.map((worktree) => chokidarWatch(worktree, { ignoreInitial: true, ignored: (path) => /(^|\/)\.git(\/|$)/.test(path) }));
  await Promise.all(watchers.map((watcher) => new Promise<void>((resolve) => watcher.once('ready', () => resolve()))));
  const readyMs = performance.now() - start;
  await sleep(1000);
  const result = { rssMb: rssMb(process.pid) - before, inotifyWatches: inotifyWatches(process.pid), readyMs };
  await Promise.all(watchers.map((watcher) => watcher.close()));
  return result;
}

/** Run the watch benchmarks on `files`-file repositories. */
export async function benchWatch(options: { files?: number; writes?: number; workspaces?: number } = {}): Promise<WatchBenchResult> {
  const files = options.files ?? 10_000;
  const writes = options.writes ?? 200;
  const count = options.workspaces ?? 10;
  const repo = makeRepo(files);
  const dataDir = mkdtempSync(join(tmpdir(), 'orchd-bench-watch-'));
  const daemon = spawnOrchd(dataDir);
  try {
    await daemon.request('initialize', INITIALIZE);
    progress(`  creating ${count} workspaces of ${files} files`);
    const workspaces = await workspacesOn(daemon, repo, count);

    // Memory first, on a daemon that has done nothing else since creating the workspaces.
    await sleep(1000);
    const beforeMb = rssMb(daemon.pid);
    const peak = watchPeakRss(daemon.pid);
    const replies: number[] = [];
    for (const workspace of workspaces) {
      const start = performance.now();
      await daemon.request('fs/watch', { workspaceId: workspace.id, diff: false });
      replies.push(performance.now() - start);
    }
    await sleep(1000);
    const afterMb = rssMb(daemon.pid);
    peak.stop();
    const inotify = inotifyWatches(daemon.pid);
    const status = await daemon.request<{ daemon: { watches: { watchers: number; watches: number } } }>('daemon/status');
    if (status.daemon.watches.watchers !== count) throw new Error(`expected ${count} watchers, daemon/status says ${JSON.stringify(status.daemon.watches)}`);

    progress(`  ${writes} writes, one at a time`);
    const latency = await benchLatency(daemon, workspaces[1]!.repositories[0]!.path, workspaces[1]!.id, writes, 60);
    progress(`  chokidar on the same ${count} worktrees, for comparison`);
    const chokidar = await chokidarOn(workspaces.map((w) => w.repositories[0]!.path));
    return {
      files,
      latency,
      memory: {
        workspaces: count,
        filesEach: files,
        beforeMb,
        afterMb,
        peakMb: peak.peakMb,
        perWorkspaceMb: (afterMb - beforeMb) / count,
        inotifyWatches: inotify,
        watchReplyMs: summarise(replies),
        maxUserWatches: maxUserWatches(),
      },
      chokidar,
    };
  } finally {
    await daemon.close();
    for (const dir of [repo, dataDir]) rmSync(dir, { recursive: true, force: true });
  }
}
