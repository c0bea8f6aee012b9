// The one table of methods and notifications: name -> direction, params schema, result schema, what it emits.
// Adding a method: declare its schemas in protocol/<domain>.ts, add a row here, add its handler in
// src/server/handlers/<domain>.ts, test it, then `npm run generate` to refresh schema.json and docs/protocol.md.
import * as v from 'valibot';
import type { ErrorKind } from './errors.js';
import { NoParams, Ok } from './common.js';
import {
  EventNotification,
  EventsSubscribeParams,
  EventsSubscribeResult,
  EventsUnsubscribeParams,
  EventsUnsubscribeResult,
  type EventKind,
} from './events.js';
import { CancelParams, InitializeParams, InitializeResult, ProgressParams } from './lifecycle.js';
import {
  ProjectResult,
  ProjectCreateParams,
  ProjectDeleteParams,
  ProjectDeleteResult,
  ProjectGetParams,
  ProjectListParams,
  ProjectListResult,
  ProjectUpdateParams,
} from './project.js';
import {
  GitBranchesParams,
  GitBranchesResult,
  GitDiffParams,
  GitDiffResult,
  GitLogParams,
  GitLogResult,
  GitShowParams,
  GitShowResult,
  GitStatusParams,
  GitStatusResult,
} from './git.js';
import {
  WorkspaceResult,
  WorkspaceCommitParams,
  WorkspaceCommitResult,
  WorkspaceCreateParams,
  WorkspaceDeleteParams,
  WorkspaceDeleteResult,
  WorkspaceDiffParams,
  WorkspaceDiffResult,
  WorkspaceDiskUsageParams,
  WorkspaceDiskUsageResult,
  WorkspaceGetParams,
  WorkspaceListParams,
  WorkspaceListResult,
  WorkspaceMergeParams,
  WorkspaceMergeResult,
  WorkspaceRebaseParams,
  WorkspaceRebaseResult,
} from './workspace.js';
import {
  ExecutionResult,
  ExecutionIdParams,
  ExecutionListParams,
  ExecutionListResult,
  ExecutionLogsParams,
  ExecutionLogsResult,
  ExecutionStopResult,
  SessionResult,
  SessionFollowUpParams,
  SessionFollowUpResult,
  SessionIdParams,
  SessionListParams,
  SessionListResult,
  SessionQueueParams,
  SessionQueueResult,
  SessionStartParams,
  SessionStartResult,
  SessionStopResult,
  WorkspaceArchiveParams,
  WorkspaceResetParams,
  WorkspaceResetResult,
  WorkspaceRunScriptParams,
  WorkspaceRunScriptResult,
  WorkspaceStopParams,
} from './execution.js';
import { SessionEntriesParams, SessionEntriesResult } from './entries.js';
import { ApprovalListParams, ApprovalListResult, ApprovalRequestParams, ApprovalRequestResult, ApprovalRespondParams, ApprovalRespondResult } from './approvals.js';
import { ExecutorListParams, ExecutorListResult } from './executors.js';
import { MaintenanceCompactParams, MaintenanceCompactResult } from './maintenance.js';
import {
  TerminalCreateParams,
  TerminalGetParams,
  TerminalInputParams,
  TerminalInputResult,
  TerminalKillParams,
  TerminalListParams,
  TerminalListResult,
  TerminalOutputParams,
  TerminalOutputResult,
  TerminalResizeParams,
  TerminalResult,
} from './terminal.js';
import {
  FsChangedNotification,
  FsDeleteParams,
  FsFindFilesParams,
  FsFindFilesResult,
  FsListParams,
  FsListResult,
  FsMkdirParams,
  FsMoveParams,
  FsPathParams,
  FsReadParams,
  FsReadResult,
  FsSearchParams,
  FsSearchResult,
  FsStatResult,
  FsUnwatchParams,
  FsWatchEndedNotification,
  FsWatchParams,
  FsWatchResult,
  FsWriteParams,
  FsWriteResult,
  WorkspaceDiffChangedNotification,
} from './fs.js';
import { ConfigGetParams, ConfigGetResult, ConfigUpdateParams } from './config.js';
import { DaemonPingParams, DaemonPingResult, DaemonStatusParams, DaemonStatusResult, DaemonStopParams } from './daemon.js';
import { TaskResult, TaskCreateParams, TaskDeleteParams, TaskDeleteResult, TaskGetParams, TaskListParams, TaskListResult, TaskUpdateParams } from './task.js';

type AnySchema = v.GenericSchema;

export type Direction = 'clientToServer' | 'serverToClient';

export interface RequestSpec<P extends AnySchema = AnySchema, R extends AnySchema = AnySchema, D extends Direction = Direction> {
  readonly type: 'request';
  readonly direction: D;
  readonly params: P;
  readonly result: R;
  readonly summary: string;
  readonly emits: readonly EventKind[];
  readonly errors: readonly ErrorKind[];
  /** Allowed before `initialize` completes. */
  readonly beforeInitialize?: boolean;
  /** Changes nothing, so a read-only connection may call it (service mode's read-only tokens); the rest are `forbidden` there. */
  readonly readOnly?: boolean;
}

export interface NotificationSpec<P extends AnySchema = AnySchema, D extends Direction = Direction> {
  readonly type: 'notification';
  readonly direction: D;
  readonly params: P;
  readonly summary: string;
}

function request<P extends AnySchema, R extends AnySchema, D extends Direction = 'clientToServer'>(
  spec: Omit<RequestSpec<P, R, D>, 'type' | 'direction' | 'emits' | 'errors'> & { direction?: D; emits?: readonly EventKind[]; errors?: readonly ErrorKind[] },
): RequestSpec<P, R, D> {
  return { type: 'request', direction: 'clientToServer' as D, emits: [], errors: [], ...spec };
}

function notification<P extends AnySchema, D extends Direction>(spec: Omit<NotificationSpec<P, D>, 'type'>): NotificationSpec<P, D> {
  return { type: 'notification', ...spec };
}

export const METHODS = {
  initialize: request({
    readOnly: true,
    params: InitializeParams,
    result: InitializeResult,
    summary: 'Negotiate the protocol version and capabilities, and open the data directory. Must be the first request',
    errors: ['alreadyInitialized', 'protocolVersionUnsupported', 'dataDirUnavailable'],
    beforeInitialize: true,
  }),
  initialized: notification({ direction: 'clientToServer', params: NoParams, summary: 'The client has processed the `initialize` result' }),
  shutdown: request({
    readOnly: true,
    params: NoParams,
    result: v.null(),
    summary:
      "End this connection's session: after it only `exit` is accepted. From the owner (the host that spawned `orchd --stdio`, see `daemon/status`) it also stops everything orchd started and closes the database; from any other connection it drops that connection's subscriptions and approval requests and leaves the daemon running",
    beforeInitialize: true,
  }),
  exit: notification({ direction: 'clientToServer', params: NoParams, summary: 'Exit the process: code 0 after `shutdown`, 1 without it' }),
  '$/cancelRequest': notification({ direction: 'clientToServer', params: CancelParams, summary: 'Cancel a request in flight; its handler sees an aborted signal and the request fails with `cancelled`' }),
  '$/progress': notification({ direction: 'serverToClient', params: ProgressParams, summary: 'Progress of a long request that carried a `progressToken`' }),

  'project/create': request({
    params: ProjectCreateParams,
    result: ProjectResult,
    summary: 'Create a project from one or more git repositories',
    emits: ['project/created'],
    errors: ['pathNotFound', 'notAGitRepository', 'alreadyExists'],
  }),
  'project/list': request({ readOnly: true, params: ProjectListParams, result: ProjectListResult, summary: 'List projects, oldest first' }),
  'project/get': request({ readOnly: true, params: ProjectGetParams, result: ProjectResult, summary: 'Get one project', errors: ['notFound'] }),
  'project/update': request({
    params: ProjectUpdateParams,
    result: ProjectResult,
    summary: "Change a project's name, repositories, scripts, copied files or settings; omitted fields keep their value",
    emits: ['project/updated'],
    errors: ['notFound', 'pathNotFound', 'notAGitRepository', 'alreadyExists', 'invalidState'],
  }),
  'project/delete': request({
    params: ProjectDeleteParams,
    result: ProjectDeleteResult,
    summary:
      "Delete a project, its tasks and its workspaces (each as `workspace/delete` does: processes stopped, worktrees removed, with `deleteBranches` branches too). Refused, before anything is removed, while a session runs or uncommitted changes would be lost, unless `force`. The main checkouts are not touched",
    emits: ['workspace/updated', 'workspace/deleted', 'task/deleted', 'project/deleted'],
    errors: ['notFound', 'invalidState', 'dirtyWorkingTree'],
  }),

  'task/create': request({ params: TaskCreateParams, result: TaskResult, summary: 'Create a task in `todo`', emits: ['task/created'], errors: ['notFound'] }),
  'task/list': request({ readOnly: true, params: TaskListParams, result: TaskListResult, summary: 'List tasks, oldest first, optionally for one project and some statuses', errors: ['notFound'] }),
  'task/get': request({ readOnly: true, params: TaskGetParams, result: TaskResult, summary: 'Get one task', errors: ['notFound'] }),
  'task/update': request({
    params: TaskUpdateParams,
    result: TaskResult,
    summary: "Change a task's title, description or status (see the status machine); omitted fields keep their value",
    emits: ['task/updated'],
    errors: ['notFound', 'invalidTransition'],
  }),
  'task/delete': request({
    params: TaskDeleteParams,
    result: TaskDeleteResult,
    summary:
      'Delete a task and its workspaces (each as `workspace/delete` does). Refused, before anything is removed, while a session runs or uncommitted changes would be lost, unless `force`',
    emits: ['workspace/updated', 'workspace/deleted', 'task/deleted'],
    errors: ['notFound', 'invalidState', 'dirtyWorkingTree'],
  }),

  'workspace/create': request({
    params: WorkspaceCreateParams,
    result: WorkspaceResult,
    summary: "Create a workspace for a task: one worktree per project repository on a new branch `<prefix>/<short-id>-<slug>`, with the project's copied files; moves the task to `inProgress`",
    emits: ['workspace/created', 'workspace/updated', 'task/updated'],
    errors: ['notFound', 'branchNotFound', 'invalidRef', 'invalidState', 'lockHeld', 'cancelled'],
  }),
  'workspace/list': request({ readOnly: true, params: WorkspaceListParams, result: WorkspaceListResult, summary: 'List workspaces, oldest first, optionally by project, task and state' }),
  'workspace/get': request({ readOnly: true, params: WorkspaceGetParams, result: WorkspaceResult, summary: 'Get one workspace', errors: ['notFound'] }),
  'workspace/delete': request({
    params: WorkspaceDeleteParams,
    result: WorkspaceDeleteResult,
    summary:
      "Stop the workspace's dev servers and remove its worktrees (and with `deleteBranches` its branches); refused while a session runs in it or when uncommitted changes would be lost, unless `force` (which stops the session first)",
    emits: ['workspace/updated', 'workspace/deleted'],
    errors: ['notFound', 'invalidState', 'dirtyWorkingTree'],
  }),
  'workspace/diff': request({
    readOnly: true,
    params: WorkspaceDiffParams,
    result: WorkspaceDiffResult,
    summary: 'Changed files with per-file and total line counts, against the fork point (`base`) or HEAD (`head`); with `path`, the unified text of that file',
    errors: ['notFound'],
  }),
  'workspace/commit': request({
    params: WorkspaceCommitParams,
    result: WorkspaceCommitResult,
    summary: 'Commit every change (untracked files included) in each repository of the workspace',
    emits: ['workspace/committed'],
    errors: ['notFound'],
  }),
  'workspace/merge': request({
    params: WorkspaceMergeParams,
    result: WorkspaceMergeResult,
    summary:
      "Merge the workspace's branches into their base branches (`merge`: a merge commit; `squash`: one commit; `rebase`: rebase then fast-forward). Conflicts are a typed result and change nothing; the main checkout is updated only when it is on the base branch and clean. Refused while a session runs in the workspace unless `force` (which stops it first)",
    emits: ['workspace/updated', 'workspace/merged', 'workspace/mergeConflicted', 'task/updated'],
    errors: ['notFound', 'dirtyWorkingTree', 'invalidState', 'cancelled'],
  }),
  'workspace/rebase': request({
    params: WorkspaceRebaseParams,
    result: WorkspaceRebaseResult,
    summary:
      "Rebase the workspace's branches onto their base branches (or `onto`); conflicts are aborted and returned as a typed result. Refused while a session runs in the workspace unless `force` (which stops it first)",
    emits: ['workspace/rebased', 'workspace/updated'],
    errors: ['notFound', 'invalidState', 'dirtyWorkingTree', 'branchNotFound', 'cancelled'],
  }),
  'workspace/diskUsage': request({ readOnly: true, params: WorkspaceDiskUsageParams, result: WorkspaceDiskUsageResult, summary: "Bytes and files on disk in each of the workspace's worktrees", errors: ['notFound'] }),

  'workspace/stop': request({
    params: WorkspaceStopParams,
    result: SessionStopResult,
    summary: "Stop every running process of the workspace (dev servers only with `includeDevServers`)",
    emits: ['execution/exited', 'session/updated'],
    errors: ['notFound'],
  }),
  'workspace/runScript': request({
    params: WorkspaceRunScriptParams,
    result: WorkspaceRunScriptResult,
    summary: "Run the project's scripts of one kind in the workspace now (setup and cleanup in order, a dev server beside everything else)",
    emits: ['execution/started', 'execution/output', 'execution/exited'],
    errors: ['notFound', 'invalidState'],
  }),
  'workspace/reset': request({
    params: WorkspaceResetParams,
    result: WorkspaceResetResult,
    summary: 'Restore every worktree to the HEAD it had before an execution (undo a turn); refused while a session or process runs, or with uncommitted changes, unless `force` (which stops it first)',
    emits: ['workspace/updated'],
    errors: ['notFound', 'invalidState', 'dirtyWorkingTree'],
  }),
  'workspace/archive': request({
    params: WorkspaceArchiveParams,
    result: WorkspaceResult,
    summary:
      "Stop the workspace's dev servers, run the archive scripts, and mark it `archived` (its worktrees stay on disk until `workspace/delete`); refused while a session runs in it unless `force` (which stops it first)",
    emits: ['execution/started', 'execution/exited', 'workspace/updated'],
    errors: ['notFound', 'invalidState'],
  }),

  'session/start': request({
    params: SessionStartParams,
    result: SessionStartResult,
    summary: "Start a session in a workspace: the project's setup scripts, then the agent with the prompt, then auto-commit and the cleanup scripts",
    emits: ['session/started', 'execution/started', 'execution/output', 'session/entryUpserted', 'approval/requested', 'execution/exited', 'workspace/committed', 'task/updated', 'notification'],
    errors: ['notFound', 'invalidState', 'invalidConfig'],
  }),
  'session/followUp': request({
    params: SessionFollowUpParams,
    result: SessionFollowUpResult,
    summary: 'Send the agent another prompt, resuming its session; queued (replacing any queued prompt) while the agent still runs',
    emits: ['session/updated', 'execution/started'],
    errors: ['notFound'],
  }),
  'session/queue': request({ params: SessionQueueParams, result: SessionQueueResult, summary: 'Read the queued follow-up; with `cancel`, drop it', emits: ['session/updated'], errors: ['notFound'] }),
  'session/stop': request({
    params: SessionIdParams,
    result: SessionStopResult,
    summary: "Stop the session's running processes (interrupt, then SIGINT, SIGTERM, SIGKILL over each process group) and its action chain",
    emits: ['execution/exited', 'session/updated'],
    errors: ['notFound'],
  }),
  'session/entries': request({
    readOnly: true,
    params: SessionEntriesParams,
    result: SessionEntriesResult,
    summary: "The conversation as normalized entries (messages, thinking, tool calls with their status and output, usage, errors), derived from the agent executions' raw output; unknown lines are kept as `raw` entries",
    errors: ['notFound'],
  }),
  'session/list': request({ readOnly: true, params: SessionListParams, result: SessionListResult, summary: 'List sessions, oldest first' }),
  'session/get': request({ readOnly: true, params: SessionIdParams, result: SessionResult, summary: "One session, with its token and cost totals (`usage`: the sum of its per-turn usage entries)", errors: ['notFound'] }),
  'execution/list': request({ readOnly: true, params: ExecutionListParams, result: ExecutionListResult, summary: 'List executions, oldest first' }),
  'execution/get': request({ readOnly: true, params: ExecutionIdParams, result: ExecutionResult, summary: 'Get one execution', errors: ['notFound'] }),
  'execution/stop': request({ params: ExecutionIdParams, result: ExecutionStopResult, summary: 'Stop one running process (and its process group)', emits: ['execution/exited'], errors: ['notFound'] }),
  'execution/logs': request({
    readOnly: true,
    params: ExecutionLogsParams,
    result: ExecutionLogsResult,
    summary: "Read a process's output chunks after `sinceSeq` (the same chunks `execution/output` events carry); `done` once it has exited and everything was read",
    errors: ['notFound'],
  }),

  'executor/list': request({ readOnly: true, params: ExecutorListParams, result: ExecutorListResult, summary: 'Every executor orchd knows: whether its CLI is installed, its version, how it is driven and what it can do' }),

  'approval/request': request({
    direction: 'serverToClient',
    params: ApprovalRequestParams,
    result: ApprovalRequestResult,
    summary: 'Sent to clients that declared `capabilities.approvals`: an agent asks to use a tool. Answer with a decision; the first answer from any client wins',
  }),
  'approval/list': request({ readOnly: true, params: ApprovalListParams, result: ApprovalListResult, summary: 'Approvals, oldest first, optionally for one session and some statuses (e.g. `pending`)' }),
  'approval/respond': request({
    params: ApprovalRespondParams,
    result: ApprovalRespondResult,
    summary: 'Answer a pending approval: allow once, allow the tool for the rest of the session, or deny with a reason',
    emits: ['approval/resolved'],
    errors: ['notFound', 'invalidState'],
  }),

  'git/status': request({ readOnly: true, params: GitStatusParams, result: GitStatusResult, summary: "Parsed `git status` of a workspace's worktree or a project repository", errors: ['notFound', 'invalidState'] }),
  'git/log': request({ readOnly: true, params: GitLogParams, result: GitLogResult, summary: 'Recent commits, newest first', errors: ['notFound', 'branchNotFound', 'invalidRef'] }),
  'git/branches': request({ readOnly: true, params: GitBranchesParams, result: GitBranchesResult, summary: 'Local and remote-tracking branches', errors: ['notFound'] }),
  'git/show': request({ readOnly: true, params: GitShowParams, result: GitShowResult, summary: 'One commit with its changed files', errors: ['notFound', 'branchNotFound', 'invalidRef'] }),
  'git/diff': request({ readOnly: true, params: GitDiffParams, result: GitDiffResult, summary: 'Changed files between two revisions, or a revision and the work tree', errors: ['notFound', 'branchNotFound', 'invalidRef'] }),

  'maintenance/compact': request({
    params: MaintenanceCompactParams,
    result: MaintenanceCompactResult,
    summary:
      "Apply each project's `retention`: drop the raw output (`execution/output` events) of finished executions whose session is idle, keeping their normalized entries and leaving one `events/compacted` tombstone per execution in place of the first dropped event; then return the freed pages to the file system (incremental vacuum). With `dryRun`, only report what would be dropped",
    errors: ['notFound'],
  }),

  'terminal/create': request({
    params: TerminalCreateParams,
    result: TerminalResult,
    summary: "Start a program (default: the user's login shell) in a pseudo-terminal in the workspace; its output follows as `terminal/output` events",
    emits: ['terminal/created'],
    errors: ['notFound', 'invalidState', 'pathOutsideWorkspace', 'pathNotFound'],
  }),
  'terminal/input': request({
    params: TerminalInputParams,
    result: TerminalInputResult,
    summary: 'Type into a terminal (UTF-8; large pastes are written in 64 KB pieces without holding up the daemon)',
    errors: ['notFound', 'invalidState'],
  }),
  'terminal/resize': request({ params: TerminalResizeParams, result: TerminalResult, summary: "Change a terminal's size (the program gets SIGWINCH)", emits: ['terminal/updated'], errors: ['notFound', 'invalidState'] }),
  'terminal/kill': request({
    params: TerminalKillParams,
    result: TerminalResult,
    summary: 'Send a signal to a terminal, or without one stop it (its whole process group, escalating) and wait until it has exited',
    emits: ['terminal/exited'],
    errors: ['notFound'],
  }),
  'terminal/list': request({ readOnly: true, params: TerminalListParams, result: TerminalListResult, summary: 'Terminals, oldest first, optionally of one workspace or one status' }),
  'terminal/get': request({ readOnly: true, params: TerminalGetParams, result: TerminalResult, summary: 'One terminal', errors: ['notFound'] }),
  'terminal/output': request({
    readOnly: true,
    params: TerminalOutputParams,
    result: TerminalOutputResult,
    summary: "A terminal's scrollback after `sinceSeq`: what to write to an emulator to draw its current screen (after a `reset`) or catch up; live `terminal/output` events continue after `toSeq`",
    errors: ['notFound'],
  }),

  'fs/read': request({
    readOnly: true,
    params: FsReadParams,
    result: FsReadResult,
    summary: 'Read a file of a worktree: its content (UTF-8, or base64 for binary files), size, mtime and hash (for a later conflict-safe `fs/write`)',
    errors: ['notFound', 'pathOutsideWorkspace', 'pathNotFound', 'notADirectory', 'fileTooLarge', 'invalidState'],
  }),
  'fs/write': request({
    params: FsWriteParams,
    result: FsWriteResult,
    summary: 'Write a file atomically (temporary file, then rename; the mode is kept). With `expectedHash`, refuse with `conflict` when the file changed since it was read',
    errors: ['notFound', 'pathOutsideWorkspace', 'pathNotFound', 'notADirectory', 'conflict', 'invalidState'],
  }),
  'fs/list': request({
    readOnly: true,
    params: FsListParams,
    result: FsListResult,
    summary: 'List a directory of a worktree (to `depth`), without what .gitignore excludes unless asked',
    errors: ['notFound', 'pathOutsideWorkspace', 'pathNotFound', 'notADirectory', 'invalidState'],
  }),
  'fs/stat': request({ readOnly: true, params: FsPathParams, result: FsStatResult, summary: 'Type, size, mtime and mode of one path', errors: ['notFound', 'pathOutsideWorkspace', 'pathNotFound'] }),
  'fs/mkdir': request({ params: FsMkdirParams, result: FsStatResult, summary: 'Create a directory (and its parents unless `recursive: false`)', errors: ['notFound', 'pathOutsideWorkspace', 'pathNotFound', 'notADirectory', 'alreadyExists', 'invalidState'] }),
  'fs/move': request({
    params: FsMoveParams,
    result: FsStatResult,
    summary: 'Rename a file, directory or symlink (never what it points to) inside one worktree',
    errors: ['notFound', 'pathOutsideWorkspace', 'pathNotFound', 'notADirectory', 'alreadyExists', 'invalidState'],
  }),
  'fs/delete': request({
    params: FsDeleteParams,
    result: Ok,
    summary: 'Delete a file, a symlink (never what it points to), or a directory (`recursive` for a non-empty one)',
    errors: ['notFound', 'pathOutsideWorkspace', 'pathNotFound', 'invalidState'],
  }),
  'fs/search': request({
    readOnly: true,
    params: FsSearchParams,
    result: FsSearchResult,
    summary: "Search file contents with git's own grep (tracked and untracked files, ignore rules respected); cancellable, and with a `progressToken` matches stream as `partial` progress",
    errors: ['notFound', 'invalidParams', 'pathNotFound', 'cancelled'],
  }),
  'fs/findFiles': request({
    readOnly: true,
    params: FsFindFilesParams,
    result: FsFindFilesResult,
    summary: 'Fuzzy file-name search over tracked and untracked files that git does not ignore, best first; cancellable, and with a `progressToken` the best files so far come as `partial` progress on big trees',
    errors: ['notFound', 'pathNotFound', 'cancelled'],
  }),
  'fs/watch': request({
    readOnly: true,
    params: FsWatchParams,
    result: FsWatchResult,
    summary: "Watch a workspace's worktrees: `fs/changed` notifications (coalesced, at most one per 50 ms), and `workspace/diffChanged` as its diff moves. The watch ends with the connection or the workspace",
    errors: ['notFound', 'invalidState'],
  }),
  'fs/unwatch': request({ readOnly: true, params: FsUnwatchParams, result: Ok, summary: 'End a watch', errors: ['notFound'] }),
  'fs/changed': notification({ direction: 'serverToClient', params: FsChangedNotification, summary: 'Files changed in a watched workspace (sent only to the connection that owns the watch; not in the event log)' }),
  'fs/watchEnded': notification({ direction: 'serverToClient', params: FsWatchEndedNotification, summary: 'A watch ended without `fs/unwatch`: its workspace was deleted or archived, or its watcher failed' }),
  'workspace/diffChanged': notification({
    direction: 'serverToClient',
    params: WorkspaceDiffChangedNotification,
    summary: "A watched workspace's diff against its base changed (debounced); sent to connections watching it with `diff`",
  }),

  'config/get': request({
    readOnly: true,
    params: ConfigGetParams,
    result: ConfigGetResult,
    summary: 'The effective configuration (of one project, or without one the user level), the layer every value came from, and the state of every layer',
    errors: ['notFound'],
  }),
  'config/update': request({
    params: ConfigUpdateParams,
    result: ConfigGetResult,
    summary: "Apply a JSON merge patch to the user's file (written atomically) or to a project's settings, then return the new effective configuration",
    emits: ['config/changed', 'project/updated'],
    errors: ['notFound', 'invalidConfig', 'invalidParams'],
  }),

  'daemon/ping': request({
    readOnly: true,
    params: DaemonPingParams,
    result: DaemonPingResult,
    summary: 'Liveness: answers at once, touching neither the database nor git (for supervisors and health checks)',
  }),
  'daemon/status': request({
    readOnly: true,
    params: DaemonStatusParams,
    result: DaemonStatusResult,
    summary: 'The daemon as a diagnostics panel sees it: version, uptime, data directory, newest seq, database size, owned processes, RSS, and every connection with its client, traffic, send queue and subscriptions',
  }),
  'daemon/stop': request({
    params: DaemonStopParams,
    result: v.null(),
    summary:
      'Stop the daemon for every client: reply, then stop everything it started, close the database and exit with code 0. A connection that is not the owner ends only itself with `shutdown`; this is how it stops the daemon',
  }),

  'events/subscribe': request({
    readOnly: true,
    params: EventsSubscribeParams,
    result: EventsSubscribeResult,
    summary: 'Subscribe to the event log: events after `sinceSeq` from the log, then live events, in order, with no gap and no duplicate',
    errors: ['invalidState'],
  }),
  'events/unsubscribe': request({ readOnly: true, params: EventsUnsubscribeParams, result: EventsUnsubscribeResult, summary: 'End a subscription', errors: ['notFound'] }),
  'events/event': notification({ direction: 'serverToClient', params: EventNotification, summary: 'One event for one subscription, in seq order' }),
} as const;

export type Methods = typeof METHODS;
export type MethodName = keyof Methods;
export type ClientRequestName = {
  [K in MethodName]: Methods[K] extends RequestSpec<AnySchema, AnySchema, 'clientToServer'> ? K : never;
}[MethodName];
export type ClientNotificationName = {
  [K in MethodName]: Methods[K] extends NotificationSpec<AnySchema, 'clientToServer'> ? K : never;
}[MethodName];
export type ParamsOf<K extends MethodName> = v.InferOutput<Methods[K]['params']>;
export type ResultOf<K extends ClientRequestName> = v.InferInput<Methods[K]['result']>;
