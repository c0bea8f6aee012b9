import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { silentLogger } from '../../src/log/logger.js';
import { openStore, type Store } from '../../src/store/database.js';
import { DEFAULT_AUTOCHECKPOINT_PAGES, WalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { tempDir } from '../support/client.js';

const autocheckpoint = (store: Store) => store.sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;

/** One write transaction of `rows` events with 2 KB of data each, as the batch writer commits them. */
function commitRows(store: Store, rows: number): void {
  const insert = store.sqlite.prepare("insert into events (kind, at, data) values ('notification', '2026-12-06T00:00:00.000Z', ?)");
  store.sqlite.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(JSON.stringify({ level: 'info', title: 'x'.repeat(2048), body: '', sessionId: null }));
  })();
}

describe('WAL checkpoints on their own thread', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function open(): Promise<{ store: Store; dataDir: string }> {
    const dataDir = tempDir();
    const store = await openStore(dataDir, silentLogger);
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    cleanup.push(() => store.close());
    return { store, dataDir };
  }

  it('starts on the first commit, takes checkpoints over from the connection, and checkpoints everything committed', async () => {
    const { store } = await open();
    const checkpointer = new WalCheckpointer(store.sqlite, store.path, silentLogger);
    cleanup.push(() => checkpointer.close());
    assert.equal(checkpointer.stats.state, 'idle', 'no thread before anything is written');
    assert.equal(autocheckpoint(store), DEFAULT_AUTOCHECKPOINT_PAGES);

    commitRows(store, 10);
    checkpointer.committed();
    assert.equal(await checkpointer.settled(), 'running');
    assert.equal(autocheckpoint(store), 0, "the daemon's connection no longer checkpoints inside its commits");

    // 4 MB more: past the 1,000 pages at which the connection would have checkpointed itself.
    const next = checkpointer.nextCheckpoint();
    commitRows(store, 2000);
    checkpointer.committed();
    let result = await next;
    // Commits made while a checkpoint ran are caught by the next one.
    while (result.checkpointedFrames < result.logFrames || result.busy) {
      const again = checkpointer.nextCheckpoint();
      checkpointer.committed();
      result = await again;
    }
    assert.ok(result.logFrames >= 1000, `the WAL held the 4 MB written (${result.logFrames} frames)`);
    assert.equal(result.checkpointedFrames, result.logFrames, 'every frame was copied into the database');
    assert.equal(checkpointer.stats.state, 'running');
    assert.ok(checkpointer.stats.checkpoints >= 1);

    // The data is in the database file and readable by a new connection.
    const count = store.sqlite.prepare('select count(*) as n from events').get() as { n: number };
    assert.equal(count.n, 2010);
  });

  it("closes its connection before the daemon's, so SQLite removes the WAL when the store closes", async () => {
    const dataDir = tempDir();
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const store = await openStore(dataDir, silentLogger);
    const checkpointer = new WalCheckpointer(store.sqlite, store.path, silentLogger);
    commitRows(store, 10);
    checkpointer.committed();
    assert.equal(await checkpointer.settled(), 'running');
    await checkpointer.close();
    assert.equal(checkpointer.stats.state, 'closed');
    await store.close();
    assert.equal(existsSync(`${store.path}-wal`), false, 'the last connection to close checkpointed and removed the WAL');
    const reopened = await openStore(dataDir, silentLogger);
    const count = reopened.sqlite.prepare('select count(*) as n from events').get() as { n: number };
    await reopened.close();
    assert.equal(count.n, 10);
  });

  it('gives checkpoints back to the connection when the thread cannot open the database', async () => {
    const { store, dataDir } = await open();
    const checkpointer = new WalCheckpointer(store.sqlite, join(dataDir, 'missing.sqlite'), silentLogger);
    cleanup.push(() => checkpointer.close());
    store.sqlite.pragma('wal_autocheckpoint = 0');
    checkpointer.committed();
    assert.equal(await checkpointer.settled(), 'failed');
    assert.equal(autocheckpoint(store), DEFAULT_AUTOCHECKPOINT_PAGES, 'SQLite checkpoints inside commits again');
    // Later commits neither restart the thread nor throw.
    commitRows(store, 1);
    checkpointer.committed();
    assert.equal(checkpointer.stats.state, 'failed');
  });

  it('does nothing on close when no commit ever started the thread', async () => {
    const { store } = await open();
    const checkpointer = new WalCheckpointer(store.sqlite, store.path, silentLogger);
    await checkpointer.close();
    assert.equal(checkpointer.stats.state, 'closed');
    checkpointer.committed();
    assert.equal(checkpointer.stats.state, 'closed', 'a commit after close starts nothing');
  });
});
