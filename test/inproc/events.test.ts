import assert from 'node:assert/strict';
import { realpathSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Event } from '../../protocol/events.js';
import { tempDir } from '../support/client.js';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { makeRepo } from '../support/repo.js';
import { waitForCount } from '../support/wait.js';

function assertContiguous(events: Event[], from: number, to: number): void {
  assert.deepEqual(
    events.map((e) => e.seq),
    Array.from({ length: to - from + 1 }, (_, i) => from + i),
    'every seq exactly once, in order',
  );
}

describe('events (in-process)', () => {
  let orchd: InProcessOrchd;
  let repo: string;
  let projectId: string;
  before(async () => {
    // A tiny ring forces the catch-up path through the database.
    orchd = inProcessOrchd({ events: { ringCapacity: 8, pageSize: 16 } });
    await orchd.client.initialize();
    repo = realpathSync(makeRepo());
    projectId = (await orchd.client.request('project/create', { name: 'Ev', repositories: [{ path: repo }] })).project.id;
  });
  after(async () => {
    await orchd.close();
    rmSync(repo, { recursive: true, force: true });
  });

  it('records each change with its event, in order', async () => {
    const sub = await orchd.client.request('events/subscribe', { sinceSeq: 0 });
    const events = await orchd.client.eventsUpTo(sub.subscriptionId, sub.currentSeq);
    assert.equal(events[0]!.kind, 'project/created');
    assert.equal(events[0]!.projectId, projectId);
    assert.equal((events[0]!.data as any).project.id, projectId);
    await orchd.client.request('events/unsubscribe', { subscriptionId: sub.subscriptionId });
  });

  it('joins catch-up and live delivery with no gap and no duplicate while writes continue', async () => {
    for (let i = 0; i < 40; i++) (await orchd.client.request('task/create', { projectId, title: `before ${i}` })).task;
    const writes = (async () => {
      for (let i = 0; i < 60; i++) (await orchd.client.request('task/create', { projectId, title: `during ${i}` })).task;
    })();
    const sub = await orchd.client.request('events/subscribe', { sinceSeq: 0 });
    await writes;
    const last = (await orchd.client.request('task/create', { projectId, title: 'last' })).task.id;
    const events = await orchd.client.waitFor('events/event', (p) => p.subscriptionId === sub.subscriptionId && p.event.data.task?.id === last).then(() =>
      orchd.client.events(sub.subscriptionId),
    );
    assertContiguous(events, 1, events[events.length - 1]!.seq);
    assert.ok(events.length >= 102);
    await orchd.client.request('events/unsubscribe', { subscriptionId: sub.subscriptionId });
  });

  it('filters by kind prefix and scope, in the catch-up and the live path alike', async () => {
    const other = (await orchd.client.request('project/create', { name: 'Other', repositories: [{ path: repo, name: 'again' }] })).project.id;
    const sub = await orchd.client.request('events/subscribe', { sinceSeq: 0, filter: { kinds: ['task/*'], projectId: other } });
    const task = (await orchd.client.request('task/create', { projectId: other, title: 'mine' })).task;
    await orchd.client.request('task/create', { projectId, title: 'not mine' });
    await orchd.client.request('task/update', { taskId: task.id, status: 'inProgress' });
    // A last matching event as a fence: events arrive in seq order, so what came before it is all there will be.
    const fence = (await orchd.client.request('task/create', { projectId: other, title: 'fence' })).task;
    await orchd.client.waitFor('events/event', (p) => p.subscriptionId === sub.subscriptionId && p.event.data.task?.id === fence.id);
    const delivered = orchd.client.events(sub.subscriptionId).slice(0, -1);
    assert.deepEqual(
      delivered.map((e) => e.kind),
      ['task/created', 'task/updated'],
    );
    assert.equal((delivered[1]!.data as any).previousStatus, 'todo');
    assert.ok(delivered.every((e) => e.projectId === other));
  });

  it('refuses sinceSeq beyond the log and unknown subscription ids', async () => {
    const ahead = await orchd.client.failure('events/subscribe', { sinceSeq: 10_000_000 });
    assert.equal(ahead.data.kind, 'invalidState');
    assert.match(ahead.message, /`sinceSeq`/);
    const unknown = await orchd.client.failure('events/unsubscribe', { subscriptionId: 'sub_nope' });
    assert.equal(unknown.data.kind, 'notFound');
  });

  it('delivers live events only when sinceSeq is omitted', async () => {
    const sub = await orchd.client.request('events/subscribe', {});
    const task = (await orchd.client.request('task/create', { projectId, title: 'live' })).task;
    const [first] = await waitForCount(() => orchd.client.events(sub.subscriptionId), 1); // the first live event, whatever follows
    assert.equal(first!.seq, sub.currentSeq + 1);
    assert.equal((first!.data as any).task.id, task.id);
  });
});

describe('events across a restart', () => {
  it('a client reconnecting with sinceSeq gets exactly what it missed', async () => {
    const dataDir = tempDir();
    const repo = realpathSync(makeRepo());
    try {
      const first = inProcessOrchd({ dataDir });
      await first.client.initialize();
      const project = (await first.client.request('project/create', { name: 'R', repositories: [{ path: repo }] })).project;
      const seen = (await first.client.request('events/subscribe', {})).currentSeq;
      for (let i = 0; i < 5; i++) (await first.client.request('task/create', { projectId: project.id, title: `t${i}` })).task;
      await first.close();

      const second = inProcessOrchd({ dataDir });
      await second.client.initialize();
      const sub = await second.client.request('events/subscribe', { sinceSeq: seen });
      assert.equal(sub.currentSeq, seen + 5);
      const events = await second.client.eventsUpTo(sub.subscriptionId, sub.currentSeq);
      assertContiguous(events, seen + 1, seen + 5);
      assert.deepEqual(
        events.map((e) => (e.data as any).task.title),
        ['t0', 't1', 't2', 't3', 't4'],
      );
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
