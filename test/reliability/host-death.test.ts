// Host death: the host that spawned `orchd --stdio` (stdin, stdout and stderr piped) is SIGKILLed before or after
// `initialize`; the daemon must exit within a bound without spinning, and SIGTERM must always end it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HOST_DEATH_EXIT_BOUND_MS,
  MAX_CPU_MS_WHILE_ORPHANED,
  runHostDeath,
  runSigtermWithLiveHost,
  SIGTERM_EXIT_BOUND_MS,
  type HostDeathCase,
} from './support/host-death.js';

const CASES: (HostDeathCase & { title: string })[] = [
  { title: 'before initialize, stderr piped', initialize: 'none', stderr: 'pipe' },
  { title: 'after initialize {processId: null}, stderr piped', initialize: 'null', stderr: 'pipe' },
  { title: 'after initialize {processId: <host pid>}, stderr piped', initialize: 'pid', stderr: 'pipe' },
  { title: 'before initialize, stderr ignored', initialize: 'none', stderr: 'ignore' },
  { title: 'after initialize {processId: null}, stderr ignored', initialize: 'null', stderr: 'ignore' },
  { title: 'after initialize {processId: <host pid>}, stderr ignored', initialize: 'pid', stderr: 'ignore' },
];

describe('the host dies (SIGKILL)', { concurrency: true }, () => {
  for (const c of CASES) {
    it(`${c.title}: the daemon exits without spinning`, { timeout: 120_000 }, async () => {
      const result = await runHostDeath(c);
      const what = JSON.stringify(result);
      assert.ok(result.exitedAfterMs !== undefined, `the orphaned daemon exits within ${HOST_DEATH_EXIT_BOUND_MS} ms (${what})`);
      assert.ok(result.cpuMsWhileOrphaned <= MAX_CPU_MS_WHILE_ORPHANED, `the orphan used at most ${MAX_CPU_MS_WHILE_ORPHANED} ms of CPU before exiting (${what})`);
      assert.notEqual(result.sigtermEnded, false, `SIGTERM ends the orphan within ${SIGTERM_EXIT_BOUND_MS} ms (${what})`);
    });
  }
  it('SIGTERM ends a daemon whose host is alive (stdio piped, after initialize)', { timeout: 120_000 }, async () => {
    const endedAfterMs = await runSigtermWithLiveHost({ initialize: 'null', stderr: 'pipe' });
    assert.ok(endedAfterMs !== undefined, `SIGTERM ends the daemon within ${SIGTERM_EXIT_BOUND_MS} ms`);
  });
});
