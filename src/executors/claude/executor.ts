// Executors that speak Claude Code's stream-json with the control protocol: Claude Code itself and the bundled
// scripted agent (a stand-in for tests and demos). They differ only in the program that runs.
import type { AgentTurnRequest, Executor, ExecutorAvailability, ExecutorCapabilities } from '../types.js';
import { createClaudeNormalizer } from '../../normalizers/claude-stream-json.js';
import { optionValue } from '../argv.js';
import { createClaudeDriver } from './driver.js';

/** Claude Code's permission modes (`--permission-mode`, 2.1); anything else is refused before a session starts. */
export const CLAUDE_PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'bypassPermissions', 'dontAsk', 'auto'] as const;
export const CLAUDE_DEFAULT_PERMISSION_MODE = 'acceptEdits';

export interface ClaudeLikeOptions {
  id: string;
  displayName: string;
  capabilities: ExecutorCapabilities;
  /** argv prefix that runs the CLI (e.g. [node, fake-agent.mjs] or [/usr/bin/claude]); null when it is not installed. */
  program(env: Record<string, string>): string[] | null;
  detect(env?: Record<string, string>): Promise<ExecutorAvailability>;
  /** Environment the CLI needs on top of the request's. */
  extraEnv?: Record<string, string>;
  /** Variables removed from the environment (e.g. CLAUDECODE, so a nested CLI does not think it runs inside one). */
  dropEnv?: string[];
}

/** The argv after the program for one turn. */
export function claudeArguments(request: AgentTurnRequest): string[] {
  const args = ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--permission-prompt-tool', 'stdio'];
  args.push('--permission-mode', request.profile.permissionMode ?? CLAUDE_DEFAULT_PERMISSION_MODE);
  if (request.profile.model) args.push(optionValue('--model', request.profile.model, 'model'));
  // `--resume=<id>`: the CLI treats --resume's value as optional, so only the `=` form binds the id to the flag.
  if (request.resumeAgentSessionId) {
    args.push(optionValue('--resume', request.resumeAgentSessionId, 'resumeAgentSessionId'));
    if (request.fork) args.push('--fork-session');
    if (request.resumeAt) args.push(optionValue('--resume-session-at', request.resumeAt, 'resumeAt'));
  }
  return [...args, ...request.profile.extraArgs];
}

/** The uuid of the last message a turn wrote (what `--resume-session-at` takes). */
export function claudeResumePoint(stdoutLines: readonly string[]): string | null {
  for (let i = stdoutLines.length - 1; i >= 0; i--) {
    const line = stdoutLines[i]!;
    if (!line.startsWith('{')) continue;
    try {
      const message = JSON.parse(line) as { type?: string; uuid?: string; isReplay?: boolean };
      if ((message.type === 'assistant' || message.type === 'user') && typeof message.uuid === 'string' && !message.isReplay) return message.uuid;
    } catch {
      // not JSON: keep looking
    }
  }
  return null;
}

export function createClaudeLikeExecutor(options: ClaudeLikeOptions): Executor {
  return {
    id: options.id,
    displayName: options.displayName,
    capabilities: options.capabilities,
    protocol: 'stream-json in and out with the control protocol (can_use_tool, interrupt)',
    permissionModes: CLAUDE_PERMISSION_MODES,
    defaultPermissionMode: CLAUDE_DEFAULT_PERMISSION_MODE,
    detect: (env) => options.detect(env),
    prepare(request, hooks) {
      const program = options.program(request.env);
      if (!program) throw new Error(`${options.displayName} is not installed`);
      const env: Record<string, string> = { ...request.env, ...options.extraEnv };
      for (const name of options.dropEnv ?? []) delete env[name];
      return { argv: [...program, ...claudeArguments(request)], env, driver: createClaudeDriver(request.prompt, hooks) };
    },
    createNormalizer: createClaudeNormalizer,
    resumePoint: claudeResumePoint,
  };
}
