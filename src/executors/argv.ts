// The one rule for values that reach an agent's command line: a value from a request, a profile or an agent's output
// never starts with `-`, so no CLI can read it as a flag (`session/start {model: "--dangerously-skip-permissions"}`).
// Flags come only from orchd itself and from a profile's `extraArgs` (the project's settings, where flags are the
// point). Where a CLI takes `--flag=value`, builders use that form too, so the value is bound to its flag.
import { OrchdError, shown } from '../errors.js';
import type { AgentTurnRequest } from './types.js';

/** `value`, or invalidParams naming `field` when it starts with `-` (it would be read as a flag). */
export function assertNotOption(field: string, value: string): string {
  if (value.startsWith('-')) throw OrchdError.invalidParams(field, `Expected \`${field}\` not to start with \`-\`, got ${shown(value)}`, { value });
  return value;
}

/** `--flag=value` for a value from outside orchd, after the check. */
export function optionValue(flag: string, value: string, field: string): string {
  return `${flag}=${assertNotOption(field, value)}`;
}

/** Every value of a turn request that an executor may put on argv, checked: the model, the program of an ACP command
 * line, the agent session to resume and the message to resume at. `extraArgs` and the command's own arguments are
 * explicit command-line words and may be flags. */
export function assertTurnArgv(request: AgentTurnRequest): void {
  if (request.profile.model) assertNotOption('model', request.profile.model);
  if (request.profile.command?.length) assertNotOption('command[0]', request.profile.command[0]!);
  if (request.resumeAgentSessionId) assertNotOption('resumeAgentSessionId', request.resumeAgentSessionId);
  if (request.resumeAt) assertNotOption('resumeAt', request.resumeAt);
}
