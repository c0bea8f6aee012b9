// Sessions (one conversation with one agent executor in a workspace) and executions (one OS process each).
import * as v from 'valibot';
import { Id, Timestamp } from './common.js';
import { AgentCommand, ResolvedProfile } from './executors.js';
import { OutputCompaction } from './maintenance.js';

export const RUN_REASONS = ['setupScript', 'codingAgent', 'cleanupScript', 'archiveScript', 'devServer'] as const;
export const RunReason = v.picklist(RUN_REASONS);
export const EXECUTION_STATUSES = ['running', 'completed', 'failed', 'killed'] as const;
export const ExecutionStatus = v.picklist(EXECUTION_STATUSES);

export const ExecutionAction = v.variant('type', [
  v.strictObject({ type: v.literal('script'), kind: RunReason, name: v.string(), command: v.string(), repository: v.nullable(v.string()) }),
  v.strictObject({
    type: v.literal('agent'),
    executor: v.string(),
    prompt: v.string(),
    followUp: v.boolean(),
    resumeAgentSessionId: v.nullable(v.string()),
    fork: v.optional(v.pipe(v.boolean(), v.description('The resumed conversation was copied into a new agent session'))),
    resumeAt: v.optional(v.nullable(v.pipe(v.string(), v.description("The agent's own id of the message the conversation was resumed at (a reset or a fork as of a turn)")))),
  }),
]);

export const RepositoryHead = v.strictObject({ repositoryId: Id, oid: v.nullable(v.string()) });

export const Execution = v.strictObject({
  id: Id,
  workspaceId: Id,
  sessionId: v.nullable(Id),
  runReason: RunReason,
  status: ExecutionStatus,
  exitCode: v.nullable(v.number()),
  signal: v.nullable(v.string()),
  pid: v.nullable(v.number()),
  pgid: v.nullable(v.number()),
  action: ExecutionAction,
  headsBefore: v.array(RepositoryHead),
  headsAfter: v.nullable(v.array(RepositoryHead)),
  reason: v.pipe(v.nullable(v.string()), v.description('Why it failed or was killed, in words')),
  startedAt: Timestamp,
  endedAt: v.nullable(Timestamp),
});

export const SESSION_STATUSES = ['running', 'idle'] as const;

/** What a session's agent turns used in all: the sum of its `usage` entries. */
export const SessionUsage = v.strictObject({
  inputTokens: v.pipe(v.nullable(v.number()), v.description('Input tokens not read from a cache; null when no turn reported any')),
  outputTokens: v.pipe(v.nullable(v.number()), v.description('Output tokens; null when no turn reported any')),
  cachedTokens: v.pipe(v.nullable(v.number()), v.description('Input tokens read from a cache; null when no turn reported any')),
  costUsd: v.pipe(v.nullable(v.number()), v.description('Cost in USD; null when the agent reports no cost')),
});

export const Session = v.strictObject({
  id: Id,
  workspaceId: Id,
  executor: v.string(),
  agentSessionId: v.pipe(v.nullable(v.string()), v.description("The agent's own session id, used to resume it")),
  status: v.picklist(SESSION_STATUSES),
  queuedFollowUp: v.nullable(v.strictObject({ prompt: v.string(), queuedAt: Timestamp })),
  profile: v.pipe(ResolvedProfile, v.description('How the agent runs, for this session and its follow-ups')),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  usage: v.optional(
    v.pipe(
      v.nullable(SessionUsage),
      v.description('Token and cost totals of the session\'s agent turns (the sum of its `usage` entries, each counting only its own turn); filled in by `session/get`, absent elsewhere'),
    ),
  ),
});

const Prompt = v.pipe(v.string(), v.minLength(1), v.maxLength(1_000_000));

export const SessionStartParams = v.strictObject({
  workspaceId: Id,
  executor: v.optional(v.pipe(v.string(), v.minLength(1), v.description('An executor id from `executor/list`; required unless `profile` names one'))),
  profile: v.optional(v.pipe(v.string(), v.minLength(1), v.description("A profile name from the project's `settings.profiles`"))),
  model: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.description("Overrides the profile's model; must not start with `-`"))),
  permissionMode: v.optional(
    v.pipe(v.string(), v.minLength(1), v.maxLength(100), v.description("Overrides the profile's permission mode; one of the executor's `permissionModes` from `executor/list`")),
  ),
  command: v.optional(v.pipe(AgentCommand, v.description("For the `acp` executor: the agent's command line; overrides the profile's; the program must not start with `-`"))),
  forkFrom: v.optional(
    v.pipe(
      v.strictObject({ sessionId: Id, executionId: v.optional(v.pipe(Id, v.description('Fork as of the end of this agent execution of that session; default: its latest')))}),
      v.description("Start from a copy of another session's conversation (executors with the `fork` capability, same executor); the source session is not changed"),
    ),
  ),
  prompt: Prompt,
  skipSetup: v.optional(v.pipe(v.boolean(), v.description("Skip the project's setup scripts")), false),
});
export const SessionFollowUpParams = v.strictObject({
  sessionId: Id,
  prompt: Prompt,
  resetTo: v.optional(
    v.pipe(
      Id,
      v.description(
        'Continue from the end of this earlier agent execution of the session, dropping the later turns from the conversation (executors with the `reset` capability); pair with `workspace/reset` to roll the files back too',
      ),
    ),
  ),
});
export const SessionFollowUpResult = v.strictObject({
  queued: v.pipe(v.boolean(), v.description('True when the agent is still running and the prompt waits in the queue (replacing any queued one)')),
  session: Session,
  execution: v.nullable(Execution),
});
export const SessionQueueParams = v.strictObject({ sessionId: Id, cancel: v.optional(v.boolean(), false) });
export const SessionQueueResult = v.strictObject({ queuedFollowUp: v.nullable(v.strictObject({ prompt: v.string(), queuedAt: Timestamp })) });
export const SessionIdParams = v.strictObject({ sessionId: Id });
export const SessionListParams = v.optional(v.nullable(v.strictObject({ workspaceId: v.optional(Id) })));
export const SessionListResult = v.strictObject({ sessions: v.array(Session) });
export const SessionStartResult = v.strictObject({ session: Session });
/** The result of `session/get`. */
export const SessionResult = v.strictObject({ session: Session });
/** The result of `execution/get`. */
export const ExecutionResult = v.strictObject({ execution: Execution });
export const SessionStopResult = v.strictObject({ stopped: v.array(Id) });

export const ExecutionIdParams = v.strictObject({ executionId: Id });
export const ExecutionListParams = v.optional(v.nullable(v.strictObject({ workspaceId: v.optional(Id), sessionId: v.optional(Id), status: v.optional(v.array(ExecutionStatus)) })));
export const ExecutionListResult = v.strictObject({ executions: v.array(Execution) });
export const ExecutionStopResult = v.strictObject({ stopped: v.boolean(), execution: Execution });

export const LogChunk = v.strictObject({ seq: v.number(), stream: v.picklist(['stdout', 'stderr', 'stdin']), text: v.string(), at: Timestamp });
export const ExecutionLogsParams = v.strictObject({
  executionId: Id,
  sinceSeq: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000)), 1000),
});
export const ExecutionLogsResult = v.strictObject({
  chunks: v.array(LogChunk),
  nextSeq: v.number(),
  done: v.boolean(),
  compacted: v.optional(v.pipe(OutputCompaction, v.description("Present when retention dropped this execution's output (`maintenance/compact`): `chunks` is then empty; the entries derived from it are kept"))),
});

export const WorkspaceStopParams = v.strictObject({ workspaceId: Id, includeDevServers: v.optional(v.boolean(), false) });
export const WorkspaceRunScriptParams = v.strictObject({ workspaceId: Id, kind: v.picklist(['setupScript', 'cleanupScript', 'archiveScript', 'devServer']) });
export const WorkspaceRunScriptResult = v.strictObject({ executions: v.array(Execution) });
export const WorkspaceResetParams = v.strictObject({
  workspaceId: Id,
  toExecutionId: Id,
  force: v.optional(v.pipe(v.boolean(), v.description('Discard uncommitted changes, stopping a running session first')), false),
});
export const WorkspaceResetResult = v.strictObject({ heads: v.array(RepositoryHead) });
export const WorkspaceArchiveParams = v.strictObject({ workspaceId: Id, force: v.optional(v.pipe(v.boolean(), v.description('Stop a running session first, instead of refusing')), false) });

export type Execution = v.InferOutput<typeof Execution>;
export type ExecutionAction = v.InferOutput<typeof ExecutionAction>;
export type Session = v.InferOutput<typeof Session>;
export type SessionUsage = v.InferOutput<typeof SessionUsage>;
export type RunReason = v.InferOutput<typeof RunReason>;
export type ExecutionStatus = v.InferOutput<typeof ExecutionStatus>;
export type RepositoryHead = v.InferOutput<typeof RepositoryHead>;
export type LogChunk = v.InferOutput<typeof LogChunk>;
