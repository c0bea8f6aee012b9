import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canTransition } from '../../src/tasks/status.js';
import { newId, shortId } from '../../src/util/ids.js';

describe('ids', () => {
  it('are prefixed, unique and sort by creation', () => {
    const ids = Array.from({ length: 2000 }, () => newId('tsk'));
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), ids);
    for (const id of ids.slice(0, 5)) assert.match(id, /^tsk_[0-9a-z]{26}$/);
    assert.equal(shortId(ids[0]!).length, 8);
  });
});

describe('task status machine', () => {
  const table: [Parameters<typeof canTransition>[0], Parameters<typeof canTransition>[1], boolean][] = [
    ['todo', 'inProgress', true],
    ['todo', 'done', false],
    ['inProgress', 'inReview', true],
    ['inReview', 'done', true],
    ['done', 'inProgress', true],
    ['done', 'todo', false],
    ['cancelled', 'todo', true],
    ['cancelled', 'inReview', false],
    ['inReview', 'inReview', true],
  ];
  for (const [from, to, ok] of table) it(`${from} -> ${to}: ${ok}`, () => assert.equal(canTransition(from, to), ok));
});
