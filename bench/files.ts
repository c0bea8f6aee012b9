// Issue 14 figure: `fs/read` of a 1 MB text file from a workspace over stdio, against what a host that read the file
// itself would pay: `fs.readFile` of the same file in the bench plus one `daemon/ping` round trip to the same daemon
// (the request it would still send). p50 and p99 of each, alternating blocks so noise lands on both alike. For
// reference, what JSON alone costs: stringifying and parsing the same reply once each, in the bench.
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from './repo.js';
import { INITIALIZE, removeDir, spawnOrchd, tempDir, watchdog } from './spawn.js';
import { summarise, type Summary } from './stats.js';

export const FILE_BYTES = 1024 * 1024;
const BLOCK = 50;
const WARM_UP = 50;

export interface FilesResult {
  reads: number;
  bytes: number;
  /** `fs/read` from send to reply (content, hash and all). */
  orchdMs: Summary;
  /** `fs.readFile` of the same file + one `daemon/ping` round trip. */
  baselineMs: Summary;
  ratioP50: number;
  ratioP99: number;
  /** JSON.stringify + JSON.parse of one fs/read reply, in the bench process. */
  jsonMs: Summary;
}

/** A repository with one 1 MB text file (lines of 99 characters), committed. */
function repoWithBigFile(): { repo: string; path: string } {
  const repo = tempDir('orchd-bench-files-repo-');
  git(repo, 'init', '-q', '-b', 'main');
  const line = `${'0123456789'.repeat(10).slice(0, 99)}\n`;
  const content = line.repeat(Math.ceil(FILE_BYTES / line.length)).slice(0, FILE_BYTES);
  writeFileSync(join(repo, 'big.txt'), content);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'big file');
  return { repo, path: 'big.txt' };
}

export async function benchFiles(reads: number): Promise<FilesResult> {
  const dataDir = tempDir('orchd-bench-files-');
  const { repo, path } = repoWithBigFile();
  const orchd = spawnOrchd(dataDir);
  const disarm = watchdog(10 * 60_000, [orchd], 'the fs/read loop');
  try {
    await orchd.request('initialize', INITIALIZE);
    const { project } = await orchd.request<{ project: { id: string } }>('project/create', { name: 'bench files', repositories: [{ path: repo }] });
    const { task } = await orchd.request<{ task: { id: string } }>('task/create', { projectId: project.id, title: 'bench files' });
    const { workspace } = await orchd.request<{ workspace: { id: string; repositories: { path: string }[] } }>('workspace/create', { taskId: task.id });
    const absolute = join(workspace.repositories[0]!.path, path);
    const params = { workspaceId: workspace.id, path };

    // Sanity: the daemon returns the whole file as text, the baseline reads the same bytes.
    const first = await orchd.request<{ content: string; encoding: string; size: number }>('fs/read', params);
    const reply = { jsonrpc: '2.0', id: 1, result: first };
    const direct = await readFile(absolute, 'utf8');
    if (first.encoding !== 'utf8' || first.size !== FILE_BYTES || first.content !== direct) throw new Error(`fs/read returned ${first.size} bytes as ${first.encoding}, not the file`);

    const viaOrchd = async (into?: number[]) => {
      const start = performance.now();
      await orchd.rpc.sendRequest('fs/read', params);
      into?.push(performance.now() - start);
    };
    const baseline = async (into?: number[]) => {
      const start = performance.now();
      await readFile(absolute, 'utf8');
      await orchd.rpc.sendRequest('daemon/ping', {});
      into?.push(performance.now() - start);
    };
    for (let i = 0; i < WARM_UP; i++) {
      await viaOrchd();
      await baseline();
    }
    const orchdSamples: number[] = [];
    const baselineSamples: number[] = [];
    for (let done = 0, turn = 0; done < reads; turn++) {
      const n = Math.min(BLOCK, reads - done);
      const order = turn % 2 === 0 ? [viaOrchd, baseline] : [baseline, viaOrchd];
      for (const run of order) for (let i = 0; i < n; i++) await run(run === viaOrchd ? orchdSamples : baselineSamples);
      done += n;
    }
    const jsonSamples: number[] = [];
    for (let i = 0; i < Math.min(reads, 200); i++) {
      const start = performance.now();
      JSON.parse(JSON.stringify(reply));
      jsonSamples.push(performance.now() - start);
    }
    const orchdMs = summarise(orchdSamples);
    const baselineMs = summarise(baselineSamples);
    return { reads, bytes: FILE_BYTES, orchdMs, baselineMs, ratioP50: orchdMs.p50 / baselineMs.p50, ratioP99: orchdMs.p99 / baselineMs.p99, jsonMs: summarise(jsonSamples) };
  } finally {
    disarm();
    await orchd.close();
    removeDir(dataDir);
    removeDir(repo);
  }
}
