// A change and its events commit together or not at all; published events carry the seqs the log gave them.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { openEngine, type Engine } from '../../src/engine.js';
import { transact } from '../../src/events/unit-of-work.js';
import { silentLogger } from '../../src/log/logger.js';
import { tempDir } from '../support/client.js';

describe('transact', () => {
  const dataDir = tempDir();
  let engine: Engine;
  before(async () => {
    engine = await openEngine({ dataDir, logger: silentLogger });
  });
  after(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const countEvents = () => (engine.store.sqlite.prepare('select count(*) as n from events').get() as { n: number }).n;

  it('appends the emitted events with consecutive seqs, in emit order, and publishes exactly those', async () => {
    const before = engine.hub.currentSeq;
    await transact(engine, async (_trx, emit) => {
      emit('notification', { level: 'info', title: 'one', body: 'a' }, { projectId: 'prj_x' });
      emit('notification', { level: 'info', title: 'two', body: 'b' }, {});
    });
    assert.equal(engine.hub.currentSeq, before + 2);
    const rows = engine.store.sqlite.prepare('select seq, kind, project_id, data from events where seq > ? order by seq').all(before) as { seq: number; kind: string; project_id: string | null; data: string }[];
    assert.deepEqual(
      rows.map((r) => [r.seq, r.kind, r.project_id, JSON.parse(r.data).title]),
      [
        [before + 1, 'notification', 'prj_x', 'one'],
        [before + 2, 'notification', null, 'two'],
      ],
    );
  });

  it('rolls back the change and its events together when the work throws after emitting', async () => {
    const seqBefore = engine.hub.currentSeq;
    const eventsBefore = countEvents();
    await assert.rejects(
      transact(engine, async (trx, emit) => {
        emit('notification', { level: 'info', title: 'never', body: '' }, {});
        await trx.insertInto('projects').values({ id: 'prj_rolled_back', name: 'x', scripts: '{}', copy_files: '[]', settings: '{}', created_at: 'now', updated_at: 'now' }).execute();
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(countEvents(), eventsBefore);
    assert.equal(engine.hub.currentSeq, seqBefore);
    const projects = engine.store.sqlite.prepare("select count(*) as n from projects where id = 'prj_rolled_back'").get() as { n: number };
    assert.equal(projects.n, 0);
    assert.equal(engine.store.sqlite.inTransaction, false);
  });
});
