// Profile `env` values are secrets (often API keys): handed to the agent process, but shown as `***` in every result,
// event and log. A value is either given (stored as is; refused under a secret-looking name when newly written) or a
// reference `{"env": "NAME"}` to orchd's own environment, resolved each time an agent starts, so the secret itself is
// never stored. A host that edits settings it was shown sends `***` back, which keeps the value the profile had.
import { SECRET_ENV_NAME, SECRET_MASK, type Profile, type ResolvedProfile } from '../../protocol/executors.js';
import { OrchdError } from '../errors.js';

/** A profile `env` value: given, or a reference to orchd's environment. */
export type EnvValue = string | { env: string };

/** A session's profile as stored: like ResolvedProfile, but `env` may hold references, resolved per agent turn. */
export type StoredProfile = Omit<ResolvedProfile, 'env'> & { env: Record<string, EnvValue> };

/** The variables with every value replaced by `***`. */
export function maskEnv(env: Readonly<Record<string, EnvValue>>): Record<string, string> {
  return Object.fromEntries(Object.keys(env).map((name) => [name, SECRET_MASK]));
}

/** A session's resolved profile as it may leave the engine. */
export function maskResolvedProfile(profile: StoredProfile): ResolvedProfile {
  return { ...profile, env: maskEnv(profile.env) };
}

/**
 * The real values of a profile's `env`: references read from `source` (orchd's environment). A missing variable is an
 * `invalidConfig` error naming the profile, the variable and what it refers to.
 */
export function resolveEnv(env: Readonly<Record<string, EnvValue>>, profileName: string | null, source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [variable, value] of Object.entries(env)) {
    if (typeof value === 'string') {
      resolved[variable] = value;
      continue;
    }
    const found = source[value.env];
    if (found === undefined) {
      const where = profileName === null ? `\`env.${variable}\`` : `\`profiles.${profileName}.env.${variable}\``;
      throw new OrchdError(
        'invalidConfig',
        `Expected orchd's environment to have \`${value.env}\` for ${where} (profile ${profileName === null ? 'of this session' : `\`${profileName}\``}), got no such variable; set it where orchd starts`,
        { file: null, jsonPath: `$.profiles.${profileName ?? '?'}.env.${variable}`, received: 'unset', variable: value.env, profile: profileName },
      );
    }
    resolved[variable] = found;
  }
  return resolved;
}

/**
 * Plain values newly written under secret-looking names: each `{name, variable}` whose value is a non-empty string
 * other than `***` and not the very value `previous` already held there (values stored before the rule keep working).
 */
export function newPlainSecrets(profiles: Readonly<Record<string, Profile>>, previous: Readonly<Record<string, Profile>> = {}): { name: string; variable: string }[] {
  const found: { name: string; variable: string }[] = [];
  for (const [name, profile] of Object.entries(profiles)) {
    for (const [variable, value] of Object.entries(profile.env)) {
      if (typeof value !== 'string' || value === '' || value === SECRET_MASK || !SECRET_ENV_NAME.test(variable)) continue;
      const before = Object.hasOwn(previous, name) ? previous[name]!.env[variable] : undefined;
      if (before !== value) found.push({ name, variable });
    }
  }
  return found;
}

/** The error for a plain value under a secret-looking name, naming the field (`settings.profiles.fast.env.API_KEY`). */
export function plainSecretError(field: string, variable: string): OrchdError {
  return OrchdError.invalidParams(
    field,
    `Expected \`${field}\` to refer to orchd's environment, like {"env": ${JSON.stringify(variable)}}, got a plain value: secrets are never stored in plain text`,
    { value: SECRET_MASK },
  );
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
