// The daemon's heap growing factor: set unless node was given one, overridable through the environment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_HEAP_GROWING_PERCENT, heapTuning, tuneHeap } from '../../src/server/heap.js';
import type { Logger } from '../../src/log/logger.js';

test('the default percentage, unless node or the environment says otherwise', () => {
  assert.deepEqual(heapTuning([], {}), { growingPercent: DEFAULT_HEAP_GROWING_PERCENT });
  assert.deepEqual(heapTuning([], { ORCHD_HEAP_GROWING_PERCENT: '' }), { growingPercent: DEFAULT_HEAP_GROWING_PERCENT });
  assert.deepEqual(heapTuning([], { ORCHD_HEAP_GROWING_PERCENT: '120' }), { growingPercent: 120 });
  assert.deepEqual(heapTuning([], { ORCHD_HEAP_GROWING_PERCENT: ' 25 ' }), { growingPercent: 25 });
  assert.deepEqual(heapTuning([], { ORCHD_HEAP_GROWING_PERCENT: '0' }), { growingPercent: null, reason: 'disabled' });
  for (const bad of ['-5', '1.5', 'lots', '99999']) {
    assert.deepEqual(heapTuning([], { ORCHD_HEAP_GROWING_PERCENT: bad }), { growingPercent: null, reason: 'invalidEnv' }, bad);
  }
  // A flag given to node wins, spelled with dashes or underscores, on the command line or in NODE_OPTIONS.
  assert.deepEqual(heapTuning(['--heap-growing-percent=80'], { ORCHD_HEAP_GROWING_PERCENT: '10' }), { growingPercent: null, reason: 'nodeFlag' });
  assert.deepEqual(heapTuning([], { NODE_OPTIONS: '--inspect --heap_growing_percent=80' }), { growingPercent: null, reason: 'nodeFlag' });
  assert.deepEqual(heapTuning(['--max-old-space-size=512'], { NODE_OPTIONS: '--max-semi-space-size=4' }), { growingPercent: DEFAULT_HEAP_GROWING_PERCENT });
});

test('a malformed ORCHD_HEAP_GROWING_PERCENT is logged with the value it had, and nothing is set', async (t) => {
  const saved = process.env.ORCHD_HEAP_GROWING_PERCENT;
  t.after(() => {
    if (saved === undefined) delete process.env.ORCHD_HEAP_GROWING_PERCENT;
    else process.env.ORCHD_HEAP_GROWING_PERCENT = saved;
  });
  process.env.ORCHD_HEAP_GROWING_PERCENT = 'half';
  const warnings: string[] = [];
  const infos: unknown[] = [];
  const logger = { warn: (msg: string) => warnings.push(msg), info: (msg: string, fields: unknown) => infos.push([msg, fields]) } as unknown as Logger;
  assert.deepEqual(await tuneHeap(logger), { growingPercent: null, reason: 'invalidEnv' });
  assert.deepEqual(infos, [['heap growing factor', { heapGrowingPercent: null, reason: 'invalidEnv' }]]);
  assert.deepEqual(warnings, ['Expected ORCHD_HEAP_GROWING_PERCENT to be a whole number of percent (0 for V8\'s default), got "half"; V8\'s default stands']);
});
