import assert from 'node:assert/strict';
import { realpathSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { openEngine } from '../../src/engine.js';
import type { Subscription } from '../../src/events/subscription.js';
import type { WireEvent } from '../../src/events/wire.js';
import { silentLogger } from '../../src/log/logger.js';
import { createProject } from '../../src/projects/service.js';
import { createTask } from '../../src/tasks/service.js';
import { tempDir } from '../support/client.js';
import { makeRepo } from '../support/repo.js';
import { waitUntil } from '../support/wait.js';

describe('event delivery flow control', () => {
  it('a saturated sink pauses delivery; resuming continues from the log with nothing lost', async () => {
    const dataDir = tempDir();
    const repo = realpathSync(makeRepo());
    const engine = await openEngine({ dataDir, logger: silentLogger, events: { ringCapacity: 16, pageSize: 50 } });
    try {
      const project = await createProject(engine, { name: 'p', repositories: [{ path: repo }] });
      for (let i = 0; i < 300; i++) await createTask(engine, { projectId: project.id, title: `t${i}`, description: '' });
      const received: WireEvent[] = [];
      let capacity = 25;
      let subscription: Subscription | undefined;
      subscription = engine.hub.subscribe({}, 0, {
        send(event) {
          received.push(event);
          capacity--;
          return capacity > 0;
        },
      });
      subscription.start();
      await waitUntil(() => received.length === 25, 'the first 25 events');
      // Wake it as a new event would, and let every pending step run: a paused subscription delivers nothing.
      subscription.wake();
      await new Promise((r) => setImmediate(r));
      assert.equal(received.length, 25, 'nothing is delivered while paused');
      // More writes while paused go to the log, not to memory.
      for (let i = 0; i < 20; i++) await createTask(engine, { projectId: project.id, title: `late${i}`, description: '' });
      assert.equal(received.length, 25);
      capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      await waitUntil(() => received.length === 321, 'all 321 events');
      assert.deepEqual(
        received.map((e) => e.seq),
        Array.from({ length: 321 }, (_, i) => i + 1),
      );
    } finally {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('holds in memory only what a subscription has yet to pass', async () => {
    const dataDir = tempDir();
    const repo = realpathSync(makeRepo());
    const engine = await openEngine({ dataDir, logger: silentLogger });
    try {
      const project = await createProject(engine, { name: 'p', repositories: [{ path: repo }] });
      const keeping: WireEvent[] = [];
      engine.hub.subscribe({}, undefined, { send: (event) => keeping.push(event) > 0 }).start();
      for (let i = 0; i < 5; i++) await createTask(engine, { projectId: project.id, title: `t${i}`, description: '' });
      assert.equal(keeping.length, 5);
      assert.equal(engine.hub.cachedEvents, 0, 'every subscription passed them');
      // A subscription that stops taking events keeps what it has not passed in memory, and gets it all on resume.
      const lagging: WireEvent[] = [];
      let open = false;
      const slow = engine.hub.subscribe({}, undefined, { send: (event) => (lagging.push(event), open) });
      slow.start();
      for (let i = 0; i < 3; i++) await createTask(engine, { projectId: project.id, title: `late${i}`, description: '' });
      assert.equal(lagging.length, 1, 'paused after its first event');
      assert.equal(engine.hub.cachedEvents, 2, 'the two events it has not passed');
      open = true;
      slow.resume();
      await waitUntil(() => lagging.length === 3, 'the lagging subscription to catch up');
      assert.deepEqual(lagging.map((e) => e.seq), keeping.slice(5).map((e) => e.seq));
      await createTask(engine, { projectId: project.id, title: 'last', description: '' });
      assert.equal(engine.hub.cachedEvents, 0);
      assert.equal(keeping.length, 9);
    } finally {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('sees commits made by another engine on the same database, in order', async () => {
    const dataDir = tempDir();
    const repo = realpathSync(makeRepo());
    const reader = await openEngine({ dataDir, logger: silentLogger, events: { foreignPollMs: 20 } });
    const writer = await openEngine({ dataDir, logger: silentLogger });
    try {
      const received: WireEvent[] = [];
      const subscription = reader.hub.subscribe({}, 0, { send: (e) => (received.push(e), true) });
      subscription.start();
      const project = await createProject(writer, { name: 'p', repositories: [{ path: repo }] });
      for (let i = 0; i < 10; i++) await createTask(writer, { projectId: project.id, title: `t${i}`, description: '' });
      // Interleave a local write: the reader's ring must not paper over the foreign events before it.
      await createTask(reader, { projectId: project.id, title: 'local', description: '' });
      await waitUntil(() => received.length === 12, '12 events');
      assert.deepEqual(
        received.map((e) => e.seq),
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
    } finally {
      await writer.close();
      await reader.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
