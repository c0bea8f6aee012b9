import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event, EventFilter } from '../../protocol/events.js';
import { kindMatches, matchesFilter } from '../../src/events/filter.js';

const event: Event = { seq: 1, kind: 'task/updated', at: '2026-01-01T00:00:00.000Z', projectId: 'prj_a', taskId: 'tsk_a', data: {} };

describe('event filters', () => {
  const table: [EventFilter, boolean][] = [
    [{}, true],
    [{ kinds: ['task/updated'] }, true],
    [{ kinds: ['task/*'] }, true],
    [{ kinds: ['task/created'] }, false],
    [{ kinds: ['project/*', 'task/updated'] }, true],
    [{ kinds: ['t/*'] }, false],
    [{ projectId: 'prj_a' }, true],
    [{ projectId: 'prj_b' }, false],
    [{ projectId: 'prj_a', taskId: 'tsk_b' }, false],
    [{ workspaceId: 'ws_a' }, false],
  ];
  for (const [filter, expected] of table) {
    it(`${JSON.stringify(filter)} -> ${expected}`, () => assert.equal(matchesFilter(event, filter), expected));
  }
  it('a prefix pattern matches only whole segments', () => {
    assert.equal(kindMatches('taskboard/x', 'task/*'), false);
    assert.equal(kindMatches('task/x', 'task/*'), true);
  });
});
