// The README's "watch a real CLI with no API key" line, run as written: the real Claude Code (found in the agent cache
// `npm test` fills, as the README says) against the project's mock model, through `orchd run` on PATH. Only HOME is
// sealed (so nothing lands in a real ~/.claude), which is why the cache is named with ORCHD_AGENT_CACHE.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startMockModel, type MockModel } from '../../fixtures/mock-model/server.js';
import { AGENT_SESSION_MS } from '../support/bounds.js';
import { BIN, ROOT, tempDir } from '../support/client.js';
import { TEST_CONFIG_HOME } from '../support/config-home.js';
import { git, makeRepo } from '../support/repo.js';
import { agentEnvironment } from './support/isolation.js';
import { agentCacheDir, ensureAgentCli } from './support/install.js';
import { holdRealAgentSlot } from './support/slot.js';

await holdRealAgentSlot();

describe('README: a real CLI against the mock model', { timeout: AGENT_SESSION_MS }, () => {
  let mock: MockModel;
  before(async () => {
    await ensureAgentCli('claude');
    mock = await startMockModel();
  });
  after(() => mock?.close());

  it('`orchd run --agent claude-code` with the mock model runs as the README writes it', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const line = /`(ANTHROPIC_BASE_URL=<url> [^`]*orchd run --agent claude-code [^`]*)`/.exec(readme)?.[1];
    assert.ok(line, 'the README shows the real-CLI line');
    const home = realpathSync(tempDir('orchd-readme-claude-home-'));
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'orchd'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
    chmodSync(join(bin, 'orchd'), 0o755);
    const sealed = agentEnvironment('claude', { home, mockUrl: mock.url });
    // The line sets ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY itself; take them out so it is the line that does.
    delete sealed.ANTHROPIC_BASE_URL;
    delete sealed.ANTHROPIC_API_KEY;
    const env = { ...sealed, PATH: `${bin}:${sealed.PATH}`, ORCHD_AGENT_CACHE: agentCacheDir(), ORCHD_DATA_DIR: join(home, 'orchd-data'), ORCHD_CONFIG_HOME: TEST_CONFIG_HOME! };
    const repo = realpathSync(makeRepo({ 'README.md': '# app\n' }));
    const command = line.replace('<url>', mock.url);
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', command], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(result.code, 0, `${command}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
    assert.match(result.stdout, /claude-code finished/, result.stdout);
    assert.match(result.stdout, /Write succeeded/);
    const branch = /Branch\s+(\S+)/.exec(result.stdout)?.[1];
    assert.ok(branch, 'the summary names the branch');
    assert.equal(git(repo, 'show', `${branch}:hello.txt`), 'hi', 'the file the mock asked for is committed on the branch');
    assert.ok(mock.requests.some((r) => r.path.includes('/messages')), 'Claude Code talked to the mock model');
  });
});
