// executor/list and `orchd doctor` report every executor: found or not, its version, how it is driven and what it
// can do. A stand-in `claude` on PATH (a script printing a version) shows detection without the real CLI.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_MS } from '../support/bounds.js';
import { BIN, spawnOrchd, tempDir } from '../support/client.js';

describe('executor detection', () => {
  let bin: string;
  before(() => {
    bin = tempDir('orchd-fake-bin-');
    writeFileSync(join(bin, 'claude'), '#!/bin/sh\necho "2.1.119 (Claude Code)"\n');
    chmodSync(join(bin, 'claude'), 0o755);
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  it('executor/list finds a CLI on PATH with its version, and says what to install for a missing one', async () => {
    const orchd = spawnOrchd({ env: { PATH: `${bin}:${process.env.PATH}`, ORCHD_CLAUDE_PATH: '' } });
    try {
      await orchd.client.initialize();
      const { executors } = await orchd.client.request('executor/list', {});
      const claude = executors.find((e) => e.id === 'claude-code')!;
      assert.deepEqual([claude.available, claude.version, claude.path], [true, '2.1.119', join(bin, 'claude')]);
      assert.equal(claude.capabilities.approvals, true);
      const scripted = executors.find((e) => e.id === 'scripted-agent')!;
      assert.equal(scripted.available, true);
      for (const executor of executors) assert.ok(executor.available || executor.hint, `${executor.id} says what to install`);
    } finally {
      await orchd.close();
    }
  });

  it('orchd doctor lists the agents as text and JSON', () => {
    const env = { ...process.env, PATH: `/usr/bin:/bin:${bin}`, ORCHD_CLAUDE_PATH: '' };
    const text = execFileSync(process.execPath, [BIN, 'doctor'], { env, encoding: 'utf8', timeout: CLI_MS });
    assert.match(text, /^agents$/m);
    assert.match(text, /claude-code\s+found 2\.1\.119/);
    const json = JSON.parse(execFileSync(process.execPath, [BIN, 'doctor', '--json'], { env, encoding: 'utf8', timeout: CLI_MS })) as { executors: { id: string; available: boolean }[] };
    assert.ok(json.executors.some((e) => e.id === 'claude-code' && e.available));
    // An empty agent cache too: the suite's real-agent tests may have installed Claude Code into the default one.
    const missing = execFileSync(process.execPath, [BIN, 'doctor'], { env: { ...env, PATH: '/usr/bin:/bin', ORCHD_AGENT_CACHE: tempDir('orchd-empty-cache-') }, encoding: 'utf8', timeout: CLI_MS });
    assert.match(missing, /claude-code\s+not found/);
    assert.match(missing, /npm install -g @anthropic-ai\/claude-code/);
  });
});
