import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Foreground } from '../../src/util/foreground.js';

describe('foreground: background work goes after the requests already sent', () => {
  it('a start waits while a request is dispatched every turn, then starts in order, one per turn', async () => {
    const foreground = new Foreground({ maxDeferMs: 60_000 });
    const started: number[] = [];
    let turn = 0;
    const turns: number[] = [];
    for (let i = 0; i < 3; i++)
      foreground.defer(() => {
        started.push(i);
        turns.push(turn);
      });
    for (; turn < 20; turn++) {
      foreground.requestDispatched();
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
    const foreground = new Foreground({ maxDeferMs: 5 });
    let started = false;
    // Taken before `defer`, which starts the bound's clock: taken after, a busy machine that preempts this process in
    // between makes the start look early (seen once in CI, 2 CPUs under load).
    const begun = performance.now();
    foreground.defer(() => (started = true));
    while (!started) {
      foreground.requestDispatched();
      await nextTurn();
    }
    assert.ok(performance.now() - begun >= 5, 'it waited for the bound first');
  });

  it('background work yields while requests are being dispatched, for at most the yield bound', () => {
    const foreground = new Foreground({ maxYieldMs: 60_000 });
    const seen = foreground.dispatched;
    assert.equal(foreground.shouldYield(seen, undefined), false, 'no request since it last looked: no reason to yield');
    foreground.requestDispatched();
    assert.equal(foreground.dispatched, seen + 1);
    assert.equal(foreground.shouldYield(seen, undefined), true);
    assert.equal(foreground.shouldYield(seen, performance.now()), true, 'still within the bound');
    assert.equal(foreground.shouldYield(seen, performance.now() - 60_001), false, 'past the bound it goes ahead anyway');
    assert.equal(foreground.shouldYield(foreground.dispatched, undefined), false, 'the host stopped sending');
  });
});
