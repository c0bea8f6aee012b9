// OpenCode (`opencode acp`), driven over ACP by the generic ACP executor: host-answered permission prompts, cancel, and
// follow-ups that `session/resume` the agent's session in a new process.
//
// Why ACP and not `opencode run --format json`: `run` has no approval channel (a permission that would ask is
// rejected, or with `--auto` approved, without asking anyone), while `opencode acp` 1.18.33 does everything orchd needs
// offline against the mock (measured; test/real-agents/opencode-driver.test.ts pins it): `initialize`, `session/new`,
// `session/prompt`, `session/request_permission` for edits and shell commands (options `once`, `always`, `reject`,
// picked by kind), `session/resume` in a new process with the earlier turns sent back to the model (advertised and
// implemented; `session/load` is offered too), and `session/cancel` answered with `stopReason: cancelled` after which
// the process exits by itself once stdin closes. src/normalizers/opencode.ts still reads `run --format json` output.
//
// What asks is OpenCode's permission config. orchd sets it per turn through `OPENCODE_PERMISSION` (JSON, merged over
// the user's config, key by key) from the profile's permission mode, in Claude's names so one profile serves every
// agent: `default` asks before edits and commands, `acceptEdits` (the default, as for Claude-protocol agents: edits
// stay in the worktree and are reviewed before merge) asks before commands, `bypassPermissions` asks nothing, `plan`
// refuses edits. A mode that is a JSON object is passed through as the permission config itself. Without a mode, an
// `OPENCODE_PERMISSION` the user already has in the environment is left alone.
//
// The model (`provider/model`) goes into `OPENCODE_CONFIG_CONTENT`, merged into whatever inline config the
// environment already carries: `opencode acp` takes no `--model`. Everything else — providers, keys, plugins — is the
// user's OpenCode configuration; orchd only turns off the self-update check of a headless run.
import { OrchdError } from '../errors.js';
import { createAcpExecutor } from './acp/executor.js';
import { resolveBinary, type BinarySpec } from './detect.js';
import type { AgentTurnRequest, Executor } from './types.js';

const BINARY: BinarySpec = { name: 'opencode', overrideVariable: 'ORCHD_OPENCODE_PATH', installHint: 'npm install -g opencode-ai' };

export const OPENCODE_DEFAULT_PERMISSION_MODE = 'acceptEdits';

type Permission = 'ask' | 'allow' | 'deny';

/** OpenCode permission config per permission mode: the tools that change things or reach out. */
export const OPENCODE_PERMISSIONS: Record<string, Record<string, Permission>> = {
  default: { edit: 'ask', bash: 'ask', webfetch: 'ask' },
  acceptEdits: { edit: 'allow', bash: 'ask', webfetch: 'ask' },
  plan: { edit: 'deny', bash: 'ask', webfetch: 'ask' },
  bypassPermissions: { edit: 'allow', bash: 'allow', webfetch: 'allow', external_directory: 'allow', doom_loop: 'allow' },
};

/** The permission config a mode that is a JSON object gives, or null. */
function jsonPermission(mode: string): Record<string, unknown> | null {
  if (!mode.trimStart().startsWith('{')) return null;
  try {
    const parsed = JSON.parse(mode) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The `OPENCODE_PERMISSION` value for a permission mode: a named mode, or a JSON object passed through. */
export function opencodePermission(permissionMode: string | null): string {
  const mode = permissionMode ?? OPENCODE_DEFAULT_PERMISSION_MODE;
  const named = OPENCODE_PERMISSIONS[mode];
  if (named) return JSON.stringify(named);
  const json = jsonPermission(mode);
  if (json) return JSON.stringify(json);
  const known = Object.keys(OPENCODE_PERMISSIONS).map((name) => `\`${name}\``).join(', ');
  throw OrchdError.invalidParams('permissionMode', `Expected \`permissionMode\` for OpenCode to be one of ${known} or a JSON permission object, got \`${mode}\``);
}

/** The inline config with the profile's model set, merged over the one the environment carries. */
export function opencodeConfigContent(existing: string | undefined, model: string): string {
  let config: Record<string, unknown> = {};
  if (existing) {
    try {
      const parsed = JSON.parse(existing) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) config = parsed as Record<string, unknown>;
    } catch {
      // The value is not shown: it may come from a profile's env, whose values are secret.
      throw OrchdError.invalidParams('env', `Expected \`OPENCODE_CONFIG_CONTENT\` to be a JSON object so the model can be set in it, got ${existing.length} characters of something else`);
    }
  }
  return JSON.stringify({ ...config, model });
}

/** The turn's environment: the permission config, the model, no self-update. */
export function opencodeEnvironment(request: AgentTurnRequest): Record<string, string> {
  const env: Record<string, string> = { OPENCODE_DISABLE_AUTOUPDATE: '1', ...request.env };
  if (request.profile.permissionMode !== null || env.OPENCODE_PERMISSION === undefined) env.OPENCODE_PERMISSION = opencodePermission(request.profile.permissionMode);
  if (request.profile.model) env.OPENCODE_CONFIG_CONTENT = opencodeConfigContent(env.OPENCODE_CONFIG_CONTENT, request.profile.model);
  return env;
}

const acpOpencode = createAcpExecutor({
  id: 'opencode',
  displayName: 'OpenCode',
  command(env) {
    const bin = resolveBinary(BINARY, env);
    return bin ? [bin, 'acp'] : null;
  },
  hint: `${BINARY.installHint} (or set ${BINARY.overrideVariable})`,
  capabilities: { models: true },
  permissionModes: Object.keys(OPENCODE_PERMISSIONS),
  defaultPermissionMode: OPENCODE_DEFAULT_PERMISSION_MODE,
  acceptsPermissionMode: (mode) => jsonPermission(mode) !== null,
});

export const opencodeExecutor: Executor = {
  ...acpOpencode,
  prepare: (request, hooks) => acpOpencode.prepare({ ...request, env: opencodeEnvironment(request) }, hooks),
};
