// SIGKILL of the daemon while 1–3 scripted agents flood output: after a restart on the same data directory every
// acknowledged event is still in the log, no agent process is left, executions are marked killed, and SQLite's
// integrity check passes. Seeded like the fuzzer (ORCHD_FUZZ_SEED); ORCHD_CRASH_ROUNDS scales it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, intFromEnv, seedFromEnv } from './support/prng.js';
import { roundProblems, runCrashRound } from './support/crash-round.js';

const ROUNDS = intFromEnv('ORCHD_CRASH_ROUNDS', 3);

describe('SIGKILL mid-run', () => {
  it(`loses no acknowledged event, leaves no orphan, marks executions killed, keeps SQLite intact (${ROUNDS} rounds)`, { timeout: 20 * 60_000 }, async () => {
    const seed = seedFromEnv('ORCHD_FUZZ_SEED', 20261205);
    const rng = createRng(seed);
    for (let round = 1; round <= ROUNDS; round++) {
      const agents = round <= 3 ? round : rng.int(1, 3);
      const killAfterOutputEvents = rng.int(5, 150);
      const result = await runCrashRound({ rng, agents, killAfterOutputEvents });
      const problems = roundProblems(result);
      assert.deepEqual(problems, [], `seed ${seed}, round ${round} (${agents} agents, kill after ${killAfterOutputEvents} output events):\n${problems.join('\n')}`);
      assert.ok(result.acknowledged > killAfterOutputEvents, `the subscriber acknowledged events before the crash (${result.acknowledged})`);
      assert.ok(result.orphansAtCrash >= agents, `the crash left agent processes for recovery to remove (${result.orphansAtCrash})`);
      assert.equal(result.killedAgents, agents, 'every agent that ran at the crash reads back `killed`');
    }
  });
});
