// Profile `env` values are secrets (often API keys): stored as given and handed to the agent process, but shown as
// `***` in every result, event and log. A host that edits settings it was shown sends `***` back, which keeps the
// stored value of that variable in that profile.
import { SECRET_MASK, type Profile, type ResolvedProfile } from '../../protocol/executors.js';
import { OrchdError } from '../errors.js';

/** The variables with every value replaced by `***`. */
export function maskEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(env).map((name) => [name, SECRET_MASK]));
}

/** A session's resolved profile as it may leave the engine. */
export function maskResolvedProfile(profile: ResolvedProfile): ResolvedProfile {
  return { ...profile, env: maskEnv(profile.env) };
}

/** A project's profiles as they may leave the engine. */
export function maskProfiles(profiles: Readonly<Record<string, Profile>>): Record<string, Profile> {
  return Object.fromEntries(Object.entries(profiles).map(([name, profile]) => [name, { ...profile, env: maskEnv(profile.env) }]));
}

/** The profiles to store: each `***` value replaced by the stored value of the same variable in the same profile;
 * invalidParams naming the variable when there is none (a new project, profile or variable has nothing to keep). */
export function keepStoredSecrets(profiles: Readonly<Record<string, Profile>>, stored: Readonly<Record<string, Profile>>, field = 'settings.profiles'): Record<string, Profile> {
  return Object.fromEntries(
    Object.entries(profiles).map(([name, profile]) => {
      const env = Object.fromEntries(
        Object.entries(profile.env).map(([variable, value]) => {
          if (value !== SECRET_MASK) return [variable, value];
          const kept = Object.hasOwn(stored, name) ? stored[name]!.env[variable] : undefined;
          if (kept === undefined) {
            const path = `${field}.${name}.env.${variable}`;
            throw OrchdError.invalidParams(path, `Expected \`${path}\` to be a value (\`${SECRET_MASK}\` keeps a stored value, and there is none), got \`${SECRET_MASK}\``);
          }
          return [variable, kept];
        }),
      );
      return [name, { ...profile, env }];
    }),
  );
}
