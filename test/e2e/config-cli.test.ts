// End-to-end: `orchd config path|validate|show` with the built binary, run from inside a repository as a person
// would, with its own config home (never the real ~/.config/orchd).
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createProject } from '../../src/projects/service.js';
import { openEngine } from '../../src/engine.js';
import { silentLogger } from '../../src/log/logger.js';
import { CLI_MS } from '../support/bounds.js';
import { cliEnvironment, runCli, type CliResult } from '../support/cli.js';
import { tempDir } from '../support/client.js';
import { makeRepo } from '../support/repo.js';

describe('orchd config (built binary)', () => {
  const configHome = join(tempDir('orchd-config-cli-'), 'orchd');
  const userFile = join(configHome, 'config.json');
  let dataDir: string;
  let repo: string;
  let projectId: string;

  const orchd = (args: string[], cwd = repo): Promise<CliResult> => runCli(args, cliEnvironment({ ORCHD_CONFIG_HOME: configHome, ORCHD_DATA_DIR: dataDir }), CLI_MS, cwd);

  before(async () => {
    dataDir = tempDir();
    repo = realpathSync(makeRepo());
    const engine = await openEngine({ dataDir, logger: silentLogger, configHome });
    try {
      projectId = (await createProject(engine, { name: 'CLI config', repositories: [{ path: repo, name: 'app' }], settings: { autoCommit: false } })).id;
    } finally {
      await engine.close();
    }
  });
  after(() => {
    for (const dir of [dataDir, repo, join(configHome, '..')]) rmSync(dir, { recursive: true, force: true });
  });

  it('`config path` prints where the user file and this repository\'s orchd.json are', async () => {
    const result = await orchd(['config', 'path']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `user        ${userFile} (absent)\nrepository  ${join(repo, 'orchd.json')} (absent)\n`);
    const json = await orchd(['config', 'path', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), { user: userFile, repository: join(repo, 'orchd.json') });
    const outside = await orchd(['config', 'path', '--json'], dataDir);
    assert.deepEqual(JSON.parse(outside.stdout), { user: userFile, repository: null });
  });

  it('`config validate` checks both files and exits 1 with the precise problems', async () => {
    const clean = await orchd(['config', 'validate']);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(clean.stdout, `absent  ${userFile}\nabsent  ${join(repo, 'orchd.json')}\n`);

    mkdirSync(configHome, { recursive: true });
    writeFileSync(userFile, JSON.stringify({ profiles: { fast: { executor: 'scripted-agent', env: { ANTHROPIC_API_KEY: 'sk-ant-not-here' } } } }));
    writeFileSync(join(repo, 'orchd.json'), '{\n  "scripts": {"setup": [{"command": 42}]}\n}\n');
    const broken = await orchd(['config', 'validate']);
    assert.equal(broken.code, 1);
    assert.equal(
      broken.stdout,
      [
        `invalid ${userFile}`,
        `        Expected $.profiles.fast.env.ANTHROPIC_API_KEY in ${JSON.stringify(userFile)} to refer to orchd's environment, like {"env": "ANTHROPIC_API_KEY"}, got a plain string: secrets are never kept in configuration`,
        `invalid ${join(repo, 'orchd.json')}`,
        `        Expected $.scripts.setup[0].command in ${JSON.stringify(join(repo, 'orchd.json'))} to be a string, got 42`,
        '',
      ].join('\n'),
    );
    assert.ok(!broken.stdout.includes('sk-ant-not-here'));

    const missing = await orchd(['config', 'validate', 'nope.json']);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /^invalid .*nope\.json\n {8}Expected ".*nope\.json" to be a file, got nothing there\n$/);
    const unknownExecutor = join(repo, 'other.json');
    writeFileSync(unknownExecutor, JSON.stringify({ profiles: { fast: { executor: 'no-such-agent' } } }));
    const executor = await orchd(['config', 'validate', '--json', 'other.json']);
    assert.equal(executor.code, 1);
    assert.equal(JSON.parse(executor.stdout).files[0].problems[0].jsonPath, '$.profiles.fast.executor');

    writeFileSync(userFile, JSON.stringify({ profiles: { fast: { executor: 'scripted-agent', env: { ANTHROPIC_API_KEY: { env: 'MY_KEY' } } } } }));
    writeFileSync(join(repo, 'orchd.json'), JSON.stringify({ scripts: { setup: [{ command: 'npm ci' }] } }));
    const fixed = await orchd(['config', 'validate']);
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.equal(fixed.stdout, `ok      ${userFile}\nok      ${join(repo, 'orchd.json')}\n`);
  });

  it('`config show` shows the effective configuration of the repository\'s project, with sources', async () => {
    const json = await orchd(['config', 'show', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const shown = JSON.parse(json.stdout);
    assert.deepEqual(shown.project, { id: projectId, name: 'CLI config' });
    assert.deepEqual(shown.config.scripts.setup, [{ command: 'npm ci', repository: 'app' }]);
    assert.equal(shown.sources['scripts.setup'], 'repository');
    assert.equal(shown.sources['profiles.fast'], 'user');
    assert.equal(shown.sources.autoCommit, 'project');
    assert.deepEqual(shown.config.profiles.fast.env, { ANTHROPIC_API_KEY: { env: 'MY_KEY' } });

    const text = await orchd(['config', 'show']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^Configuration of project CLI config \\(${projectId}\\)\n`));
    assert.match(text.stdout, /\n {2}repository +loaded +.*orchd\.json\n/);
    assert.match(text.stdout, /\n {2}autoCommit +false +project\n/);
    assert.match(text.stdout, /\n {2}scripts\.setup +\[\{"command":"npm ci","repository":"app"\}\] +repository\n/);

    // Outside any project's repository: the user level.
    const user = await orchd(['config', 'show', '--json'], dataDir);
    assert.equal(JSON.parse(user.stdout).project, null);
    assert.equal(JSON.parse(user.stdout).sources.autoCommit, 'default');
    const unknown = await orchd(['config', 'show', '--project', 'prj_nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Expected `--project` to name an existing project, got `prj_nope`/);
  });
});
