// The data directory is private whatever the umask: 0700 directories, 0600 database files (issue 10, item 5).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { collectChecks } from '../../src/cli/doctor.js';
import { openEngine } from '../../src/engine.js';
import { silentLogger } from '../../src/log/logger.js';
import { tempDir } from '../support/client.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('data directory permissions', () => {
  const parent = tempDir();
  after(() => rmSync(parent, { recursive: true, force: true }));

  it('creates the directory 0700 and orchd.sqlite, -wal and -shm 0600 under umask 022', async () => {
    const dataDir = join(parent, 'fresh', 'nested');
    const previous = process.umask(0o022);
    try {
      const engine = await openEngine({ dataDir, logger: silentLogger });
      try {
        assert.equal(mode(dataDir).toString(8), '700');
        assert.equal(mode(join(parent, 'fresh')).toString(8), '700');
        for (const file of ['orchd.sqlite', 'orchd.sqlite-wal', 'orchd.sqlite-shm']) assert.equal(mode(join(dataDir, file)).toString(8), '600', file);
      } finally {
        await engine.close();
      }
    } finally {
      process.umask(previous);
    }
  });

  it('tightens an existing data directory left readable by others, and doctor warns before that', async () => {
    const dataDir = join(parent, 'loose');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'orchd.sqlite'), '');
    chmodSync(join(dataDir, 'orchd.sqlite'), 0o644);

    const [check] = (await collectChecks({ dataDir })).filter((c) => c.name === 'data directory');
    assert.equal(check?.warning, true);
    assert.match(check!.detail, /readable by other users/);
    assert.match(check!.detail, /orchd\.sqlite is 0644/);

    const engine = await openEngine({ dataDir, logger: silentLogger });
    await engine.close();
    assert.equal(mode(dataDir).toString(8), '700');
    assert.equal(mode(join(dataDir, 'orchd.sqlite')).toString(8), '600');
    const [after_] = (await collectChecks({ dataDir })).filter((c) => c.name === 'data directory');
    assert.equal(after_?.warning, undefined);
  });
});
