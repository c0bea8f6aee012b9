// config/*: layered configuration (docs/configuration.md). Layers, lowest first: built-in defaults → the user's file
// (`$XDG_CONFIG_HOME/orchd/config.json`) → each repository's `orchd.json` (committed with the code) → the project's
// settings in the database → the parameters of one request. One schema (ConfigDocument) describes both files; it is
// exported as `protocol/config.schema.json` for editors.
import * as v from 'valibot';
import { ApprovalPolicy } from './approvals.js';
import { Id } from './common.js';
import { ProfileSettings } from './executors.js';
import { ProjectRetention, ScriptSpec } from './project.js';

/** The configuration file format version this orchd writes; older versions are migrated when read. */
export const CONFIG_VERSION = 1;

const ProfileName = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]+$/), v.maxLength(64));
const BranchPrefix = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/), v.maxLength(64));

/** An agent profile as a file holds it: like a project profile, but every `env` value must refer to the environment. */
export const EnvReference = v.strictObject({
  env: v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/), v.description("The name of an environment variable of orchd's own environment, read when a session starts")),
});

export const ConfigScripts = v.strictObject({
  setup: v.optional(v.array(ScriptSpec)),
  setupMode: v.optional(v.picklist(['sequential', 'parallel'])),
  cleanup: v.optional(v.array(ScriptSpec)),
  archive: v.optional(v.array(ScriptSpec)),
  devServer: v.optional(v.nullable(ScriptSpec)),
});

export const ConfigTerminal = v.strictObject({
  scrollbackBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(64 * 1024), v.maxValue(256 * 1024 * 1024), v.description('Default scrollback kept per terminal'))),
  shell: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Program `terminal/create` starts when no command is given; default: $SHELL, else /bin/sh'))),
});

/** One configuration file (the user's or a repository's), every key optional. Unknown keys are errors. */
export const ConfigDocument = v.strictObject({
  $schema: v.optional(v.string()),
  version: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.description(`The format version; ${CONFIG_VERSION} today. Omitted: ${CONFIG_VERSION}`))),
  scripts: v.optional(ConfigScripts),
  copyFiles: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
  autoCommit: v.optional(v.boolean()),
  branchPrefix: v.optional(BranchPrefix),
  approvals: v.optional(ApprovalPolicy),
  profiles: v.optional(
    v.record(
      ProfileName,
      v.strictObject({
        executor: v.pipe(v.string(), v.minLength(1)),
        ...ProfileSettings.entries,
        env: v.optional(v.record(v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/)), v.union([EnvReference, v.string()]))),
      }),
    ),
  ),
  retention: v.optional(ProjectRetention),
  terminal: v.optional(ConfigTerminal),
});

export const ConfigLayerName = v.picklist(['default', 'user', 'repository', 'project']);

export const ConfigProblem = v.strictObject({
  file: v.pipe(v.nullable(v.string()), v.description('The file, or null for the project layer')),
  jsonPath: v.pipe(v.string(), v.description('Where in the document, e.g. `$.profiles.fast.model`; `$` for the whole file')),
  received: v.pipe(v.string(), v.description('What was found there, shown briefly')),
  message: v.string(),
});

export const ConfigLayer = v.strictObject({
  layer: ConfigLayerName,
  file: v.nullable(v.string()),
  repositoryId: v.optional(Id),
  status: v.pipe(v.picklist(['loaded', 'absent', 'invalid']), v.description('`invalid`: the file is broken and orchd keeps using its last good content (none if it never loaded)')),
  problem: v.optional(ConfigProblem),
});

export const ConfigGetParams = v.optional(v.nullable(v.strictObject({ projectId: v.optional(Id) })));
export const ConfigGetResult = v.strictObject({
  config: v.pipe(v.record(v.string(), v.unknown()), v.description('The effective configuration: a ConfigDocument with every value resolved; `env` references stay references')),
  sources: v.pipe(v.record(v.string(), ConfigLayerName), v.description('For every value, by dotted path (`scripts.setup`, `profiles.fast`, `terminal.shell`), the layer it came from')),
  layers: v.array(ConfigLayer),
});

export const ConfigUpdateParams = v.strictObject({
  scope: v.pipe(v.picklist(['user', 'project']), v.description("`user`: the user's file, written atomically; `project`: the project's settings in the database")),
  projectId: v.optional(v.pipe(Id, v.description('Required with scope `project`'))),
  patch: v.pipe(v.record(v.string(), v.unknown()), v.description('A JSON merge patch (RFC 7396) applied to that layer: objects merge, `null` removes a key; the result must be a valid ConfigDocument')),
});

export type ConfigDocument = v.InferOutput<typeof ConfigDocument>;
export type ConfigLayer = v.InferOutput<typeof ConfigLayer>;
export type ConfigLayerName = v.InferOutput<typeof ConfigLayerName>;
export type ConfigProblem = v.InferOutput<typeof ConfigProblem>;
export type ConfigGetResult = v.InferOutput<typeof ConfigGetResult>;
export type ConfigUpdateParams = v.InferOutput<typeof ConfigUpdateParams>;
