// The real Claude Code CLI for the agent bench, when it is in the agent cache (or BENCH_REAL_AGENTS=1 installs it):
// a sealed HOME and the project's mock model, exactly as the real-agent tests run it.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startMockModel } from '../fixtures/mock-model/server.js';
import { agentInstallDir, ensureAgentCli } from '../test/real-agents/support/install.js';
import { agentEnvironment } from '../test/real-agents/support/isolation.js';
import { tempDir } from './spawn.js';

export async function realClaudeEnvironment(): Promise<{ env: Record<string, string>; close: () => Promise<void> } | null> {
  if (!existsSync(join(agentInstallDir('claude'), '.installed')) && process.env.BENCH_REAL_AGENTS !== '1') return null;
  const cli = await ensureAgentCli('claude');
  const mock = await startMockModel();
  const home = tempDir('orchd-bench-claude-');
  const env = { ...agentEnvironment('claude', { home, mockUrl: mock.url }), ...cli.env, ORCHD_CLAUDE_PATH: cli.bin };
  return {
    env,
    async close() {
      await mock.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
