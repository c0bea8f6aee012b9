// Every test process gets its own empty config home (ORCHD_CONFIG_HOME, inherited by the daemons it spawns), so no
// test ever reads the real user's ~/.config/orchd. Imported for its effect by test/support/client.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (!process.env.ORCHD_TEST_CONFIG_HOME) {
  const home = mkdtempSync(join(tmpdir(), 'orchd-config-home-'));
  process.env.ORCHD_TEST_CONFIG_HOME = home;
  process.on('exit', () => rmSync(home, { recursive: true, force: true }));
}
process.env.ORCHD_CONFIG_HOME = process.env.ORCHD_TEST_CONFIG_HOME;

/** The config home this test process (and the daemons it spawns) uses. */
export const TEST_CONFIG_HOME = process.env.ORCHD_TEST_CONFIG_HOME;
