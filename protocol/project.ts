// Projects: a name, one or more git repositories, scripts, files to copy into new worktrees, settings.
import * as v from 'valibot';
import { Id, Ok, Timestamp } from './common.js';
import { ApprovalPolicy, ApprovalRule } from './approvals.js';
import { Profile } from './executors.js';

export const ScriptSpec = v.strictObject({
  command: v.pipe(v.string(), v.minLength(1), v.description('A shell command, run with /bin/sh -c')),
  name: v.optional(v.pipe(v.string(), v.minLength(1))),
  repository: v.optional(v.pipe(v.string(), v.description("The name of one of the project's repositories, whose worktree is the working directory; default: the first repository (for a script from a repository's orchd.json: that repository)"))),
});

export const ProjectScripts = v.strictObject({
  setup: v.optional(v.array(ScriptSpec), []),
  setupMode: v.optional(v.picklist(['sequential', 'parallel']), 'sequential'),
  cleanup: v.optional(v.array(ScriptSpec), []),
  archive: v.optional(v.array(ScriptSpec), []),
  devServer: v.optional(v.nullable(ScriptSpec), null),
});

export const BranchPrefix = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/), v.maxLength(64));
export const ProfileName = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]+$/), v.maxLength(64));

export const ProjectSettings = v.strictObject({
  autoCommit: v.optional(v.boolean(), true),
  branchPrefix: v.optional(BranchPrefix, 'orchd'),
  approvals: v.optional(ApprovalPolicy, {}),
  profiles: v.optional(v.pipe(v.record(ProfileName, Profile), v.description('Named ways to run an agent, chosen with `session/start {profile}`')), {}),
});

// What one configuration layer holds (docs/configuration.md): only what it sets, no defaults filled in, so a lower
// layer (the user's file, a repository's orchd.json, the built-in defaults) shows through what a higher one omits.
// `project/create` and `project/update` take these, and the configuration files are made of them (protocol/config.ts).

/** Scripts as one layer sets them; each key replaces the one below it. */
export const ScriptsLayer = v.strictObject({
  setup: v.optional(v.pipe(v.array(ScriptSpec), v.description('Run before the agent of a new session (default: none)'))),
  setupMode: v.optional(v.pipe(v.picklist(['sequential', 'parallel']), v.description('default: `sequential`'))),
  cleanup: v.optional(v.pipe(v.array(ScriptSpec), v.description('Run after each agent turn (default: none)'))),
  archive: v.optional(v.pipe(v.array(ScriptSpec), v.description('Run when a workspace is archived (default: none)'))),
  devServer: v.optional(v.pipe(v.nullable(ScriptSpec), v.description('Started by `workspace/runScript {kind: devServer}` (default: none)'))),
});

/** An approval policy as one layer sets it; each key replaces the one below it. */
export const ApprovalsLayer = v.strictObject({
  rules: v.optional(v.pipe(v.array(ApprovalRule), v.description('Applied in order before anyone is asked; the first match decides (default: none)'))),
  defaultRules: v.optional(v.pipe(v.boolean(), v.description('Apply the built-in rules (deny recursive deletes outside the worktree) after these (default: true)'))),
  timeoutSeconds: v.optional(v.pipe(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1))), v.description('default: null, wait for ever'))),
  onTimeout: v.optional(v.pipe(v.picklist(['deny', 'allow']), v.description('What happens after `timeoutSeconds` with no answer (default: `deny`)'))),
});

/** A project's settings as `project/create` and `project/update` take them: only what is given is set. */
export const SettingsLayer = v.strictObject({
  autoCommit: v.optional(v.pipe(v.boolean(), v.description("Commit what the agent left after each turn (default: true)"))),
  branchPrefix: v.optional(v.pipe(BranchPrefix, v.description('Workspace branches are `<prefix>/<short-id>-<slug>` (default: `orchd`)'))),
  approvals: v.optional(ApprovalsLayer),
  profiles: v.optional(v.pipe(v.record(ProfileName, Profile), v.description('Named ways to run an agent, chosen with `session/start {profile}`; each replaces a profile of the same name from the files'))),
});

/** How long a project's raw output stays in the event log; `maintenance/compact` (and `orchd gc`) apply it. */
export const ProjectRetention = v.pipe(
  v.strictObject({
    maxAgeDays: v.optional(
      v.pipe(
        v.number(),
        v.minValue(0),
        v.maxValue(36_500),
        v.description('Drop the raw output of executions that ended more than this many days ago (fractions allowed; 0: as soon as the session is idle)'),
      ),
    ),
    maxBytes: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(0),
        v.description("Keep at most this many bytes of the project's raw output: the output of the executions that ended first is dropped first"),
      ),
    ),
  }),
  v.description(
    'Retention of raw output (`execution/output` events) of finished executions whose session is idle; normalized entries (`session/entryUpserted`) are always kept, and an `events/compacted` tombstone marks what was dropped. `{}` (the default): keep everything',
  ),
);

export const Repository = v.strictObject({
  id: Id,
  name: v.string(),
  path: v.pipe(v.string(), v.description('Absolute path of the repository top level')),
});

export const Project = v.strictObject({
  id: Id,
  name: v.string(),
  repositories: v.array(Repository),
  scripts: ProjectScripts,
  copyFiles: v.pipe(v.array(v.string()), v.description('Paths or glob patterns copied from the main checkout into each new worktree, e.g. `.env`')),
  settings: ProjectSettings,
  retention: ProjectRetention,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const ProjectName = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200));
/** One plain directory name: it becomes `<workspace>/<name>/`, so `..`, `.git`, `-rf` and the like can never be one. */
export const RepositoryName = v.pipe(
  v.string(),
  v.regex(/^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]*$/),
  v.maxLength(100),
  v.description('Starts with a letter or digit, then letters, digits, `.`, `_` and `-`, without `..`; unique in the project ignoring case'),
);

export const RepositoryInput = v.strictObject({
  path: v.pipe(v.string(), v.minLength(1), v.description('A path inside a git repository; its top level is stored')),
  name: v.optional(v.pipe(RepositoryName, v.description('Display and directory name; default: the directory name with unsafe characters replaced (`-rf` → `rf`, `my repo` → `my-repo`)'))),
});

export const ProjectCreateParams = v.strictObject({
  name: ProjectName,
  repositories: v.pipe(v.array(RepositoryInput), v.minLength(1)),
  scripts: v.optional(v.pipe(ScriptsLayer, v.description("The project's scripts; what is omitted comes from the configuration files, else the defaults"))),
  copyFiles: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
  settings: v.optional(v.pipe(SettingsLayer, v.description("The project's settings; what is omitted comes from the configuration files, else the defaults"))),
  retention: v.optional(ProjectRetention),
});

export const ProjectUpdateParams = v.strictObject({
  projectId: Id,
  name: v.optional(ProjectName),
  addRepositories: v.optional(v.array(RepositoryInput)),
  removeRepositoryIds: v.optional(v.array(Id)),
  scripts: v.optional(
    v.pipe(ScriptsLayer, v.description("Replaces the project's own scripts: the keys given are set, the others are unset (they come from the configuration files, else the defaults)")),
  ),
  copyFiles: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
  settings: v.optional(
    v.pipe(SettingsLayer, v.description("Replaces the project's own settings: the keys given are set, the others are unset (they come from the configuration files, else the defaults)")),
  ),
  retention: v.optional(v.pipe(ProjectRetention, v.description("Replaces the project's own retention; `{}` unsets it"))),
});

export const ProjectGetParams = v.strictObject({ projectId: Id });
export const ProjectDeleteParams = v.strictObject({
  projectId: Id,
  force: v.optional(
    v.pipe(v.boolean(), v.description("Delete even when a workspace's uncommitted changes would be lost or a session runs in one (it is stopped first)")),
    false,
  ),
  deleteBranches: v.optional(v.pipe(v.boolean(), v.description("Also delete the workspaces' branches")), false),
});
export const ProjectListParams = v.optional(v.nullable(v.strictObject({})));
export const ProjectListResult = v.strictObject({ projects: v.array(Project) });
export const ProjectDeleteResult = Ok;
/** The result of `project/create`, `project/get` and `project/update`: every result names what it holds. */
export const ProjectResult = v.strictObject({ project: Project });

export type Project = v.InferOutput<typeof Project>;
export type Repository = v.InferOutput<typeof Repository>;
export type ProjectScripts = v.InferOutput<typeof ProjectScripts>;
export type ProjectSettings = v.InferOutput<typeof ProjectSettings>;
export type ProjectRetention = v.InferOutput<typeof ProjectRetention>;
export type RepositoryInput = v.InferOutput<typeof RepositoryInput>;
export type ProjectCreateParams = v.InferOutput<typeof ProjectCreateParams>;
export type ProjectUpdateParams = v.InferOutput<typeof ProjectUpdateParams>;
export type ScriptsLayer = v.InferOutput<typeof ScriptsLayer>;
export type ApprovalsLayer = v.InferOutput<typeof ApprovalsLayer>;
export type SettingsLayer = v.InferOutput<typeof SettingsLayer>;
