// The event log on the wire: one envelope, a table of event kinds with their data, and the subscription methods.
import * as v from 'valibot';
import { Id, Seq, Timestamp } from './common.js';
import { Project } from './project.js';
import { Task, TaskStatus } from './task.js';
import { MergedRepository, RebasedRepository, RepositoryCommit, RepositoryConflicts, Workspace, WorkspaceState } from './workspace.js';
import { Execution, Session } from './execution.js';
import { NormalizedEntry } from './entries.js';
import { Approval } from './approvals.js';
import { OutputCompaction } from './maintenance.js';
import { Terminal, TerminalTrim } from './terminal.js';
import { ConfigProblem } from './config.js';

/** Every kind of event, with the schema of its `data` and what it means. Past tense: something happened. */
export const EVENT_KINDS = {
  'project/created': { data: v.strictObject({ project: Project }), summary: 'A project was created' },
  'project/updated': { data: v.strictObject({ project: Project }), summary: "A project's name, repositories, scripts or settings changed" },
  'project/deleted': { data: v.strictObject({ projectId: Id }), summary: 'A project and its tasks were deleted' },
  'task/created': { data: v.strictObject({ task: Task }), summary: 'A task was created' },
  'task/updated': {
    data: v.strictObject({ task: Task, previousStatus: v.optional(TaskStatus) }),
    summary: "A task's title, description or status changed; `previousStatus` is set when the status moved",
  },
  'task/deleted': { data: v.strictObject({ taskId: Id, projectId: Id }), summary: 'A task was deleted' },
  'workspace/created': { data: v.strictObject({ workspace: Workspace }), summary: 'A workspace row was created (state `creating`); its worktrees follow' },
  'workspace/updated': {
    data: v.strictObject({ workspace: Workspace, previousState: v.optional(WorkspaceState) }),
    summary: "A workspace's state or base changed; `previousState` is set when the state moved",
  },
  'workspace/deleted': {
    data: v.strictObject({ workspaceId: Id, taskId: Id, projectId: Id, reason: v.string() }),
    summary: "A workspace and its worktrees were removed (`reason`: `requested`, `taskDeleted`, `projectDeleted`, `createFailed`, `reconciled`)",
  },
  'workspace/committed': {
    data: v.strictObject({ workspaceId: Id, commits: v.array(RepositoryCommit), message: v.string() }),
    summary: "The workspace's changes were committed (`oid` null where a repository had nothing to commit)",
  },
  'workspace/merged': {
    data: v.strictObject({
      workspaceId: Id,
      strategy: v.picklist(['merge', 'squash', 'rebase']),
      repositories: v.array(MergedRepository),
    }),
    summary: "The workspace's branches were merged into their base branches",
  },
  'workspace/mergeConflicted': {
    data: v.strictObject({ workspaceId: Id, strategy: v.picklist(['merge', 'squash', 'rebase']), conflicts: v.array(RepositoryConflicts) }),
    summary: 'A merge was refused because it would conflict; nothing was changed',
  },
  'workspace/rebased': {
    data: v.strictObject({ workspaceId: Id, repositories: v.array(RebasedRepository) }),
    summary: "The workspace's branches were rebased",
  },
  'session/started': { data: v.strictObject({ session: Session }), summary: 'A session was created and its first action chain started' },
  'session/updated': {
    data: v.strictObject({ session: Session }),
    summary: "A session's status, agent session id or queued follow-up changed",
  },
  'execution/started': { data: v.strictObject({ execution: Execution }), summary: 'A process started (a script, the agent, a dev server)' },
  'execution/output': {
    data: v.strictObject({ executionId: Id, seq: v.number(), stream: v.picklist(['stdout', 'stderr', 'stdin']), text: v.string() }),
    summary: "A chunk of a process's raw log, UTF-8, in order (`seq` counts chunks per execution across streams; `stdin` is what orchd wrote to an agent)",
  },
  'session/entryUpserted': {
    data: v.strictObject({ sessionId: Id, entry: NormalizedEntry }),
    summary: 'A normalized conversation entry was created or updated (upsert by `entry.id`); written with the output it came from',
  },
  'approval/requested': { data: v.strictObject({ approval: Approval }), summary: 'An agent asked permission to use a tool; answer with `approval/respond`' },
  'approval/resolved': { data: v.strictObject({ approval: Approval }), summary: 'An approval was allowed, denied, expired or cancelled, and by whom' },
  'execution/exited': { data: v.strictObject({ execution: Execution }), summary: 'A process ended: completed, failed or killed, with exit code and HEADs after' },
  notification: {
    data: v.strictObject({
      level: v.picklist(['info', 'warning', 'error']),
      title: v.string(),
      body: v.string(),
      sessionId: v.optional(Id),
    }),
    summary: 'Something a host should show a person: an agent finished, a setup script failed',
  },
  'workspace/reconciled': {
    data: v.strictObject({ workspaceId: v.nullable(Id), action: v.string(), detail: v.string() }),
    summary: 'Start-up reconciliation repaired something: a vanished worktree, an orphan directory, a stale registration',
  },
  'terminal/created': { data: v.strictObject({ terminal: Terminal }), summary: 'A terminal started in a workspace' },
  'terminal/output': {
    data: v.strictObject({ terminalId: Id, seq: v.pipe(v.number(), v.integer(), v.minValue(1), v.description('The chunk number, per terminal')), data: v.string() }),
    summary: "What a terminal's program wrote, as UTF-8 text with its escape sequences; coalesced: at most one event per terminal every 16 ms, or sooner once 64 KB wait",
  },
  'terminal/updated': { data: v.strictObject({ terminal: Terminal }), summary: 'A terminal was resized' },
  'terminal/exited': { data: v.strictObject({ terminal: Terminal }), summary: "A terminal's program ended (exit code, signal, and the reason when orchd ended it)" },
  'config/changed': {
    data: v.strictObject({
      scope: v.picklist(['user', 'repository', 'project']),
      projectId: v.optional(Id),
      file: v.nullable(v.string()),
      problem: v.optional(v.pipe(ConfigProblem, v.description('Set when the changed file is invalid: orchd keeps its last good content'))),
    }),
    summary: "A configuration layer changed (a file edited on disk, or `config/update`); new sessions use the new effective configuration. Read it with `config/get`",
  },
  'terminal/trimmed': {
    data: TerminalTrim,
    summary:
      "A tombstone: a terminal's output passed its scrollback bound and its oldest chunks were dropped from the log (a screen snapshot stands in for them in `terminal/output`); not emitted live",
  },
  'events/compacted': {
    data: OutputCompaction,
    summary:
      "A tombstone: retention dropped an execution's raw output (`maintenance/compact`); it stands at the seq of the first dropped event, and the seqs of the others (up to `toSeq`) are gone from the log. Not emitted live: it replaces events already in the log",
  },
} as const;

export type EventKind = keyof typeof EVENT_KINDS;
export type EventData<K extends EventKind> = v.InferOutput<(typeof EVENT_KINDS)[K]['data']>;

/** The scope columns an event may carry; subscriptions filter on them. */
export const EVENT_SCOPES = ['projectId', 'taskId', 'workspaceId', 'sessionId', 'executionId'] as const;

export const Event = v.strictObject({
  seq: Seq,
  kind: v.string(),
  at: Timestamp,
  projectId: v.optional(Id),
  taskId: v.optional(Id),
  workspaceId: v.optional(Id),
  sessionId: v.optional(Id),
  executionId: v.optional(Id),
  data: v.pipe(v.unknown(), v.description('Shaped by `kind`; see the event kinds table')),
});

const KindPattern = v.pipe(
  v.string(),
  v.regex(/^[a-zA-Z$][\w$]*(\/[a-zA-Z][\w]*)*(\/\*)?$/),
  v.description('An event kind (`task/updated`) or a prefix ending in `/*` (`task/*`)'),
);

export const EventFilter = v.strictObject({
  kinds: v.optional(v.pipe(v.array(KindPattern), v.minLength(1))),
  projectId: v.optional(Id),
  taskId: v.optional(Id),
  workspaceId: v.optional(Id),
  sessionId: v.optional(Id),
  executionId: v.optional(Id),
});

export const EventsSubscribeParams = v.strictObject({
  filter: v.optional(EventFilter, {}),
  sinceSeq: v.optional(
    v.pipe(Seq, v.description('Deliver events with a greater seq from the log first, then live ones; omit for live events only')),
  ),
});

export const EventsSubscribeResult = v.strictObject({
  subscriptionId: Id,
  currentSeq: v.pipe(Seq, v.description('The newest seq when the subscription started; catch-up ends there')),
});

export const EventsUnsubscribeParams = v.strictObject({ subscriptionId: Id });
export const EventsUnsubscribeResult = v.strictObject({ ok: v.literal(true) });

export const EventNotification = v.strictObject({
  subscriptionId: Id,
  event: Event,
});

export type Event = v.InferOutput<typeof Event>;
export type EventFilter = v.InferOutput<typeof EventFilter>;
