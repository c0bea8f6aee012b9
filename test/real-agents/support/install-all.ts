// Prefetch for CI (`tsx test/real-agents/support/install-all.ts [id...]`): installs the pinned agent CLIs into the
// cache one after another and prints how long each took and how much disk it uses.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_IDS, AGENT_PACKAGES, agentCacheDir, agentInstallDir, ensureAgentCli, type AgentId } from './install.js';

function diskUsage(dir: string): string {
  try {
    return execFileSync('du', ['-sh', dir], { encoding: 'utf8' }).split('\t')[0] ?? '?';
  } catch {
    return '?';
  }
}

const requested = process.argv.slice(2) as AgentId[];
const unknown = requested.filter((id) => !AGENT_IDS.includes(id));
if (unknown.length > 0) {
  console.error(`Expected agent ids among ${AGENT_IDS.join(', ')}, got \`${unknown.join(', ')}\``);
  process.exit(2);
}

console.log(`cache: ${agentCacheDir()}`);
let failed = false;
for (const id of requested.length > 0 ? requested : AGENT_IDS) {
  const pkg = AGENT_PACKAGES[id];
  const cached = existsSync(join(agentInstallDir(id), '.installed'));
  const started = performance.now();
  try {
    const installed = await ensureAgentCli(id);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${id.padEnd(9)} ${pkg.name}@${installed.version}  ${cached ? 'cached' : `${seconds}s`}  ${diskUsage(agentInstallDir(id))}  ${installed.bin}`);
  } catch (error) {
    failed = true;
    console.error(`${id.padEnd(9)} FAILED: ${(error as Error).message}`);
  }
}
process.exit(failed ? 1 : 0);
