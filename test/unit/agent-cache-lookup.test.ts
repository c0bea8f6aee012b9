// An agent CLI is found in the agent cache `npm test` fills when neither ORCHD_<AGENT>_PATH nor PATH has it, so the
// README's "a real CLI against the mock model" runs as written after `npm test`.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { agentCacheDir, findInAgentCache, resolveBinary } from '../../src/executors/detect.js';
import { tempDir } from '../support/client.js';

function install(cache: string, dir: string, name: string, executable = true): string {
  const bin = join(cache, dir, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, name), '#!/bin/sh\necho 1.0.0\n');
  chmodSync(join(bin, name), executable ? 0o755 : 0o644);
  return join(bin, name);
}

describe('agent cache lookup', () => {
  const spec = { name: 'claude', overrideVariable: 'ORCHD_CLAUDE_PATH', installHint: 'npm install -g @anthropic-ai/claude-code' };

  it('takes the highest installed version, skipping broken installs and other agents', () => {
    const cache = tempDir('orchd-agent-cache-');
    install(cache, 'claude-2.1.9', 'claude');
    const newest = install(cache, 'claude-2.1.197', 'claude');
    install(cache, 'claude-2.2.0', 'claude', false); // not executable: an unfinished install
    install(cache, 'codex-0.169.0', 'codex');
    mkdirSync(join(cache, 'claude-3.0.0.lock'));
    const env = { PATH: '/nonexistent', ORCHD_AGENT_CACHE: cache };
    assert.equal(findInAgentCache('claude', env), newest);
    assert.equal(resolveBinary(spec, env), newest);
    assert.equal(findInAgentCache('gemini', env), null);
  });

  it('comes after ORCHD_<AGENT>_PATH and PATH, and needs a cache or a HOME to look in', () => {
    const cache = tempDir('orchd-agent-cache-');
    install(cache, 'claude-2.1.197', 'claude');
    const onPath = tempDir('orchd-path-');
    const pathBin = install(onPath, '.', 'claude');
    assert.equal(resolveBinary(spec, { PATH: join(onPath, 'node_modules', '.bin'), ORCHD_AGENT_CACHE: cache }), pathBin);
    assert.equal(resolveBinary(spec, { PATH: '/nonexistent', ORCHD_AGENT_CACHE: cache, ORCHD_CLAUDE_PATH: '/opt/claude' }), '/opt/claude');
    assert.equal(agentCacheDir({ HOME: '/home/me' }), '/home/me/.cache/orchd/agents');
    assert.equal(agentCacheDir({}), null);
    assert.equal(resolveBinary(spec, { PATH: '/nonexistent' }), null);
  });
});
