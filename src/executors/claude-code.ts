// Claude Code (`claude`), driven headless through stream-json and its control protocol.
import { createClaudeLikeExecutor } from './claude/executor.js';
import { detectBinary, requireBinary, type BinarySpec } from './detect.js';

const BINARY: BinarySpec = { name: 'claude', overrideVariable: 'ORCHD_CLAUDE_PATH', installHint: 'npm install -g @anthropic-ai/claude-code' };

export const claudeCode = createClaudeLikeExecutor({
  id: 'claude-code',
  displayName: 'Claude Code',
  capabilities: { resume: true, fork: true, reset: true, approvals: true, images: false, models: true, mcp: false, gracefulStop: true },
  program(env) {
    const bin = requireBinary(BINARY, 'claude-code', env);
    return [bin];
  },
  detect: (env) => detectBinary(BINARY, env),
  // No update checks, telemetry or error reports from a headless run.
  extraEnv: { DISABLE_AUTOUPDATER: '1', DISABLE_TELEMETRY: '1', DISABLE_ERROR_REPORTING: '1', CLAUDE_CODE_ENTRYPOINT: 'sdk-orchd' },
  dropEnv: ['CLAUDECODE'],
});
