// The frame and params fuzzer over every method in protocol/schema.json, against the built binary over raw stdio.
// Seeded: the seed is printed with the findings; ORCHD_FUZZ_SEED replays a run (or `random`), ORCHD_FUZZ_FRAMES scales it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { intFromEnv, seedFromEnv } from './support/prng.js';
import { describeFindings, runFuzz } from './support/fuzz-run.js';

const FRAMES = intFromEnv('ORCHD_FUZZ_FRAMES', 3000);
/** CI replays one fixed seed so \`npm test\` is deterministic; ORCHD_FUZZ_SEED=random (or a number) explores. */
const DEFAULT_SEED = 20261205;

describe('frame and params fuzzer', () => {
  it(`answers every request exactly once, keeps stdout to frames, never fails internally, and still serves (${FRAMES} frames)`, { timeout: 15 * 60_000 }, async () => {
    const seed = seedFromEnv('ORCHD_FUZZ_SEED', DEFAULT_SEED);
    const report = await runFuzz({ seed, frames: FRAMES, hugeFrames: 1, skipKnown: process.env.ORCHD_FUZZ_SKIP_KNOWN === "1", log: (line) => console.error(line) });
    const summary = describeFindings(report);
    console.error(`${summary}\nreplies ${report.repliesReceived}, errors by kind ${JSON.stringify(report.errorsByKind)}, peak RSS ${Math.round(report.peakRssKb / 1024)} MB, ${report.durationMs} ms`);
    assert.ok(report.requestsCounted > FRAMES / 4, `the fuzzer sent real requests (${report.requestsCounted})`);
    assert.deepEqual(report.findings, [], summary);
  });
});
