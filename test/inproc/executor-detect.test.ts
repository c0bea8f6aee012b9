// Detecting an agent CLI whose `--version` does not answer in time: `executor/list` and `orchd doctor` say it timed
// out and after how long, as a state of its own (`versionTimedOut`), never "not found … npm install -g"; the probe's
// process group is killed. Fake CLIs are shell scripts in a temp dir; the probe timeout is set small through
// ORCHD_VERSION_PROBE_TIMEOUT_MS while the slow script sleeps far longer than any test bound.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runDoctor } from '../../src/cli/doctor.js';
import { claudeCode } from '../../src/executors/claude-code.js';
import { findOnPath, VERSION_PROBE_TIMEOUT_MS, versionProbeTimeoutMs } from '../../src/executors/detect.js';
import { EVENT_MS } from '../support/bounds.js';
import { tempDir } from '../support/client.js';
import { inProcessOrchd } from '../support/inproc.js';
import { waitUntil } from '../support/wait.js';

/** The probe timeout these tests configure: far below the slow script's sleep. */
const SMALL_PROBE_TIMEOUT_MS = 500;

describe('an agent CLI whose --version times out', () => {
  let dir: string;
  let slow: string;
  let fast: string;
  let pidFile: string;
  const saved: Record<string, string | undefined> = {};
  const setEnv = (values: Record<string, string>) => {
    for (const [key, value] of Object.entries(values)) {
      if (!(key in saved)) saved[key] = process.env[key];
      process.env[key] = value;
    }
  };

  before(() => {
    dir = tempDir('orchd-detect-');
    pidFile = join(dir, 'slow.pid');
    slow = join(dir, 'slow-cli');
    // Writes its pid, then sleeps much longer than anything in the suite waits: only the probe's kill ends it.
    writeFileSync(slow, `#!/bin/sh\necho $$ > ${pidFile}\nexec ${findOnPath('sleep')} 100000\n`);
    chmodSync(slow, 0o755);
    fast = join(dir, 'fast-cli');
    writeFileSync(fast, '#!/bin/sh\necho "fast-cli 1.2.3"\n');
    chmodSync(fast, 0o755);
  });

  after(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('the default probe timeout is generous, and the environment can change it', () => {
    assert.ok(VERSION_PROBE_TIMEOUT_MS >= 30_000, `default ${VERSION_PROBE_TIMEOUT_MS} ms`);
    assert.equal(versionProbeTimeoutMs({}), VERSION_PROBE_TIMEOUT_MS);
    assert.equal(versionProbeTimeoutMs({ ORCHD_VERSION_PROBE_TIMEOUT_MS: '1500' }), 1500);
    assert.equal(versionProbeTimeoutMs({ ORCHD_VERSION_PROBE_TIMEOUT_MS: 'soon' }), VERSION_PROBE_TIMEOUT_MS);
  });

  it('detection reports `versionTimedOut` with the time waited, kills the probe, and keeps `notFound` for a missing CLI', async () => {
    const timedOut = await claudeCode.detect({ PATH: '/nonexistent', ORCHD_CLAUDE_PATH: slow, ORCHD_VERSION_PROBE_TIMEOUT_MS: String(SMALL_PROBE_TIMEOUT_MS) });
    assert.deepEqual(
      { available: timedOut.available, path: timedOut.path, version: timedOut.version, reason: timedOut.unavailableReason },
      { available: false, path: slow, version: null, reason: 'versionTimedOut' },
    );
    assert.match(timedOut.hint ?? '', /--version` timed out after 0\.5 s/);
    assert.doesNotMatch(timedOut.hint ?? '', /npm install/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitUntil(() => !processAlive(pid), `the timed-out probe (pid ${pid}) to be killed`, EVENT_MS);

    const found = await claudeCode.detect({ PATH: '/nonexistent', ORCHD_CLAUDE_PATH: fast });
    assert.deepEqual([found.available, found.version, found.unavailableReason], [true, '1.2.3', undefined]);

    const missing = await claudeCode.detect({ PATH: '/nonexistent' });
    assert.deepEqual([missing.available, missing.unavailableReason], [false, 'notFound']);
    assert.match(missing.hint ?? '', /npm install -g @anthropic-ai\/claude-code/);
  });

  it('executor/list and orchd doctor say the CLI timed out, for a binary executor and an ACP one', async () => {
    setEnv({ ORCHD_CLAUDE_PATH: slow, ORCHD_GEMINI_PATH: slow, ORCHD_VERSION_PROBE_TIMEOUT_MS: String(SMALL_PROBE_TIMEOUT_MS) });
    const orchd = inProcessOrchd();
    try {
      await orchd.client.initialize();
      const { executors } = await orchd.client.request('executor/list', {});
      for (const id of ['claude-code', 'gemini']) {
        const info = executors.find((e) => e.id === id)!;
        assert.deepEqual([info.available, info.path, info.unavailableReason], [false, slow, 'versionTimedOut'], id);
        assert.match(info.hint ?? '', /timed out after 0\.5 s/, id);
        assert.doesNotMatch(info.hint ?? '', /npm install/, id);
      }
    } finally {
      await orchd.close();
    }

    let text = '';
    await runDoctor({ version: '0.0.0-test', json: false, dataDir: join(dir, 'data'), write: (chunk) => void (text += chunk) });
    for (const id of ['claude-code', 'gemini']) {
      const block = agentBlock(text, id);
      assert.match(block, new RegExp(`^--\\s+${id}\\s+found, but \`--version\` timed out`), block);
      assert.match(block, /timed out after 0\.5 s/, block);
      assert.doesNotMatch(block, /not found|npm install -g/, block);
    }

    let json = '';
    await runDoctor({ version: '0.0.0-test', json: true, dataDir: join(dir, 'data'), write: (chunk) => void (json += chunk) });
    const claude = (JSON.parse(json) as { executors: { id: string; unavailableReason?: string }[] }).executors.find((e) => e.id === 'claude-code');
    assert.equal(claude?.unavailableReason, 'versionTimedOut');
  });
});

/** The lines `orchd doctor` prints for one agent: its status line and the indented lines under it. */
function agentBlock(text: string, id: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => /^(ok|--)\s/.test(line) && line.split(/\s+/)[1] === id);
  assert.ok(start >= 0, `doctor lists \`${id}\`:\n${text}`);
  const end = lines.findIndex((line, index) => index > start && !line.startsWith(' '));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
