// git/*: read-only views of a workspace's (or a project repository's) git state that hosts need.
import * as v from 'valibot';
import { Id } from './common.js';
import { ChangedFile } from './workspace.js';

/** Which repository: a workspace's worktree (workspaceId + repositoryId) or a project's main checkout (repositoryId). */
export const GitTarget = {
  workspaceId: v.optional(Id),
  repositoryId: v.optional(v.pipe(Id, v.description("Required when the workspace or project has more than one repository; a project repository's main checkout when workspaceId is omitted"))),
};

export const StatusEntry = v.strictObject({
  path: v.string(),
  oldPath: v.optional(v.string()),
  change: v.string(),
});

export const GitStatusParams = v.strictObject({ ...GitTarget });
export const GitStatusResult = v.strictObject({
  branch: v.nullable(v.string()),
  head: v.nullable(v.string()),
  upstream: v.nullable(v.string()),
  ahead: v.number(),
  behind: v.number(),
  staged: v.array(StatusEntry),
  unstaged: v.array(StatusEntry),
  untracked: v.array(v.string()),
  conflicted: v.array(v.string()),
  clean: v.boolean(),
});

/** Who made a commit, and when (git's author or committer). */
export const GitSignature = v.strictObject({ name: v.string(), email: v.string(), date: v.string() });

export const Commit = v.strictObject({
  oid: v.string(),
  parents: v.array(v.string()),
  author: GitSignature,
  committer: GitSignature,
  subject: v.string(),
  body: v.string(),
});

export const GitLogParams = v.strictObject({
  ...GitTarget,
  ref: v.optional(v.pipe(v.string(), v.minLength(1))),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)), 50),
});
export const GitLogResult = v.strictObject({ commits: v.array(Commit) });

export const GitBranchesParams = v.strictObject({ ...GitTarget });
export const GitBranchesResult = v.strictObject({
  current: v.nullable(v.string()),
  branches: v.array(v.strictObject({ name: v.string(), oid: v.string(), remote: v.boolean(), upstream: v.nullable(v.string()) })),
});

export const GitShowParams = v.strictObject({ ...GitTarget, ref: v.pipe(v.string(), v.minLength(1)) });
export const GitShowResult = v.strictObject({ commit: Commit, files: v.array(ChangedFile) });

export const GitDiffParams = v.strictObject({
  ...GitTarget,
  from: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Default: HEAD (then `to` is ignored and the work tree is compared)'))),
  to: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Default: the work tree'))),
  path: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Also return the unified diff text of this file'))),
});
export const GitDiffResult = v.strictObject({ files: v.array(ChangedFile), text: v.optional(v.string()) });
