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

  it('a start also waits while a request has been read and not dispatched', async () => {
    const foreground = new Foreground({ maxDeferMs: 60_000 });
    let started = false;
    foreground.requestArrived();
    foreground.defer(() => (started = true));
    for (let turn = 0; turn < 10; turn++) await nextTurn();
    assert.equal(started, false, 'the read request is still waiting');
    foreground.requestDispatched();
    while (!started) await nextTurn();
    assert.equal(foreground.waiting, 0);
  });

  it('a host that never stops asking cannot hold a start back past the bound', async () => {
    const foreground = new Foreground({ maxDeferMs: 5 });
    let started = false;
    foreground.defer(() => (started = true));
    const begun = performance.now();
    while (!started) {
      foreground.requestDispatched();
      await nextTurn();
    }
    assert.ok(performance.now() - begun >= 5, 'it waited for the bound first');
  });

  it('background work yields while requests wait, for at most the yield bound', () => {
    const foreground = new Foreground({ maxYieldMs: 60_000 });
    const since = performance.now();
    assert.equal(foreground.shouldYield(since), false, 'nothing waiting: no reason to yield');
    foreground.requestArrived();
    foreground.requestArrived();
    assert.equal(foreground.shouldYield(since), true);
    assert.equal(foreground.shouldYield(since - 60_001), false, 'past the bound it goes ahead anyway');
    foreground.requestDispatched();
    assert.equal(foreground.waiting, 1);
    foreground.requestsDropped(5);
    assert.equal(foreground.waiting, 0, 'a closed connection takes its undispatched requests with it, never below zero');
    foreground.requestDispatched();
    assert.equal(foreground.waiting, 0);
  });
});
