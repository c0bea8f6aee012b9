// Profiles in a project's settings, checked when the project is created or updated rather than when a session first
// uses them: the executor exists, values obey the argv rule, the permission mode is one the executor declares.
// `extraArgs` may hold flags (the project's settings are where flags are meant to be set); `env` is checked by
// src/executors/secrets.ts.
import type { Profile } from '../../protocol/executors.js';
import { getExecutor } from './registry.js';
import { checkProfileValues } from './profile-check.js';

/** Refuse a profile that could not run, naming it (`settings.profiles.<name>.<field>`). */
export function validateProfiles(profiles: Readonly<Record<string, Profile>> | undefined, field = 'settings.profiles'): void {
  for (const [name, profile] of Object.entries(profiles ?? {})) {
    const prefix = `${field}.${name}.`;
    checkProfileValues(getExecutor(profile.executor, `${prefix}executor`), profile, prefix);
  }
}
