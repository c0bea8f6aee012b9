import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Event, EventFilter } from '../../protocol/events.js';
import { matchesFilter } from '../../src/events/filter.js';
import { appendEvents, readEvents, type EventScope, type NewEvent } from '../../src/events/log.js';
import { eventJson } from '../../src/events/wire.js';
import { silentLogger } from '../../src/log/logger.js';
import { openStore, type Store } from '../../src/store/database.js';
import { tempDir } from '../support/client.js';

// Strings that JSON escapes, multi-byte text, and an id-like value with a quote.
const awkward = ['plain', 'quote " and backslash \\', 'line\nbreak\ttab', 'ünïcødé ✓ 🚀', '\u0000\u001f control', 'x'.repeat(5000)];

function sample(i: number): NewEvent {
  const kinds = ['task/updated', 'execution/output', 'session/entryUpserted', 'task_x/created', 'workspace/created'];
  const scope: NewEvent['scope'] = { projectId: `prj_${i % 2}` };
  if (i % 3 !== 0) scope.taskId = `tsk_${i % 4}`;
  if (i % 5 === 1) scope.workspaceId = `ws_${i % 2}`;
  if (i % 7 === 2) scope.sessionId = 'ses_"odd"';
  if (i % 2 === 1) scope.executionId = `exe_${i % 3}`;
  // Ids are generated and plain, but the wire JSON is built by SQLite on replay: escaping must match JSON.stringify.
  if (i === 11) scope.taskId = 'tsk_\\back\tslash\nline\u0001é🚀';
  return { kind: kinds[i % kinds.length]!, data: { text: awkward[i % awkward.length], n: i, nested: { list: [1, null, true] } }, scope } as unknown as NewEvent;
}

describe('events on the wire', () => {
  let dataDir: string;
  let store: Store;
  const written: Event[] = [];

  before(async () => {
    dataDir = tempDir();
    store = await openStore(dataDir, silentLogger);
    const events = Array.from({ length: 60 }, (_, i) => sample(i));
    store.sqlite.exec('begin immediate');
    const appended = appendEvents(store.sqlite, events);
    store.sqlite.exec('commit');
    appended.forEach((wire, i) => {
      // The event object as the protocol defines it (scope ids only when set), in the key order of `Event`.
      const { kind, data, scope } = events[i]!;
      const at = (JSON.parse(wire.json) as Event).at;
      const event: Event = { seq: wire.seq, kind, at, data };
      for (const key of ['projectId', 'taskId', 'workspaceId', 'sessionId', 'executionId'] as const) if (scope[key]) event[key] = scope[key];
      written.push(event);
      assert.equal(wire.json, JSON.stringify(event));
      assert.equal(wire.kind, kind);
    });
  });
  after(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the JSON built from parts equals JSON.stringify of the event object', () => {
    for (const event of written) {
      const json = eventJson(event.seq, event.kind, event.at, JSON.stringify(event.data), event);
      assert.equal(json, JSON.stringify(event));
      assert.deepEqual(JSON.parse(json), event);
    }
  });

  it('a scope object reused for many events, then changed, gives the JSON of what it holds now', () => {
    const scope: EventScope = { projectId: 'prj_1', executionId: 'exe_1' };
    const first = eventJson(1, 'execution/output', '2026-01-01T00:00:00.000Z', '{}', scope);
    assert.equal(eventJson(2, 'execution/output', '2026-01-01T00:00:00.000Z', '{}', scope), first.replace('"seq":1', '"seq":2'));
    scope.sessionId = 'ses_"new"';
    delete scope.executionId;
    const changed = JSON.parse(eventJson(3, 'execution/output', '2026-01-01T00:00:00.000Z', '{}', scope)) as Event;
    assert.deepEqual(changed, { seq: 3, kind: 'execution/output', at: '2026-01-01T00:00:00.000Z', data: {}, projectId: 'prj_1', sessionId: 'ses_"new"' });
  });

  const filters: EventFilter[] = [
    {},
    { projectId: 'prj_1' },
    { projectId: 'prj_0', taskId: 'tsk_2' },
    { workspaceId: 'ws_1' },
    { sessionId: 'ses_"odd"' },
    { executionId: 'exe_2' },
    { kinds: ['task/*'] },
    { kinds: ['task_x/*'] },
    { kinds: ['execution/output', 'workspace/*'] },
    { kinds: ['session/entryUpserted'], projectId: 'prj_0' },
    { kinds: ['nothing/here'] },
    { taskId: 'tsk_\\back\tslash\nline\u0001é🚀' },
  ];
  for (const filter of filters) {
    it(`a page read from the database equals the events the in-memory filter passes: ${JSON.stringify(filter)}`, () => {
      const expected = written.filter((e) => matchesFilter(e, filter));
      const page = readEvents(store.sqlite, 0, written.length, filter, 1000);
      assert.deepEqual(
        page.events.map((e) => e.json),
        expected.map((e) => JSON.stringify(e)),
      );
      assert.equal(page.upTo, written.length);
    });
  }

  it('a page stops at the limit and says how far it got', () => {
    const page = readEvents(store.sqlite, 10, written.length, {}, 7);
    assert.deepEqual(
      page.events.map((e) => e.seq),
      [11, 12, 13, 14, 15, 16, 17],
    );
    assert.equal(page.upTo, 17);
    assert.equal(page.events[0]!.bytes.toString('utf8'), JSON.stringify(written[10]));
  });
});
