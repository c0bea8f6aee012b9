// Rows <-> Execution and Session entities.
import type { Kysely } from 'kysely';
import type { Execution, ExecutionAction, ExecutionStatus, RepositoryHead, RunReason, Session } from '../../protocol/execution.js';
import { maskResolvedProfile, type StoredProfile } from '../executors/secrets.js';
import type { Database, ExecutionsTable, SessionsTable } from '../store/schema.js';

/** The wire entity for an execution row. */
export function executionFromRow(row: ExecutionsTable): Execution {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    sessionId: row.session_id,
    runReason: row.run_reason as RunReason,
    status: row.status as ExecutionStatus,
    exitCode: row.exit_code,
    signal: row.signal,
    pid: row.pid,
    pgid: row.pgid,
    action: JSON.parse(row.action) as ExecutionAction,
    headsBefore: JSON.parse(row.heads_before) as RepositoryHead[],
    headsAfter: row.heads_after === null ? null : (JSON.parse(row.heads_after) as RepositoryHead[]),
    reason: row.reason,
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}

/** The session's resolved profile with its real `env` values and references (resolved at each agent turn). */
function profileFromRow(row: Pick<SessionsTable, 'profile'>): StoredProfile {
  return { name: null, model: null, permissionMode: null, extraArgs: [], env: {}, command: null, ...(row.profile ? (JSON.parse(row.profile) as Partial<StoredProfile>) : {}) };
}

/** The wire entity for a session row; profile `env` values are shown as `***` (see `loadSessionProfile`). */
export function sessionFromRow(row: SessionsTable): Session {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    executor: row.executor,
    agentSessionId: row.agent_session_id,
    status: row.status as Session['status'],
    queuedFollowUp: row.queued_prompt === null ? null : { prompt: row.queued_prompt, queuedAt: row.queued_at ?? row.updated_at },
    profile: maskResolvedProfile(profileFromRow(row)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** One execution, or undefined. */
export async function loadExecution(db: Kysely<Database>, executionId: string): Promise<Execution | undefined> {
  const row = await db.selectFrom('executions').selectAll().where('id', '=', executionId).executeTakeFirst();
  return row ? executionFromRow(row) : undefined;
}

/** Executions matching the filter, oldest first. */
export async function loadExecutions(db: Kysely<Database>, filter: { workspaceId?: string | undefined; sessionId?: string | undefined; status?: readonly string[] | undefined }): Promise<Execution[]> {
  let query = db.selectFrom('executions').selectAll();
  if (filter.workspaceId) query = query.where('workspace_id', '=', filter.workspaceId);
  if (filter.sessionId) query = query.where('session_id', '=', filter.sessionId);
  if (filter.status?.length) query = query.where('status', 'in', [...filter.status]);
  const rows = await query.orderBy('started_at').orderBy('id').execute();
  return rows.map(executionFromRow);
}

/** A session's profile with the real `env` values (and references to resolve), for running its agent; undefined when
 * there is no such session. */
export async function loadSessionProfile(db: Kysely<Database>, sessionId: string): Promise<StoredProfile | undefined> {
  const row = await db.selectFrom('sessions').select('profile').where('id', '=', sessionId).executeTakeFirst();
  return row ? profileFromRow(row) : undefined;
}

/** One session, or undefined. */
export async function loadSession(db: Kysely<Database>, sessionId: string): Promise<Session | undefined> {
  const row = await db.selectFrom('sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
  return row ? sessionFromRow(row) : undefined;
}

/** Sessions, oldest first, optionally of one workspace. */
export async function loadSessions(db: Kysely<Database>, workspaceId?: string): Promise<Session[]> {
  let query = db.selectFrom('sessions').selectAll();
  if (workspaceId) query = query.where('workspace_id', '=', workspaceId);
  return (await query.orderBy('created_at').orderBy('id').execute()).map(sessionFromRow);
}
