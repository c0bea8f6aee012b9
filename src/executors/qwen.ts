// Qwen Code (`qwen`), driven headless through Claude-shaped stream-json in and out with the Claude control protocol:
// `qwen --input-format stream-json --output-format stream-json --include-partial-messages --approval-mode <mode>`.
// The Claude driver and normalizer are reused as they are: `initialize`, the prompt as a user message, `can_use_tool`
// answered through orchd's approvals, `interrupt` for a graceful stop, stdin closed after `result`.
//
// Why stream-json and not `qwen --acp`: with the pinned 0.15.10 both give approvals, resume and a stop (measured
// against the mock; test/real-agents/qwen-driver.test.ts pins it), but stream-json does all three more directly:
// - approvals carry Qwen's own tool names (`write_file`, `run_shell_command`), which approval rules can match; ACP
//   only gives the ACP kind (`edit`, `execute`);
// - a follow-up is `--resume=<id>` in the new process: no `session/resume` that 0.15 advertises but answers -32601,
//   and no `session/load` history replay to drain before the prompt;
// - `interrupt` ends the process (exit 130) within about 100 ms in every phase measured: starting up, waiting for
//   the model, streaming, and with a permission request open; an ACP `session/cancel` during the model call is
//   answered with error -32603 "Request was aborted." instead of `stopReason: cancelled`;
// - the session id arrives with `system/init`, usage and duration with `result`.
// Its one weakness: a model API error is reported as an ordinary assistant text (`[API Error: 400 …]`) and a
// `success` result, exit 0 (the ACP side reports -32603 with the message).
//
// Authentication is the user's: orchd passes no `--auth-type`, so Qwen uses `security.auth.selectedType` from its
// settings, or, with none, an `OPENAI_API_KEY` (plus `OPENAI_BASE_URL`, `OPENAI_MODEL`) from the environment. With
// neither it ends the turn at once with an error result ("No auth type is selected"). A profile can pass
// `--auth-type <type>` in `extraArgs`.
//
// Qwen relaunches itself as a child node process and the parent ignores SIGTERM: the runner signals the whole process
// group, so a stop that gets past the interrupt still ends both.
import { createClaudeNormalizer } from '../normalizers/claude-stream-json.js';
import { optionValue } from './argv.js';
import { createClaudeDriver } from './claude/driver.js';
import { detectBinary, requireBinary, type BinarySpec } from './detect.js';
import type { AgentTurnRequest, Executor } from './types.js';

const BINARY: BinarySpec = { name: 'qwen', overrideVariable: 'ORCHD_QWEN_PATH', installHint: 'npm install -g @qwen-code/qwen-code' };

/** Like Claude-protocol agents, edits are not asked by default (they stay in the worktree and are reviewed before
 * merge); shell commands are. */
export const QWEN_DEFAULT_APPROVAL_MODE = 'auto-edit';

/** Claude's permission mode names, so one profile can serve both CLIs. */
const CLAUDE_MODE_NAMES: Record<string, string> = {
  default: 'default',
  acceptEdits: 'auto-edit',
  plan: 'plan',
  bypassPermissions: 'yolo',
  // The spelling Qwen's docs sometimes use.
  auto_edit: 'auto-edit',
};

/** The permission modes a Qwen profile may name: Qwen's own, then Claude's (and `auto_edit`). */
export const QWEN_PERMISSION_MODES = ['default', 'auto-edit', 'plan', 'yolo', ...Object.keys(CLAUDE_MODE_NAMES).filter((name) => name !== 'default' && name !== 'plan')];

/** Qwen's `--approval-mode` for a profile's permission mode: Qwen's own names (`default`, `auto-edit`, `plan`,
 * `yolo`) or Claude's; anything else is passed as given (the executor refuses undeclared modes before this). */
export function qwenApprovalMode(permissionMode: string | null): string {
  if (!permissionMode) return QWEN_DEFAULT_APPROVAL_MODE;
  return CLAUDE_MODE_NAMES[permissionMode] ?? permissionMode;
}

/** The argv after the program for one turn. */
export function qwenArguments(request: AgentTurnRequest): string[] {
  const args = ['--input-format', 'stream-json', '--output-format', 'stream-json', '--include-partial-messages'];
  args.push('--approval-mode', qwenApprovalMode(request.profile.permissionMode));
  if (request.profile.model) args.push(optionValue('--model', request.profile.model, 'model'));
  if (request.resumeAgentSessionId) args.push(optionValue('--resume', request.resumeAgentSessionId, 'resumeAgentSessionId'));
  return [...args, ...request.profile.extraArgs];
}

export const qwenExecutor: Executor = {
  id: 'qwen-code',
  displayName: 'Qwen Code',
  capabilities: { resume: true, fork: false, reset: false, approvals: true, images: false, models: true, mcp: false, gracefulStop: true },
  protocol: 'stream-json in and out with the control protocol (can_use_tool, interrupt)',
  permissionModes: QWEN_PERMISSION_MODES,
  defaultPermissionMode: QWEN_DEFAULT_APPROVAL_MODE,
  detect: (env) => detectBinary(BINARY, env ?? process.env),
  prepare(request, hooks) {
    // The request's environment decides, as it is the one the process gets; orchd's own is the fallback.
    const bin = requireBinary(BINARY, 'qwen-code', request.env);
    return { argv: [bin, ...qwenArguments(request)], env: request.env, driver: createClaudeDriver(request.prompt, hooks) };
  },
  createNormalizer: createClaudeNormalizer,
};
