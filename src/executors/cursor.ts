// Cursor's agent CLI (`cursor-agent`), run headless: `cursor-agent -p --output-format stream-json --trust`, one
// process per turn, the prompt on stdin (print mode reads piped stdin), follow-ups with `--resume <chatId>`.
// Print mode has no channel for permission prompts: what runs is decided up front by `--force` and the allow/deny
// rules in `~/.cursor/cli-config.json` or `.cursor/cli.json`, so orchd's approvals are not involved, and there is
// no interrupt message, so a stop is signals only. Not verified against the real CLI (it needs Cursor's service);
// see docs/agents-offline.md.
import { OrchdError, shown } from '../errors.js';
import { assertNotOption } from './argv.js';
import { createCursorNormalizer } from '../normalizers/cursor-stream-json.js';
import { createOneShotExecutor } from './one-shot.js';
import type { BinarySpec } from './detect.js';
import type { AgentTurnRequest } from './types.js';

const BINARY: BinarySpec = {
  name: 'cursor-agent',
  overrideVariable: 'ORCHD_CURSOR_PATH',
  installHint: 'curl https://cursor.com/install -fsS | bash, then `cursor-agent login` or set CURSOR_API_KEY',
};

/** orchd permission modes for Cursor and the flags they add. `--trust` trusts the worktree without a prompt, which a
 * headless run needs; `--force` (alias `--yolo`) runs commands unless a deny rule matches. */
const PERMISSION_FLAGS: Record<string, string[]> = {
  default: ['--trust'],
  force: ['--trust', '--force'],
  bypassPermissions: ['--trust', '--force'],
  plan: ['--trust', '--mode', 'plan'],
  ask: ['--trust', '--mode', 'ask'],
};

/** The flags for a profile's permission mode (null is `default`: edits per Cursor's rules, commands need `--force`
 * or an allow rule). */
export function cursorPermissionFlags(mode: string | null): string[] {
  const flags = PERMISSION_FLAGS[mode ?? 'default'];
  if (!flags) {
    throw OrchdError.invalidParams('permissionMode', `Expected \`permissionMode\` for executor \`cursor-agent\` to be one of ${Object.keys(PERMISSION_FLAGS).map((m) => `\`${m}\``).join(', ')}, got ${shown(mode)}`);
  }
  return flags;
}

/** The argv after the program for one turn; the prompt goes to stdin. */
export function cursorArguments(request: AgentTurnRequest): string[] {
  const args = ['-p', '--output-format', 'stream-json', ...cursorPermissionFlags(request.profile.permissionMode)];
  if (request.profile.model) args.push('--model', assertNotOption('model', request.profile.model));
  if (request.resumeAgentSessionId) args.push('--resume', assertNotOption('resumeAgentSessionId', request.resumeAgentSessionId));
  return [...args, ...request.profile.extraArgs];
}

export const cursorExecutor = createOneShotExecutor({
  id: 'cursor-agent',
  displayName: 'Cursor Agent',
  capabilities: { resume: true, fork: false, reset: false, approvals: false, images: false, models: true, mcp: false, gracefulStop: false },
  protocol: 'cursor-agent -p --output-format stream-json (one process per turn, prompt on stdin, --resume)',
  permissionModes: Object.keys(PERMISSION_FLAGS),
  defaultPermissionMode: 'default',
  binary: BINARY,
  args: cursorArguments,
  createNormalizer: createCursorNormalizer,
});
