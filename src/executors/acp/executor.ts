// Executors for agents that speak ACP over stdio (Gemini CLI, Qwen Code, goose, `opencode acp`, Claude's ACP
// adapter): one process per turn, driven by the generic ACP driver, normalized by the ACP normalizer.
import { isAbsolute } from 'node:path';
import { OrchdError } from '../../errors.js';
import { createAcpNormalizer } from '../../normalizers/acp.js';
import { findOnPath, probeAvailability } from '../detect.js';
import type { AgentTurnRequest, Executor, ExecutorCapabilities } from '../types.js';
import { createLazyAcpDriver } from './lazy-driver.js';

export const ACP_PROTOCOL = 'ACP (newline-delimited JSON-RPC)';

const ACP_CAPABILITIES: ExecutorCapabilities = {
  resume: true,
  fork: false,
  reset: false,
  approvals: true,
  images: false,
  models: false,
  mcp: false,
  gracefulStop: true,
};

export interface AcpExecutorOptions {
  id: string;
  displayName: string;
  /** The program and its ACP arguments (e.g. `[/usr/bin/gemini, --acp]`) in this environment; null when it is not
   * installed. */
  command: (env: Record<string, string>) => string[] | null;
  /** Arguments that make the program print its version; `['--version']` by default. */
  versionArgs?: string[];
  /** What to install or set when it is missing. */
  hint: string;
  /** Environment the agent needs on top of the request's. */
  env?: Record<string, string>;
  /** Arguments for one turn, after the command (e.g. `--model`); the profile's `extraArgs` follow them. */
  turnArgs?: (request: AgentTurnRequest) => string[];
  /** Runs in `prepare`, before the process is spawned, with the agent's environment (Gemini tidies its session files). */
  beforeSpawn?: (request: AgentTurnRequest, env: Record<string, string>) => void;
  /** Runs before `session/load` with the agent's environment; aborted when the turn is interrupted. */
  beforeLoad?: (sessionId: string, context: { env: Record<string, string>; signal: AbortSignal }) => Promise<void>;
  /** Overrides of the ACP defaults (e.g. `models` for an agent that takes `--model`). */
  capabilities?: Partial<ExecutorCapabilities>;
  /** The permission modes it takes (none by default: the agent asks through ACP as its own configuration says). */
  permissionModes?: readonly string[];
  defaultPermissionMode?: string | null;
  acceptsPermissionMode?: (mode: string) => boolean;
}

/** An executor for an agent CLI that speaks ACP on stdin/stdout. */
export function createAcpExecutor(options: AcpExecutorOptions): Executor {
  const versionArgs = options.versionArgs ?? ['--version'];
  return {
    id: options.id,
    displayName: options.displayName,
    capabilities: { ...ACP_CAPABILITIES, ...options.capabilities },
    protocol: ACP_PROTOCOL,
    permissionModes: options.permissionModes ?? [],
    defaultPermissionMode: options.defaultPermissionMode ?? null,
    ...(options.acceptsPermissionMode ? { acceptsPermissionMode: options.acceptsPermissionMode } : {}),
    async detect(env = process.env as Record<string, string>) {
      const command = options.command(env);
      const bin = command?.[0];
      if (!bin) return { available: false, version: null, path: null, unavailableReason: 'notFound', hint: options.hint };
      return probeAvailability(bin, versionArgs, env, options.hint);
    },
    prepare(request, hooks) {
      const command = options.command(request.env);
      if (!command || command.length === 0) throw OrchdError.executorUnavailable(options.id, options.hint);
      const env: Record<string, string> = { ...request.env, ...options.env };
      options.beforeSpawn?.(request, env);
      const beforeLoad = options.beforeLoad;
      const driver = createLazyAcpDriver({
        cwd: request.cwd,
        prompt: request.prompt,
        resumeSessionId: request.resumeAgentSessionId,
        hooks,
        ...(beforeLoad ? { beforeLoad: (sessionId: string, signal: AbortSignal) => beforeLoad(sessionId, { env, signal }) } : {}),
      });
      return { argv: [...command, ...(options.turnArgs?.(request) ?? []), ...request.profile.extraArgs], env, driver };
    },
    createNormalizer: createAcpNormalizer,
  };
}

/** An executor for a user-configured ACP command line, e.g. `['goose', 'acp']`, `['opencode', 'acp']` or
 * `['claude-agent-acp']`: the program is looked up on the turn's PATH unless it is a path. */
export function acpCommandExecutor(id: string, argv: string[], displayName = `${argv.join(' ')} (ACP)`): Executor {
  const [program, ...args] = argv;
  if (!program) throw OrchdError.invalidParams('argv', `Expected \`argv\` of ACP executor \`${id}\` to name a program, got an empty command line`);
  return createAcpExecutor({
    id,
    displayName,
    command(env) {
      const bin = program.includes('/') ? (isAbsolute(program) ? program : null) : findOnPath(program, env);
      return bin ? [bin, ...args] : null;
    },
    hint: `install \`${program}\` or put it on PATH`,
  });
}

/** `acp`: any agent that speaks ACP on stdio, its command line taken from the session's profile (or
 * `session/start {command}`), e.g. `goose acp`, `opencode acp`, `claude-agent-acp`, `codex-acp`. */
export const acpProfileExecutor: Executor = {
  id: 'acp',
  displayName: 'Any ACP agent (command line from the profile)',
  capabilities: ACP_CAPABILITIES,
  protocol: ACP_PROTOCOL,
  permissionModes: [],
  defaultPermissionMode: null,
  async detect() {
    return { available: true, version: null, path: null, hint: 'give the agent command line in a profile (`command`) or in `session/start {command}`' };
  },
  checkProfile(profile) {
    if (!profile.command?.length) {
      throw OrchdError.invalidParams('command', 'Expected `command` (in the profile or `session/start`) to give the ACP agent command line for executor `acp`, got none');
    }
  },
  prepare(request, hooks) {
    acpProfileExecutor.checkProfile!(request.profile);
    return acpCommandExecutor('acp', request.profile.command!).prepare(request, hooks);
  },
  createNormalizer: createAcpNormalizer,
};
