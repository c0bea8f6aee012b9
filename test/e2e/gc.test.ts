// End-to-end: `orchd gc` and `orchd doctor` with the built binary, on a data directory where `orchd run` left a
// finished session and a host set the project's retention over the protocol.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { spawnOrchd, tempDir } from '../support/client.js';
import { cliEnvironment, runCli, type CliResult } from '../support/cli.js';
import { makeRepo } from '../support/repo.js';

describe('orchd gc and orchd doctor (built binary)', () => {
  let dataDir: string;
  let repo: string;
  let agentHome: string;
  let projectId: string;

  /** Run the built CLI with no ORCHD_* variables from this process. */
  const orchd = (args: string[]): Promise<CliResult> => runCli(args, cliEnvironment({ FAKE_AGENT_HOME: agentHome }));

  before(async () => {
    dataDir = tempDir();
    repo = makeRepo();
    agentHome = tempDir('orchd-agent-home-');
    const run = await orchd(['run', '--json', '--repo', repo, '--agent', 'scripted-agent', '--data-dir', dataDir, 'hello from the gc test']);
    assert.equal(run.code, 0, run.stderr);
    const host = spawnOrchd({ dataDir });
    try {
      await host.client.initialize();
      projectId = (await host.client.request('project/list', {})).projects[0]!.id;
      await host.client.request('project/update', { projectId, retention: { maxAgeDays: 0 } });
    } finally {
      await host.close();
    }
  });
  after(() => {
    for (const dir of [dataDir, repo, agentHome]) rmSync(dir, { recursive: true, force: true });
  });

  it('reports what it would drop, drops it, and then has nothing left to drop', async () => {
    const dry = await orchd(['gc', '--dry-run', '--data-dir', dataDir]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Would drop the raw output of [1-9]\d* executions?: [\d,]+ events?, [\d.]+ (B|KB|MB)\.$/m);
    assert.match(dry.stdout, new RegExp(`^  \\S+ \\(${projectId}, retention: maxAgeDays 0\\): `, 'm'));
    assert.match(dry.stdout, /^Nothing was changed \(dry run\)\.$/m);

    const done = await orchd(['gc', '--data-dir', dataDir]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^Dropped the raw output of [1-9]\d* executions?/m);
    assert.match(done.stdout, /^Left [1-9]\d* tombstones? \(events\/compacted\) where the output was; the normalized entries are kept\.$/m);
    assert.match(done.stdout, /^Database: [\d.]+ (KB|MB) -> [\d.]+ (KB|MB) \(incremental vacuum\)\.$/m);

    const again = await orchd(['gc', '--json', '--data-dir', dataDir]);
    assert.equal(again.code, 0, again.stderr);
    const { compaction } = JSON.parse(again.stdout) as { compaction: { eventsDropped: number; projects: { projectId: string; outputBytesKept: number }[] } };
    assert.equal(compaction.eventsDropped, 0);
    assert.deepEqual(compaction.projects.map((p) => [p.projectId, p.outputBytesKept]), [[projectId, 0]]);
  });

  it('orchd doctor reports the database size by project', async () => {
    const json = await orchd(['doctor', '--json', '--data-dir', dataDir]);
    const report = JSON.parse(json.stdout) as { checks: { name: string; ok: boolean }[]; database: { bytes: number; autoVacuum: string; projects: { projectId: string | null; bytes: number; outputBytes: number; compactedExecutions: number }[] } };
    assert.ok(report.checks.some((c) => c.name === 'database' && c.ok));
    assert.equal(report.database.autoVacuum, 'incremental');
    const project = report.database.projects.find((p) => p.projectId === projectId)!;
    assert.ok(project.bytes > 0);
    assert.equal(project.outputBytes, 0, 'gc dropped the raw output');
    assert.ok(project.compactedExecutions > 0);
    const text = await orchd(['doctor', '--data-dir', dataDir]);
    assert.match(text.stdout, /^database by project \(event data\)$/m);
    assert.match(text.stdout, new RegExp(`^ +\\S+ ${projectId} +[\\d.]+ (B|KB|MB) in [\\d,]+ events \\(raw output 0 B; output of \\d+ executions? dropped\\)$`, 'm'));
  });

  it('fails with the protocol error for an unknown project, and with usage for a stray argument', async () => {
    const missing = await orchd(['gc', '--project', 'prj_missing', '--data-dir', dataDir]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split('\n').at(-1), 'orchd: Expected `--project` to name an existing project, got `prj_missing`');
    const stray = await orchd(['gc', 'everything', '--data-dir', dataDir]);
    assert.equal(stray.code, 2);
    assert.equal(stray.stderr, "orchd: Unexpected argument `everything`\nRun 'orchd gc --help' for usage.\n");
  });
});
