// One-shot CLIs (Cursor, Amp, Droid): the prompt on stdin, one process per turn, no control channel.
import { detectBinary, requireBinary, type BinarySpec } from './detect.js';
import type { AgentDriver, AgentTurnRequest, Executor } from './types.js';

/** The driver of a one-shot CLI that reads its prompt from stdin: write the prompt, close stdin, and nothing else.
 * There is no graceful interrupt, so a stop goes straight to signals. Shared by the Cursor, Amp and Droid
 * executors. */
export function createOneShotDriver(prompt: string): AgentDriver {
  return {
    start(input) {
      input.writeLine(prompt);
      input.close();
    },
    onStdoutLine() {},
    interrupt: () => false,
  };
}

export interface OneShotExecutorOptions extends Pick<Executor, 'id' | 'displayName' | 'capabilities' | 'protocol' | 'permissionModes' | 'defaultPermissionMode' | 'createNormalizer'> {
  binary: BinarySpec;
  /** The argv after the program for one turn (the prompt goes to stdin). */
  args(request: AgentTurnRequest): string[];
}

/** An executor for a one-shot CLI: find the binary, build the argv, write the prompt to stdin. */
export function createOneShotExecutor(options: OneShotExecutorOptions): Executor {
  return {
    id: options.id,
    displayName: options.displayName,
    capabilities: options.capabilities,
    protocol: options.protocol,
    permissionModes: options.permissionModes,
    defaultPermissionMode: options.defaultPermissionMode,
    detect: (env) => detectBinary(options.binary, env ?? process.env),
    checkProfile(profile) {
      // Building the argv checks the permission mode and model; a bad one fails session/start, not the turn.
      options.args({ cwd: '.', prompt: '', resumeAgentSessionId: null, env: {}, profile });
    },
    prepare(request) {
      const bin = requireBinary(options.binary, options.id, request.env);
      return { argv: [bin, ...options.args(request)], env: request.env, driver: createOneShotDriver(request.prompt) };
    },
    createNormalizer: options.createNormalizer,
  };
}
