import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { silentLogger } from '../../src/log/logger.js';
import { openStore, type Store } from '../../src/store/database.js';
import { CHECKPOINT_BYTES, DEFAULT_AUTOCHECKPOINT_PAGES, START_BYTES, WalCheckpointer, type CheckpointResult } from '../../src/store/wal-checkpointer.js';
import { tempDir } from '../support/client.js';

const autocheckpoint = (store: Store) => store.sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;

/** One write transaction of `rows` events with 2 KB of data each, as the batch writer commits them; returns their bytes. */
function commitRows(store: Store, rows: number): number {
  const insert = store.sqlite.prepare("insert into events (kind, at, data) values ('notification', '2026-12-06T00:00:00.000Z', ?)");
  const data = JSON.stringify({ level: 'info', title: 'x'.repeat(2048), body: '', sessionId: null });
  store.sqlite.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(data);
  })();
  return rows * data.length;
}
const ROWS_TO_START = Math.ceil(START_BYTES / 2048);

/** The result of a checkpoint that is expected to run (null would mean the thread failed or closed first). */
async function ran(checkpoint: Promise<CheckpointResult | null>): Promise<CheckpointResult> {
  const result = await checkpoint;
  assert.ok(result, 'a checkpoint ran on the thread');
  return result;
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

  /** A store whose checkpointer has been started by a megabyte of commits and whose thread is running. */
  async function running(): Promise<{ store: Store; checkpointer: WalCheckpointer }> {
    const { store } = await open();
    const checkpointer = new WalCheckpointer(store.sqlite, store.path, silentLogger);
    cleanup.push(() => checkpointer.close());
    checkpointer.committed(commitRows(store, ROWS_TO_START));
    assert.equal(await checkpointer.settled(), 'running');
    return { store, checkpointer };
  }

  it('starts once a megabyte was committed, takes checkpoints over from the connection, and checkpoints every few megabytes', async () => {
    const { store } = await open();
    const checkpointer = new WalCheckpointer(store.sqlite, store.path, silentLogger);
    cleanup.push(() => checkpointer.close());
    checkpointer.committed(commitRows(store, 10));
    assert.equal(checkpointer.stats.state, 'idle', 'a daemon that writes little has no thread');
    assert.equal(autocheckpoint(store), DEFAULT_AUTOCHECKPOINT_PAGES);

    checkpointer.committed(commitRows(store, ROWS_TO_START));
    assert.equal(await checkpointer.settled(), 'running');
    assert.equal(autocheckpoint(store), 0, "the daemon's connection no longer checkpoints inside its commits");

    // CHECKPOINT_BYTES more: past the 1,000 pages at which the connection would have checkpointed itself.
    const next = checkpointer.nextCheckpoint();
    checkpointer.committed(commitRows(store, Math.ceil(CHECKPOINT_BYTES / 2048)));
    let result = await ran(next);
    assert.ok(result.logFrames >= 1000, `the WAL held what was written (${result.logFrames} frames)`);
    // A checkpoint that ran beside a commit may have left that commit's frames: the idle one takes them.
    while (result.checkpointedFrames < result.logFrames || result.busy) {
      const again = checkpointer.nextCheckpoint();
      checkpointer.committed(1);
      result = await ran(again);
    }
    assert.equal(result.checkpointedFrames, result.logFrames, 'every frame was copied into the database');
    assert.equal(checkpointer.stats.state, 'running');
    assert.ok(checkpointer.stats.checkpoints >= 1);
    const count = store.sqlite.prepare('select count(*) as n from events').get() as { n: number };
    assert.equal(count.n, 10 + ROWS_TO_START + Math.ceil(CHECKPOINT_BYTES / 2048));
  });

  it('checkpoints what a few small commits left once commits stop', async () => {
    const { store, checkpointer } = await running();
    const next = checkpointer.nextCheckpoint();
    checkpointer.committed(commitRows(store, 3));
    const result = await ran(next);
    assert.equal(result.busy, false);
    assert.equal(result.checkpointedFrames, result.logFrames, 'nothing left in the WAL that is not in the database');
  });

  it('holds the thread off while the daemon checkpoints on its own connection, after the checkpoint in flight', async () => {
    const { store, checkpointer } = await running();
    // A checkpoint of the thread's own is in flight when the hold is asked for.
    const inFlight = checkpointer.nextCheckpoint();
    checkpointer.committed(commitRows(store, Math.ceil(CHECKPOINT_BYTES / 2048)));
    let threadDone = false;
    void inFlight.then(() => (threadDone = true));
    const result = await checkpointer.holdWhile(async () => {
      assert.equal(threadDone, true, 'the checkpoint in flight finished first');
      const before = checkpointer.stats.checkpoints;
      // Enough for the thread to want another; it must wait until the hold ends.
      checkpointer.committed(commitRows(store, Math.ceil(CHECKPOINT_BYTES / 2048)));
      const [row] = store.sqlite.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
      assert.equal(checkpointer.stats.checkpoints, before, 'nothing ran on the thread meanwhile');
      return row!;
    });
    assert.equal(result.busy, 0, 'the checkpoint lock was free');
    assert.equal(result.checkpointed, result.log);
    // After the hold, the thread catches up on what was committed during it.
    await ran(checkpointer.nextCheckpoint());
  });

  it('restarts the WAL under commits that never stop: once it holds enough, one checkpoint runs with commits held', async () => {
    const { store } = await open();
    const resetBytes = 2 * 1024 * 1024;
    const checkpointer = new WalCheckpointer(store.sqlite, store.path, silentLogger, resetBytes);
    cleanup.push(() => checkpointer.close());
    checkpointer.committed(commitRows(store, ROWS_TO_START));
    assert.equal(await checkpointer.settled(), 'running');
    // 64 MB in 128 KB commits, one per turn, as the batch writer commits: it waits while commits are held.
    let largestWal = 0;
    let heldSeen = false;
    for (let written = 0; written < 64 * 1024 * 1024; ) {
      if (checkpointer.holdsCommits) {
        heldSeen = true;
        await new Promise<void>((resolve) => checkpointer.whenCommitsFree(resolve));
      }
      written += commitRows(store, 64);
      checkpointer.committed(64 * 2048);
      largestWal = Math.max(largestWal, statSync(`${store.path}-wal`).size);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(heldSeen, true, 'commits were held for a checkpoint');
    assert.ok(checkpointer.stats.resets >= 1);
    // Without the restart the WAL holds all 64 MB; with it, about resetBytes and a checkpoint's worth of commits.
    assert.ok(largestWal < 32 * 1024 * 1024, `the WAL restarted (largest ${largestWal} bytes)`);
  });

  it("closes its connection before the daemon's, so SQLite removes the WAL when the store closes", async () => {
    const dataDir = tempDir();
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const store = await openStore(dataDir, silentLogger);
    const checkpointer = new WalCheckpointer(store.sqlite, store.path, silentLogger);
    checkpointer.committed(commitRows(store, ROWS_TO_START));
    assert.equal(await checkpointer.settled(), 'running');
    await checkpointer.close();
    assert.equal(checkpointer.stats.state, 'closed');
    await store.close();
    assert.equal(existsSync(`${store.path}-wal`), false, 'the last connection to close checkpointed and removed the WAL');
    const reopened = await openStore(dataDir, silentLogger);
    const count = reopened.sqlite.prepare('select count(*) as n from events').get() as { n: number };
    await reopened.close();
    assert.equal(count.n, ROWS_TO_START);
  });

  it('gives checkpoints back to the connection when the thread cannot open the database', async () => {
    const { store, dataDir } = await open();
    const checkpointer = new WalCheckpointer(store.sqlite, join(dataDir, 'missing.sqlite'), silentLogger);
    cleanup.push(() => checkpointer.close());
    store.sqlite.pragma('wal_autocheckpoint = 0');
    checkpointer.committed(START_BYTES);
    assert.equal(await checkpointer.settled(), 'failed');
    assert.equal(autocheckpoint(store), DEFAULT_AUTOCHECKPOINT_PAGES, 'SQLite checkpoints inside commits again');
    // Later commits neither restart the thread nor throw.
    checkpointer.committed(commitRows(store, 1) + START_BYTES);
    assert.equal(checkpointer.stats.state, 'failed');
  });

  it('does nothing on close when no commit ever started the thread', async () => {
    const { store } = await open();
    const checkpointer = new WalCheckpointer(store.sqlite, store.path, silentLogger);
    await checkpointer.close();
    assert.equal(checkpointer.stats.state, 'closed');
    checkpointer.committed(START_BYTES);
    assert.equal(checkpointer.stats.state, 'closed', 'a commit after close starts nothing');
  });
});
