// `scripted-agent`: the bundled fake agent (fixtures/fake-agent), a scripted CLI that speaks Claude Code's
// stream-json. It lets tests, benchmarks and a person without an API key watch the whole engine work.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageInfo } from '../util/package-info.js';
import { createClaudeNormalizer } from '../normalizers/claude-stream-json.js';
import type { Executor } from './types.js';

/** Path of the fake agent script in this checkout. */
export function scriptedAgentPath(): string {
  return join(packageInfo().root, 'fixtures', 'fake-agent', 'fake-agent.mjs');
}

export const scriptedAgent: Executor = {
  id: 'scripted-agent',
  displayName: 'Scripted agent (bundled fake, no model needed)',
  capabilities: { resume: true, fork: false, reset: false, approvals: false, images: false, models: false, mcp: false, gracefulStop: false },
  async detect() {
    const path = scriptedAgentPath();
    const available = existsSync(path);
    return { available, version: available ? 'bundled' : null, path: available ? path : null, hint: available ? null : 'the fixtures/ folder is missing from this installation' };
  },
  buildCommand(request) {
    const argv = [process.execPath, scriptedAgentPath(), '-p', request.prompt, '--output-format', 'stream-json', '--verbose'];
    if (request.resumeAgentSessionId) argv.push('--resume', request.resumeAgentSessionId);
    return { argv, env: request.env, input: null, keepStdinOpen: false };
  },
  observeLine(line) {
    if (!line.startsWith('{')) return null;
    try {
      const message = JSON.parse(line) as { type?: string; subtype?: string; session_id?: string };
      if (message.type === 'system' && message.subtype === 'init' && message.session_id) return { agentSessionId: message.session_id };
      if (message.type === 'result') return { turnEnded: true, ...(message.session_id ? { agentSessionId: message.session_id } : {}) };
    } catch {
      return null;
    }
    return null;
  },
  interruptInput: () => null,
  createNormalizer: createClaudeNormalizer,
};
