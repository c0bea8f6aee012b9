// Codex's documented fallback, `codex exec --json`: one process per turn with the prompt on argv, stdin closed (a
// piped stdin would be appended to the prompt), follow-ups with `codex exec resume <thread id>`. It has no approval
// channel: the sandbox mode decides what may run, so prefer the `codex` executor (app-server) where approvals matter.
import { OrchdError } from '../errors.js';
import { assertNotOption, optionValue } from './argv.js';
import { createCodexNormalizer } from '../normalizers/codex-app-server.js';
import { detectBinary, requireBinary, type BinarySpec } from './detect.js';
import type { AgentDriver, AgentTurnRequest, Executor } from './types.js';

const BINARY: BinarySpec = { name: 'codex', overrideVariable: 'ORCHD_CODEX_PATH', installHint: 'npm install -g @openai/codex' };
const SANDBOXES = ['read-only', 'workspace-write', 'danger-full-access'] as const;

/** The sandbox for a permission mode: Codex's own names, `bypassPermissions` as full access; default workspace-write. */
export function codexExecSandbox(mode: string | null): (typeof SANDBOXES)[number] {
  if (mode === null) return 'workspace-write';
  if (mode === 'bypassPermissions') return 'danger-full-access';
  if ((SANDBOXES as readonly string[]).includes(mode)) return mode as (typeof SANDBOXES)[number];
  throw OrchdError.invalidParams('permissionMode', `Expected \`permissionMode\` for codex-exec to be one of ${SANDBOXES.map((m) => `\`${m}\``).join(', ')} or \`bypassPermissions\`, got \`${mode}\``);
}

/** The argv after the program. `exec resume` rejects `-s`, so the sandbox goes in as a config override there. */
export function codexExecArguments(request: AgentTurnRequest): string[] {
  const sandbox = codexExecSandbox(request.profile.permissionMode);
  const model = request.profile.model ? [optionValue('--model', request.profile.model, 'model')] : [];
  const common = ['--json', '--skip-git-repo-check', ...model, ...request.profile.extraArgs];
  const head = request.resumeAgentSessionId
    ? ['exec', 'resume', assertNotOption('resumeAgentSessionId', request.resumeAgentSessionId), ...common, '-c', `sandbox_mode="${sandbox}"`]
    : ['exec', ...common, '-s', sandbox];
  // `--` ends the options, so a prompt that starts with `-` is still the prompt.
  return [...head, '--', request.prompt];
}

/** Nothing to say to the process: stdin closes at once and the turn ends when it exits. */
function closedInputDriver(): AgentDriver {
  return {
    start: (input) => input.close(),
    onStdoutLine() {},
    interrupt: () => false,
  };
}

export const codexExecExecutor: Executor = {
  id: 'codex-exec',
  displayName: 'Codex (exec --json, no approvals)',
  capabilities: { resume: true, fork: false, reset: false, approvals: false, images: false, models: true, mcp: false, gracefulStop: false },
  protocol: 'codex exec --json (one process per turn; the sandbox mode decides what runs)',
  permissionModes: [...SANDBOXES, 'bypassPermissions'],
  defaultPermissionMode: 'workspace-write',
  detect: (env) => detectBinary(BINARY, env ?? process.env),
  checkProfile: (profile) => void codexExecSandbox(profile.permissionMode),
  prepare(request) {
    const bin = requireBinary(BINARY, 'codex-exec', request.env);
    return { argv: [bin, ...codexExecArguments(request)], env: request.env, driver: closedInputDriver() };
  },
  createNormalizer: createCodexNormalizer,
};
