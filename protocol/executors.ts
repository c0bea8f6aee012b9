// Executors (agent CLIs orchd can drive) and profiles (how to run one: model, permission mode, extra args, env).
import * as v from 'valibot';

export const ExecutorCapabilities = v.strictObject({
  resume: v.pipe(v.boolean(), v.description("Follow-ups continue the agent's own session")),
  fork: v.boolean(),
  reset: v.boolean(),
  approvals: v.pipe(v.boolean(), v.description('Permission prompts reach orchd and the host before a tool runs')),
  images: v.boolean(),
  models: v.boolean(),
  mcp: v.boolean(),
  gracefulStop: v.pipe(v.boolean(), v.description('The agent is asked to end its turn before signals are sent')),
});

export const ExecutorInfo = v.strictObject({
  id: v.string(),
  displayName: v.string(),
  protocol: v.pipe(v.string(), v.description('How orchd drives it')),
  available: v.boolean(),
  version: v.nullable(v.string()),
  path: v.nullable(v.string()),
  hint: v.pipe(v.nullable(v.string()), v.description('What to install or set when it is not available')),
  unavailableReason: v.optional(
    v.pipe(v.picklist(['notFound', 'versionFailed', 'versionTimedOut']), v.description('Why it is not available: not installed, `--version` failed, or `--version` timed out (the hint says after how long)')),
  ),
  capabilities: ExecutorCapabilities,
  permissionModes: v.pipe(
    v.array(v.string()),
    v.description("The values `permissionMode` may take in `session/start` and in profiles; empty when the executor takes none (the agent's own configuration decides)"),
  ),
  defaultPermissionMode: v.pipe(v.nullable(v.string()), v.description('The mode used when neither the profile nor the request gives one')),
});

export const ExecutorListParams = v.optional(v.nullable(v.strictObject({})));
export const ExecutorListResult = v.strictObject({ executors: v.array(ExecutorInfo) });

const EnvName = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/));

/** What orchd shows in place of a secret value (profile `env` values) in every result, event and log. */
export const SECRET_MASK = '***';

/** A value read from orchd's own environment when an agent starts: how a secret is named without being stored. */
export const EnvReference = v.strictObject({
  env: v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/), v.description("The name of a variable of orchd's own environment, read when the agent starts")),
});

/** Names that look like they hold a secret: their values must be `{"env": NAME}` references (or empty) when written. */
export const SECRET_ENV_NAME = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i;

/** A profile's environment variables: plain values, or references to orchd's own environment for secrets. */
export const SecretEnv = v.pipe(
  v.record(EnvName, v.union([EnvReference, v.string()])),
  v.description(
    'Environment variables for the agent process: a value, or `{"env": "NAME"}` to pass the value of orchd\'s own variable NAME when the agent starts (a missing variable fails the session start). A variable whose name contains KEY, TOKEN, SECRET, PASSWORD or CREDENTIAL takes only a reference (or an empty value): secrets are never stored in plain text. Values are shown everywhere as `***`; in `project/update`, `***` keeps the value the profile has',
  ),
);
export const AgentCommand = v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(4000))), v.minLength(1), v.maxLength(100));

/** Settings that change how an agent runs; every field is optional and falls back to the executor's default. */
export const ProfileSettings = v.strictObject({
  model: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.description('Must not start with `-`')))),
  permissionMode: v.optional(
    v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(100), v.description("One of the executor's `permissionModes` from `executor/list`, e.g. Claude `default`, `acceptEdits`, `plan`, `bypassPermissions`; Codex `untrusted`, `on-request`, `never`"))),
  ),
  extraArgs: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.maxLength(4000))),
      v.description("Arguments added after orchd's own on the agent's command line, flags included: the project's settings are the one place flags can be set (`session/start` cannot)"),
    ),
    [],
  ),
  env: v.optional(SecretEnv, {}),
  command: v.optional(
    v.pipe(AgentCommand, v.description('For the `acp` executor: the command line of any agent that speaks ACP on stdio, e.g. `["goose", "acp"]` or `["opencode", "acp"]`; the program (the first element) must not start with `-`')),
  ),
});

export const Profile = v.strictObject({
  executor: v.pipe(v.string(), v.minLength(1), v.description('An executor id from `executor/list`')),
  ...ProfileSettings.entries,
});

/** What a session runs with, after the profile and the request's overrides are applied. */
export const ResolvedProfile = v.strictObject({
  name: v.nullable(v.string()),
  model: v.nullable(v.string()),
  permissionMode: v.nullable(v.string()),
  extraArgs: v.array(v.string()),
  env: v.pipe(v.record(v.string(), v.string()), v.description('Secret: every value is shown as `***`; the agent process gets the real ones')),
  command: v.optional(v.nullable(v.array(v.string())), null),
});

export type ExecutorInfo = v.InferOutput<typeof ExecutorInfo>;
export type Profile = v.InferOutput<typeof Profile>;
export type ResolvedProfile = v.InferOutput<typeof ResolvedProfile>;
