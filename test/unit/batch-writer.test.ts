import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { BatchWriter } from '../../src/events/batch-writer.js';
import { EventHub } from '../../src/events/hub.js';
import type { WireEvent } from '../../src/events/wire.js';
import { silentLogger } from '../../src/log/logger.js';
import { openStore, type Store } from '../../src/store/database.js';
import { Foreground } from '../../src/util/foreground.js';
import { tempDir } from '../support/client.js';

describe('the batch writer (group commit of agent output)', () => {
  let dataDir: string;
  let store: Store;
  let hub: EventHub;
  let writer: BatchWriter;
  const delivered: WireEvent[] = [];

  before(async () => {
    dataDir = tempDir();
    store = await openStore(dataDir, silentLogger);
    hub = await EventHub.open(store, silentLogger);
    writer = new BatchWriter(store, hub, silentLogger);
    const subscription = hub.subscribe({}, 0, { send: (event) => (delivered.push(event), true) });
    subscription.start();
  });
  after(async () => {
    hub.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const note = (text: string, body = '') => ({ level: 'info', title: text, body, sessionId: null }) as never;
  const storedTitles = () => (store.sqlite.prepare("select data from events where kind = 'notification' order by seq").all() as { data: string }[]).map((r) => (JSON.parse(r.data) as { title: string }).title);

  it('commits work queued in one turn together, in order, and publishes it once committed', async () => {
    const writes = Array.from({ length: 50 }, (_, i) => writer.write((emit) => emit('notification', note(`n${i}`), { projectId: 'prj_a' })));
    assert.equal(writer.pending, 50, 'nothing is written before the next turn');
    await Promise.all(writes);
    const titles = Array.from({ length: 50 }, (_, i) => `n${i}`);
    assert.deepEqual(storedTitles(), titles);
    assert.deepEqual(
      delivered.map((e) => (e.toEvent().data as { title: string }).title),
      titles,
    );
  });

  it('a piece of work that throws loses only its own events; the others commit', async () => {
    const good1 = writer.write((emit) => emit('notification', note('kept 1'), {}));
    const bad = writer.write((emit) => {
      emit('notification', note('rolled back'), {});
      throw new Error('broken normalizer');
    });
    const good2 = writer.write((emit) => emit('notification', note('kept 2'), {}));
    await assert.rejects(bad, /broken normalizer/);
    await Promise.all([good1, good2]);
    const titles = storedTitles();
    assert.ok(titles.includes('kept 1') && titles.includes('kept 2'));
    assert.ok(!titles.includes('rolled back'));
    assert.equal(store.sqlite.inTransaction, false);
  });

  it('a piece whose row SQLite refuses part-way loses only its own events; the others commit, delivered gap-free', async () => {
    const seqBefore = hub.currentSeq;
    const deliveredBefore = delivered.length;
    const good1 = writer.write((emit) => emit('notification', note('kept 3'), {}));
    const bad = writer.write((emit) => {
      emit('notification', note('written, then rolled back'), {});
      // No data: the row breaks the column's NOT NULL, after the piece's first row was inserted.
      emit('notification', undefined as never, {});
    });
    const good2 = writer.write((emit) => emit('notification', note('kept 4'), {}));
    await assert.rejects(bad, /NOT NULL/);
    await Promise.all([good1, good2]);
    const titles = storedTitles();
    assert.ok(titles.includes('kept 3') && titles.includes('kept 4'));
    assert.ok(!titles.includes('written, then rolled back'));
    assert.equal(store.sqlite.inTransaction, false);
    const fresh = delivered.slice(deliveredBefore).map((e) => e.seq);
    assert.equal(fresh.length, 2, 'the two kept events are delivered, and nothing of the failed piece');
    const stored = store.sqlite.prepare('select seq from events where seq > ? order by seq').all(seqBefore) as { seq: number }[];
    assert.deepEqual(stored.map((r) => r.seq), fresh, 'delivered under the sequence numbers they were stored with');
  });

  it('more work than one turn may take is spread over several commits, still in order', async () => {
    const before = storedTitles().length;
    let commits = 0;
    const published = hub.published.bind(hub);
    hub.published = (events) => (commits++, published(events));
    const big = 'x'.repeat(4096);
    const writes = Array.from({ length: 400 }, (_, i) =>
      writer.write((emit) => {
        for (let j = 0; j < 20; j++) emit('notification', note(`m${i}.${j}`, big), {});
      }),
    );
    await Promise.all(writes);
    const titles = storedTitles().slice(before);
    assert.equal(titles.length, 8000);
    assert.deepEqual(titles.slice(0, 3), ['m0.0', 'm0.1', 'm0.2']);
    assert.equal(titles.at(-1), 'm399.19');
    // 32 MB cannot be written within one turn's budget: a host request would have been served in between.
    assert.ok(commits > 1, `expected several commits, got ${commits}`);
    const seqs = delivered.map((e) => e.seq);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'delivered gap-free, in commit order');
  });

  it('steps aside while a host is sending requests, and commits once it stops', async () => {
    const foreground = new Foreground({ maxYieldMs: 60_000 });
    const yielding = new BatchWriter(store, hub, silentLogger, foreground);
    let committed = false;
    const write = yielding.write((emit) => emit('notification', note('after the requests'), {})).then(() => (committed = true));
    for (let turn = 0; turn < 10; turn++) {
      foreground.requestDispatched();
      await nextTurn();
    }
    assert.equal(committed, false, 'nothing commits while a request is dispatched every turn');
    assert.equal(yielding.pending, 1);
    await write;
    assert.ok(storedTitles().includes('after the requests'));
  });

  it('a host that never stops sending requests cannot hold the commit back past the bound', async () => {
    const foreground = new Foreground({ maxYieldMs: 5 });
    const yielding = new BatchWriter(store, hub, silentLogger, foreground);
    let committed = false;
    const begun = performance.now();
    const write = yielding.write((emit) => emit('notification', note('bounded'), {})).then(() => (committed = true));
    while (!committed) {
      foreground.requestDispatched();
      await nextTurn();
    }
    await write;
    assert.ok(performance.now() - begun >= 5, 'it stepped aside until the bound');
  });

  it('waits while the checkpointer holds commits (the WAL is being copied so that it can restart)', async () => {
    const listeners: (() => void)[] = [];
    const checkpointer = { holdsCommits: true, committed: () => {}, whenCommitsFree: (listener: () => void) => void listeners.push(listener) };
    const held = new BatchWriter(store, hub, silentLogger, undefined, checkpointer);
    let committed = false;
    const write = held.write((emit) => emit('notification', note('after the checkpoint'), {})).then(() => (committed = true));
    for (let turn = 0; turn < 5; turn++) await nextTurn();
    assert.equal(committed, false, 'nothing commits while held');
    assert.equal(held.pending, 1);
    const second = held.write((emit) => emit('notification', note('also after the checkpoint'), {}));
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    assert.equal(listeners.length, 1, 'it asked once to hear when commits are free, however many writes wait');
    checkpointer.holdsCommits = false;
    for (const listener of listeners.splice(0)) listener();
    await Promise.all([write, second]);
    assert.ok(storedTitles().includes('after the checkpoint'));
    assert.ok(storedTitles().includes('also after the checkpoint'));
  });
});
