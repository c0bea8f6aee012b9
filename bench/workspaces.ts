// Workspace benchmarks (issue 3): `workspace/create` on a 10,000-file repository against plain `git worktree add`,
// and `workspace/diff` of 1,000 changed files against the git commands that compute the same thing, in the same run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INITIALIZE, spawnOrchd, type Server } from './spawn.js';
import { median } from './stats.js';
import { git, makeRepo } from './repo.js';

async function startDaemon(dataDir: string): Promise<Server> {
  const server = spawnOrchd(dataDir);
  await server.rpc.sendRequest('initialize', INITIALIZE);
  return server;
}

export interface WorkspaceBenchResult {
  files: number;
  runs: number;
  createMs: { orchd: number; git: number; ratio: number; target: number };
  diff: { changedFiles: number; orchdMs: number; gitMs: number; ratio: number };
}

/** Run both workspace benchmarks. */
export async function benchWorkspaces(options: { files?: number; runs?: number; changed?: number } = {}): Promise<WorkspaceBenchResult> {
  const files = options.files ?? 10_000;
  const runs = options.runs ?? 7;
  const changed = options.changed ?? 1_000;
  const repo = makeRepo(files);
  const dataDir = mkdtempSync(join(tmpdir(), 'orchd-bench-data-'));
  const plainDir = mkdtempSync(join(tmpdir(), 'orchd-bench-plain-'));
  const daemon = await startDaemon(dataDir);
  try {
    const project = ((await daemon.rpc.sendRequest('project/create', { name: 'bench', repositories: [{ path: repo }] })) as { project: { id: string } }).project;
    const orchdTimes: number[] = [];
    const gitTimes: number[] = [];
    let lastWorkspace: { id: string; repositories: { path: string }[] } | undefined;
    // Warm both paths once (page cache, git's index of the main checkout).
    git(repo, 'worktree', 'add', '-q', '-b', 'bench/warm', join(plainDir, 'warm'), 'main');
    for (let i = 0; i < runs; i++) {
      const task = ((await daemon.rpc.sendRequest('task/create', { projectId: project.id, title: `bench ${i}` })) as { task: { id: string } }).task;
      let start = performance.now();
      lastWorkspace = ((await daemon.rpc.sendRequest('workspace/create', { taskId: task.id })) as { workspace: NonNullable<typeof lastWorkspace> }).workspace;
      orchdTimes.push(performance.now() - start);
      start = performance.now();
      git(repo, 'worktree', 'add', '-q', '-b', `bench/plain-${i}`, join(plainDir, `w${i}`), 'main');
      gitTimes.push(performance.now() - start);
    }
    // Diff: change `changed` files in the last workspace (half committed, half not).
    const worktree = lastWorkspace!.repositories[0]!.path;
    for (let i = 0; i < changed; i++) writeFileSync(join(worktree, 'src', `d${i % 100}`, `f${i}.ts`), `export const value${i} = ${i + 1}; // changed\n`);
    git(worktree, 'add', '-A');
    git(worktree, 'commit', '-q', '-m', 'half');
    for (let i = 0; i < changed / 2; i++) writeFileSync(join(worktree, 'src', `d${i % 100}`, `f${i}.ts`), `export const value${i} = ${i + 2}; // again\n`);
    const diffOrchd: number[] = [];
    const diffGit: number[] = [];
    let changedFiles = 0;
    for (let i = 0; i < 5; i++) {
      let start = performance.now();
      const diff = (await daemon.rpc.sendRequest('workspace/diff', { workspaceId: lastWorkspace!.id })) as { stats: { files: number } };
      diffOrchd.push(performance.now() - start);
      changedFiles = diff.stats.files;
      start = performance.now();
      const base = git(worktree, 'merge-base', 'main', 'HEAD').trim();
      git(worktree, 'diff', '--numstat', '-z', '-M', base);
      git(worktree, 'diff', '--name-status', '-z', '-M', base);
      git(worktree, 'ls-files', '--others', '--exclude-standard', '-z');
      diffGit.push(performance.now() - start);
    }
    const createOrchd = median(orchdTimes);
    const createGit = median(gitTimes);
    return {
      files,
      runs,
      createMs: { orchd: createOrchd, git: createGit, ratio: createOrchd / createGit, target: 1.2 },
      diff: { changedFiles, orchdMs: median(diffOrchd), gitMs: median(diffGit), ratio: median(diffOrchd) / median(diffGit) },
    };
  } finally {
    await daemon.close();
    for (const dir of [repo, dataDir, plainDir]) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const result = await benchWorkspaces(quick ? { files: 2000, runs: 3, changed: 200 } : {});
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
