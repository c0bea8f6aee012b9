import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { TurnSlicer } from '../../src/util/turn-slicer.js';

describe('the turn slicer (line work of every output capture, one budget per turn)', () => {
  it('runs producers round-robin, a slice each, until each says it is done', async () => {
    const slicer = new TurnSlicer(60_000);
    const order: string[] = [];
    const producer = (name: string, slices: number) => {
      let left = slices;
      return () => {
        order.push(name);
        return --left > 0;
      };
    };
    slicer.add(producer('a', 3));
    slicer.add(producer('b', 1));
    slicer.add(producer('c', 2));
    assert.deepEqual(order, [], 'nothing runs in the turn work is added');
    while (slicer.pending > 0) await nextTurn();
    assert.deepEqual(order, ['a', 'b', 'c', 'a', 'c', 'a']);
  });

  it('shares one budget per turn among all producers, and always runs at least one slice', async () => {
    const slicer = new TurnSlicer(0);
    const turns: number[] = [];
    let turn = 0;
    for (let p = 0; p < 4; p++) {
      let left = 2;
      slicer.add(() => (turns.push(turn), --left > 0));
    }
    while (slicer.pending > 0) {
      await nextTurn();
      turn++;
    }
    assert.equal(turns.length, 8);
    // With no budget, each turn runs exactly one slice: eight slices over eight turns, in order.
    assert.deepEqual(turns, [...turns].sort((x, y) => x - y));
    assert.equal(new Set(turns).size, 8, `one slice per turn, got turns ${turns.join(', ')}`);
  });

  it('a producer that throws is dropped; the others go on', async () => {
    const errors: unknown[] = [];
    const slicer = new TurnSlicer(60_000, (error) => errors.push(error));
    let after = 0;
    slicer.add(() => {
      throw new Error('broken producer');
    });
    slicer.add(() => (after++, after < 3));
    while (slicer.pending > 0) await nextTurn();
    assert.equal(after, 3);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /broken producer/);
  });
});
