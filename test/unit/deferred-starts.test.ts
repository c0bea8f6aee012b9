import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { DeferredStarts } from '../../src/util/deferred-starts.js';

describe('deferred starts (session chains go after the requests already sent)', () => {
  it('waits while a request arrives every turn, then starts in order, one per turn', async () => {
    const starts = new DeferredStarts(60_000);
    const started: number[] = [];
    let turn = 0;
    const turns: number[] = [];
    for (let i = 0; i < 3; i++)
      starts.defer(() => {
        started.push(i);
        turns.push(turn);
      });
    for (; turn < 20; turn++) {
      starts.noteRequest();
      await nextTurn();
    }
    assert.deepEqual(started, [], 'nothing starts while requests keep being dispatched');
    while (started.length < 3) {
      turn++;
      await nextTurn();
    }
    assert.deepEqual(started, [0, 1, 2]);
    assert.ok(turns[0]! < turns[1]! && turns[1]! < turns[2]!, `one start per turn, got turns ${turns.join(', ')}`);
  });

  it('a host that never stops asking cannot hold a start back past the bound', async () => {
    const starts = new DeferredStarts(5);
    let started = false;
    starts.defer(() => (started = true));
    const begun = performance.now();
    while (!started) {
      starts.noteRequest();
      await nextTurn();
    }
    assert.ok(performance.now() - begun >= 5, 'it waited for the bound first');
  });
});
