// `scripted-agent`: the bundled fake agent (fixtures/fake-agent), a scripted CLI that speaks Claude Code's
// stream-json and control protocol. Tests, benchmarks and a person without an API key watch the whole engine work
// with it: the same driver, normalizer and approvals as Claude Code, only the program differs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageInfo } from '../util/package-info.js';
import { createClaudeLikeExecutor } from './claude/executor.js';

/** Path of the fake agent script in this checkout. */
export function scriptedAgentPath(): string {
  return join(packageInfo().root, 'fixtures', 'fake-agent', 'fake-agent.mjs');
}

export const scriptedAgent = createClaudeLikeExecutor({
  id: 'scripted-agent',
  displayName: 'Scripted agent (bundled fake, no model needed)',
  capabilities: { resume: true, fork: true, reset: true, approvals: true, images: false, models: true, mcp: false, gracefulStop: true },
  program: () => [process.execPath, scriptedAgentPath()],
  async detect() {
    const path = scriptedAgentPath();
    const available = existsSync(path);
    return { available, version: available ? 'bundled' : null, path: available ? path : null, hint: available ? null : 'the fixtures/ folder is missing from this installation' };
  },
});
