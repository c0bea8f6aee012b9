// The checks every profile passes before it runs an agent, whatever the executor: its values obey the argv rule
// (src/executors/argv.ts) and its permission mode is one the executor declares. `session/start`, `session/followUp`,
// project settings (src/executors/validate-profile.ts) and every turn (src/executors/registry.ts) use them.
import { OrchdError, shown } from '../errors.js';
import { assertNotOption } from './argv.js';
import type { Executor } from './types.js';

/** The profile fields these checks read; `command` is the ACP command line. */
export interface ProfileValues {
  model?: string | null | undefined;
  permissionMode?: string | null | undefined;
  command?: readonly string[] | null | undefined;
}

/** `mode`, or invalidParams naming `field` and listing the modes the executor declares. */
export function checkPermissionMode(executor: Executor, mode: string, field = 'permissionMode'): string {
  if (executor.permissionModes.includes(mode) || executor.acceptsPermissionMode?.(mode)) return mode;
  const allowed = [...executor.permissionModes];
  if (allowed.length === 0) {
    throw OrchdError.invalidParams(field, `Expected \`${field}\` to be unset for executor \`${executor.id}\` (it takes none), got ${shown(mode)}`, { value: mode, allowed });
  }
  const other = executor.acceptsPermissionMode ? ' or a JSON permission object' : '';
  throw OrchdError.invalidParams(field, `Expected \`${field}\` for executor \`${executor.id}\` to be one of ${allowed.map((m) => `\`${m}\``).join(', ')}${other}, got ${shown(mode)}`, {
    value: mode,
    allowed,
  });
}

/** Refuse profile values that would be read as flags or that the executor does not take. `prefix` names where the
 * profile sits (`settings.profiles.fast.` for a project's profile, empty for `session/start`). */
export function checkProfileValues(executor: Executor, profile: ProfileValues, prefix = ''): void {
  if (profile.model) assertNotOption(`${prefix}model`, profile.model);
  if (profile.command?.length) assertNotOption(`${prefix}command[0]`, profile.command[0]!);
  if (profile.permissionMode !== null && profile.permissionMode !== undefined) checkPermissionMode(executor, profile.permissionMode, `${prefix}permissionMode`);
}
