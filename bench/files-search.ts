// Issue 14 search figures on a 10,000-file repository:
//   - `fs/search` over the daemon (request to reply, over stdio) against the same `git grep` command line run by the
//     bench itself (spawned, its output read to the end): the daemon's cost on top of git. A rare query (10 matches)
//     and a common one (~2,000 matches, all returned); p50 of alternating runs. For reference, plain `git grep -n`
//     (tracked files only, no column, no untracked walk);
//   - `fs/findFiles`: the first call on a worktree (git ls-files + scoring) and cached calls (a query typed one key at
//     a time), with `git ls-files` alone for reference.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { grepArgs } from '../src/files/search.js';
import { gitInstallation } from '../src/git/git-environment.js';
import { git } from './repo.js';
import { INITIALIZE, progress, removeDir, spawnOrchd, tempDir, type Server } from './spawn.js';
import { summarise, type Summary } from './stats.js';

export interface SearchFigure {
  query: string;
  matches: number;
  orchdMs: Summary;
  gitMs: Summary;
  ratioP50: number;
}

export interface FilesSearchResult {
  files: number;
  runs: number;
  target: number;
  searches: SearchFigure[];
  /** `git grep -n <query>` on tracked files only, the rare query. */
  plainGitGrepMs: Summary;
  findFiles: { firstMs: Summary; cachedMs: Summary; lsFilesMs: Summary; keystrokes: string[] };
  pass: boolean;
}

/** A repository of `files` source-like files (40 lines each) in 100 directories; `needle4242` in 10 of them, `TODO` in every 5th. */
function makeSearchRepo(files: number): string {
  const dir = tempDir('orchd-bench-search-');
  git(dir, 'init', '-q', '-b', 'main');
  for (let i = 0; i < files; i++) {
    const sub = join(dir, 'src', `module${i % 100}`);
    if (i < 100) mkdirSync(sub, { recursive: true });
    const lines: string[] = [`// file ${i}: generated for the search benchmark`, `import { helper${i % 37} } from '../shared/helpers.js';`, ''];
    for (let l = 0; l < 36; l++) lines.push(`export const value${i}_${l} = helper${i % 37}(${l}, 'text for line ${l} of file ${i}');`);
    if (i % 5 === 0) lines.push(`// TODO: revisit file ${i}`);
    if (i % (files / 10) === 7) lines.push(`const marker = 'needle4242';`);
    writeFileSync(join(sub, `component${i}.ts`), `${lines.join('\n')}\n`);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'search bench');
  return dir;
}

/** Run git with `args` in `cwd`, reading its stdout to the end; resolves with the milliseconds it took. */
async function timeGit(binary: string, env: NodeJS.ProcessEnv, args: readonly string[], cwd: string): Promise<number> {
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(binary, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', () => {});
    child.once('error', reject);
    child.once('close', (code) => (code === 0 || code === 1 ? resolve() : reject(new Error(`git ${args.join(' ')} exited with ${code}`))));
  });
  return performance.now() - start;
}

/** Run the search benchmarks. */
export async function benchFilesSearch(options: { files?: number; runs?: number } = {}): Promise<FilesSearchResult> {
  const files = options.files ?? 10_000;
  const runs = options.runs ?? 21;
  const target = 1.2;
  progress(`search: generating a ${files}-file repository`);
  const repo = makeSearchRepo(files);
  const dataDir = tempDir('orchd-bench-data-');
  const daemon: Server = spawnOrchd(dataDir);
  try {
    await daemon.request('initialize', INITIALIZE);
    const { project } = await daemon.request<{ project: { id: string } }>('project/create', { name: 'search', repositories: [{ path: repo }] });
    const workspaces: { id: string; path: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const { task } = await daemon.request<{ task: { id: string } }>('task/create', { projectId: project.id, title: `search ${i}` });
      const { workspace } = await daemon.request<{ workspace: { id: string; repositories: { path: string }[] } }>('workspace/create', { taskId: task.id });
      workspaces.push({ id: workspace.id, path: workspace.repositories[0]!.path });
    }
    const [main] = workspaces;
    const installation = await gitInstallation();
    // The binary and environment the daemon's git runs with (dugite's resolution), plus grep's locale.
    const { setupEnvironment } = await import('dugite');
    const resolved = setupEnvironment({ ...installation.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' });
    const env = resolved.env as NodeJS.ProcessEnv;

    // fs/findFiles first: its first call must find the cache cold.
    const firstMs: number[] = [];
    for (const ws of workspaces) {
      const start = performance.now();
      const result = await daemon.request<{ files: unknown[] }>('fs/findFiles', { workspaceId: ws.id, query: 'cmp42', maxResults: 100 });
      firstMs.push(performance.now() - start);
      if (!result.files.length) throw new Error('fs/findFiles found nothing for `cmp42`');
    }
    const keystrokes = ['m', 'mo', 'mod', 'mod4', 'mod42', 'mod42c', 'mod42co', 'mod42com', 'mod42comp', 'mod42compo'];
    const cachedMs: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const query of keystrokes) {
        const start = performance.now();
        await daemon.request('fs/findFiles', { workspaceId: main!.id, query, maxResults: 100 });
        cachedMs.push(performance.now() - start);
      }
    }
    const lsFilesMs: number[] = [];
    for (let i = 0; i < 5; i++) lsFilesMs.push(await timeGit(resolved.gitLocation, env, ['ls-files', '-z', '-t', '--cached', '--deleted', '--others', '--exclude-standard'], main!.path));

    const searches: SearchFigure[] = [];
    for (const query of ['needle4242', 'TODO']) {
      const params = { workspaceId: main!.id, query, maxResults: 100_000 };
      const args = grepArgs({ query, regex: false, caseSensitive: false, wholeWord: false });
      const orchdMs: number[] = [];
      const gitMs: number[] = [];
      let matches = 0;
      // Warm both (page cache, git's index) before measuring; then alternate, the order flipping each run.
      for (let i = 0; i < 3; i++) {
        await daemon.request('fs/search', params);
        await timeGit(resolved.gitLocation, env, args, main!.path);
      }
      for (let i = 0; i < runs; i++) {
        const viaOrchd = async () => {
          const start = performance.now();
          const result = await daemon.request<{ matches: unknown[]; truncated: boolean }>('fs/search', params);
          orchdMs.push(performance.now() - start);
          matches = result.matches.length;
        };
        const viaGit = async () => gitMs.push(await timeGit(resolved.gitLocation, env, args, main!.path));
        if (i % 2 === 0) {
          await viaOrchd();
          await viaGit();
        } else {
          await viaGit();
          await viaOrchd();
        }
      }
      const o = summarise(orchdMs);
      const g = summarise(gitMs);
      searches.push({ query, matches, orchdMs: o, gitMs: g, ratioP50: o.p50 / g.p50 });
    }
    const plain: number[] = [];
    for (let i = 0; i < runs; i++) plain.push(await timeGit(resolved.gitLocation, env, ['grep', '-n', '-e', 'needle4242'], main!.path));
    return {
      files,
      runs,
      target,
      searches,
      plainGitGrepMs: summarise(plain),
      findFiles: { firstMs: summarise(firstMs), cachedMs: summarise(cachedMs), lsFilesMs: summarise(lsFilesMs), keystrokes },
      pass: searches.every((s) => s.ratioP50 <= target),
    };
  } finally {
    await daemon.close();
    removeDir(repo);
    removeDir(dataDir);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const result = await benchFilesSearch(quick ? { files: 2000, runs: 9 } : {});
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
