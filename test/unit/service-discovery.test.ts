// Finding the running service from a CLI command: a service that holds its lock but has not written service.json yet
// (a command typed right after `orchd serve &`) is waited for; without a lock holder nothing is waited for.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { acquireServiceLock, findService, serviceLockHeld, writeServiceInfo } from '../../src/service/discovery.js';
import { tempDir } from '../support/client.js';

const info = (pid: number) => ({ url: 'ws://127.0.0.1:7777/', host: '127.0.0.1', port: 7777, pid, version: '0.0.0-test', protocolVersion: 1, startedAt: new Date().toISOString(), tokenFile: '/dev/null' });

describe('service discovery', () => {
  it('waits for a starting service to write service.json', async () => {
    const dir = tempDir('orchd-discovery-');
    const lock = acquireServiceLock(dir);
    try {
      assert.equal(serviceLockHeld(dir), true);
      const found = findService(dir, 600_000);
      // Written after the first look: the wait sees it on a later one.
      writeServiceInfo(dir, info(process.pid));
      assert.equal((await found)?.url, 'ws://127.0.0.1:7777/');
    } finally {
      lock.release();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns at once when no live process holds the lock', async () => {
    const dir = tempDir('orchd-discovery-');
    try {
      assert.equal(serviceLockHeld(dir), false);
      // A bound far beyond any test's patience: returning at all proves it did not wait.
      assert.equal(await findService(dir, 3_600_000), undefined);
      // A service.json without a live lock holder (a crashed service) is not a service either.
      writeServiceInfo(dir, info(process.pid));
      assert.equal(await findService(dir, 3_600_000), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
