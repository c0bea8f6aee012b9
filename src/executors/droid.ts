// Factory's Droid (`droid exec`), run headless: `droid exec --output-format stream-json --auto <level>`, one process
// per turn, the prompt on stdin (`droid exec` reads a piped prompt), follow-ups with `--session-id <id>`.
// `droid exec` decides permissions by autonomy level and fails the run ("insufficient permission") when a tool needs
// more; it does not ask. Per-call approvals exist only in its JSON-RPC mode (`--input-format stream-jsonrpc`, used by
// @factory/droid-sdk), which orchd does not drive, so approvals are off. Not verified against the real CLI (it
// needs Factory's service); see docs/agents-offline.md.
import { OrchdError, shown } from '../errors.js';
import { assertNotOption } from './argv.js';
import { createDroidNormalizer } from '../normalizers/droid-stream-json.js';
import { createOneShotExecutor } from './one-shot.js';
import type { BinarySpec } from './detect.js';
import type { AgentTurnRequest } from './types.js';

const BINARY: BinarySpec = {
  name: 'droid',
  overrideVariable: 'ORCHD_DROID_PATH',
  installHint: 'curl -fsSL https://app.factory.ai/cli | sh, then sign in by running `droid` once or set FACTORY_API_KEY',
};

/** orchd permission modes for Droid and the flags they add. The default is `low`: file edits and read-only commands
 * run, anything riskier ends the run (the worktree is isolated and reviewed before merge, like Claude's
 * `acceptEdits`). `readOnly` is droid's own default (spec mode, no edits). */
const PERMISSION_FLAGS: Record<string, string[]> = {
  readOnly: [],
  low: ['--auto', 'low'],
  medium: ['--auto', 'medium'],
  high: ['--auto', 'high'],
  bypassPermissions: ['--skip-permissions-unsafe'],
};

export const DROID_DEFAULT_PERMISSION_MODE = 'low';

/** The argv after the program for one turn; the prompt goes to stdin. */
export function droidArguments(request: AgentTurnRequest): string[] {
  const mode = request.profile.permissionMode ?? DROID_DEFAULT_PERMISSION_MODE;
  const flags = PERMISSION_FLAGS[mode];
  if (!flags) {
    throw OrchdError.invalidParams('permissionMode', `Expected \`permissionMode\` for executor \`droid\` to be one of ${Object.keys(PERMISSION_FLAGS).map((m) => `\`${m}\``).join(', ')}, got ${shown(mode)}`);
  }
  const args = ['exec', '--output-format', 'stream-json', ...flags];
  if (request.profile.model) args.push('--model', assertNotOption('model', request.profile.model));
  if (request.resumeAgentSessionId) args.push('--session-id', assertNotOption('resumeAgentSessionId', request.resumeAgentSessionId));
  return [...args, ...request.profile.extraArgs];
}

export const droidExecutor = createOneShotExecutor({
  id: 'droid',
  displayName: 'Droid',
  capabilities: { resume: true, fork: false, reset: false, approvals: false, images: false, models: true, mcp: false, gracefulStop: false },
  protocol: 'droid exec --output-format stream-json (one process per turn, prompt on stdin, --session-id)',
  permissionModes: Object.keys(PERMISSION_FLAGS),
  defaultPermissionMode: DROID_DEFAULT_PERMISSION_MODE,
  binary: BINARY,
  args: droidArguments,
  createNormalizer: createDroidNormalizer,
});
