// config/*: layered configuration (docs/configuration.md). Layers, lowest first: built-in defaults → the user's file
// (`$XDG_CONFIG_HOME/orchd/config.json`) → each repository's `orchd.json` (committed with the code) → the project's
// settings in the database → the parameters of one request. One schema (ConfigDocument) describes both files; it is
// exported as `protocol/config.schema.json` for editors.
import * as v from 'valibot';
import { Id } from './common.js';
import { Profile } from './executors.js';
import { ApprovalsLayer, BranchPrefix, ProfileName, ProjectRetention, ScriptsLayer } from './project.js';

export { EnvReference } from './executors.js';

/** The configuration file format version this orchd writes; older versions are migrated when read. */
export const CONFIG_VERSION = 1;

/** Scripts as one layer sets them (the same shape `project/create` takes). */
export const ConfigScripts = ScriptsLayer;
/** An approval policy as one layer sets it: sparse, so a file that sets `timeoutSeconds` keeps the rules from below. */
export const ConfigApprovals = ApprovalsLayer;

export const ConfigTerminal = v.strictObject({
  scrollbackBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(64 * 1024), v.maxValue(256 * 1024 * 1024), v.description('Default scrollback kept per terminal (default: 4 MiB)'))),
  shell: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Program `terminal/create` starts when no command is given; default: $SHELL, else /bin/sh'))),
});

/** One configuration file (the user's or a repository's), every key optional. Unknown keys are errors. */
export const ConfigDocument = v.pipe(
  v.strictObject({
    $schema: v.optional(v.pipe(v.string(), v.description('Where editors find this schema (protocol/config.schema.json); ignored by orchd'))),
    version: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.description(`The format version; ${CONFIG_VERSION} today. Omitted: ${CONFIG_VERSION}`))),
    scripts: v.optional(ConfigScripts),
    copyFiles: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.description('Paths or glob patterns copied from the main checkout into each new worktree, e.g. `.env`'))),
    autoCommit: v.optional(v.pipe(v.boolean(), v.description('Commit what the agent left after each turn (default: true)'))),
    branchPrefix: v.optional(v.pipe(BranchPrefix, v.description('Workspace branches are `<prefix>/<short-id>-<slug>` (default: `orchd`)'))),
    approvals: v.optional(ConfigApprovals),
    profiles: v.optional(
      v.pipe(
        v.record(ProfileName, Profile),
        v.description('Named ways to run an agent, chosen with `session/start {profile}`; a profile of a higher layer replaces one of the same name whole'),
      ),
    ),
    retention: v.optional(ProjectRetention),
    terminal: v.optional(ConfigTerminal),
  }),
  v.title('orchd configuration'),
  v.description(
    "orchd's configuration file: the user's (`$XDG_CONFIG_HOME/orchd/config.json`) or a repository's (`orchd.json` at its root). Layers, lowest first: built-in defaults, the user's file, each repository's file, the project's settings, the request. See docs/configuration.md",
  ),
);

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
