// Workspaces: one git worktree per project repository, on its own branch, for one task.
import * as v from 'valibot';
import { Id, ProgressToken, Timestamp } from './common.js';

export const WORKSPACE_STATES = ['creating', 'active', 'merging', 'cleaning', 'archived'] as const;
export const WorkspaceState = v.picklist(WORKSPACE_STATES);

export const WorkspaceRepository = v.strictObject({
  repositoryId: Id,
  name: v.string(),
  path: v.pipe(v.string(), v.description("Absolute path of this repository's worktree")),
  sourcePath: v.pipe(v.string(), v.description('The main checkout the worktree belongs to')),
  branch: v.string(),
  baseBranch: v.string(),
  baseOid: v.pipe(v.string(), v.description('The base branch commit the workspace branch started from')),
});

export const Workspace = v.strictObject({
  id: Id,
  projectId: Id,
  taskId: Id,
  state: WorkspaceState,
  path: v.pipe(v.string(), v.description('The workspace directory holding one worktree per repository')),
  branch: v.pipe(v.string(), v.description('The branch name used in every repository')),
  repositories: v.array(WorkspaceRepository),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  mergedAt: v.nullable(Timestamp),
  archivedAt: v.nullable(Timestamp),
});

const RefName = v.pipe(v.string(), v.minLength(1), v.maxLength(255));

export const WorkspaceCreateParams = v.strictObject({
  taskId: Id,
  baseBranch: v.optional(v.pipe(RefName, v.description("The branch to start from in every repository; default: each repository's current branch"))),
  progressToken: ProgressToken,
});

export const WorkspaceListParams = v.optional(
  v.nullable(
    v.strictObject({
      projectId: v.optional(Id),
      taskId: v.optional(Id),
      states: v.optional(v.array(WorkspaceState)),
    }),
  ),
);
export const WorkspaceListResult = v.strictObject({ workspaces: v.array(Workspace) });
export const WorkspaceGetParams = v.strictObject({ workspaceId: Id });

export const WorkspaceDeleteParams = v.strictObject({
  workspaceId: Id,
  force: v.optional(v.pipe(v.boolean(), v.description('Remove even when uncommitted changes would be lost, stopping a running session first')), false),
  deleteBranches: v.optional(v.pipe(v.boolean(), v.description("Also delete the workspace's branches")), false),
});
export const WorkspaceDeleteResult = v.strictObject({ ok: v.literal(true) });
/** The result of `workspace/create`, `workspace/get` and `workspace/archive`. */
export const WorkspaceResult = v.strictObject({ workspace: Workspace });

export const ChangedFile = v.strictObject({
  path: v.string(),
  oldPath: v.optional(v.string()),
  status: v.picklist(['added', 'modified', 'deleted', 'renamed', 'copied', 'typeChanged']),
  additions: v.number(),
  deletions: v.number(),
  binary: v.boolean(),
});

export const DiffStats = v.strictObject({ files: v.number(), additions: v.number(), deletions: v.number() });

export const WorkspaceDiffParams = v.strictObject({
  workspaceId: Id,
  against: v.optional(
    v.pipe(
      v.picklist(['base', 'head']),
      v.description('`base`: everything since the workspace forked from its base branch, committed or not; `head`: uncommitted changes only'),
    ),
    'base',
  ),
  repositoryId: v.optional(Id),
  path: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Also return the unified diff text of this one file'))),
});

export const RepositoryDiff = v.strictObject({
  repositoryId: Id,
  name: v.string(),
  files: v.array(ChangedFile),
  stats: DiffStats,
  text: v.optional(v.string()),
});

export const WorkspaceDiffResult = v.strictObject({ repositories: v.array(RepositoryDiff), stats: DiffStats });

export const WorkspaceCommitParams = v.strictObject({
  workspaceId: Id,
  message: v.pipe(v.string(), v.trim(), v.minLength(1)),
});
/** One repository's commit by `workspace/commit` or auto-commit: `oid` is null where the repository had nothing to commit. */
export const RepositoryCommit = v.strictObject({ repositoryId: Id, oid: v.nullable(v.string()) });

export const WorkspaceCommitResult = v.strictObject({
  commits: v.array(RepositoryCommit),
});

export const RepositoryConflicts = v.strictObject({ repositoryId: Id, name: v.string(), files: v.array(v.string()) });

/** The `force` of operations refused while a session runs in the workspace. */
const StopRunningFirst = v.optional(v.pipe(v.boolean(), v.description('Stop a session or process running in the workspace first, instead of refusing')), false);

export const WorkspaceMergeParams = v.strictObject({
  workspaceId: Id,
  strategy: v.optional(v.picklist(['merge', 'squash', 'rebase']), 'merge'),
  message: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1))),
  force: StopRunningFirst,
  progressToken: ProgressToken,
});
/** One repository's branch merged into its base branch: the base branch's new tip; `upToDate` when the base branch already contained the branch. */
export const MergedRepository = v.strictObject({ repositoryId: Id, baseBranch: v.string(), oid: v.string(), upToDate: v.boolean() });

export const WorkspaceMergeResult = v.variant('merged', [
  v.strictObject({ merged: v.literal(true), repositories: v.array(MergedRepository) }),
  v.strictObject({ merged: v.literal(false), conflicts: v.array(RepositoryConflicts) }),
]);

export const WorkspaceRebaseParams = v.strictObject({
  workspaceId: Id,
  onto: v.optional(v.pipe(RefName, v.description("The branch to rebase onto; default: each repository's base branch"))),
  force: StopRunningFirst,
  progressToken: ProgressToken,
});
/** One repository's branch rebased: its new HEAD. */
export const RebasedRepository = v.strictObject({ repositoryId: Id, oid: v.string() });

export const WorkspaceRebaseResult = v.variant('rebased', [
  v.strictObject({ rebased: v.literal(true), repositories: v.array(RebasedRepository) }),
  v.strictObject({ rebased: v.literal(false), conflicts: v.array(RepositoryConflicts) }),
]);

export const WorkspaceDiskUsageParams = v.strictObject({ workspaceId: Id });
export const WorkspaceDiskUsageResult = v.strictObject({
  bytes: v.number(),
  repositories: v.array(v.strictObject({ repositoryId: Id, bytes: v.number(), files: v.number() })),
});

export type Workspace = v.InferOutput<typeof Workspace>;
export type WorkspaceRepository = v.InferOutput<typeof WorkspaceRepository>;
export type WorkspaceState = v.InferOutput<typeof WorkspaceState>;
export type ChangedFile = v.InferOutput<typeof ChangedFile>;
export type WorkspaceDiffResult = v.InferOutput<typeof WorkspaceDiffResult>;
export type WorkspaceMergeResult = v.InferOutput<typeof WorkspaceMergeResult>;
export type WorkspaceRebaseResult = v.InferOutput<typeof WorkspaceRebaseResult>;
export type RepositoryConflicts = v.InferOutput<typeof RepositoryConflicts>;
