// Approvals: persist the question, apply session grants and rules, ask hosts, enforce the timeout policy, and
// answer the agent. Every outcome is an `approval/resolved` event with who decided; restarts expire what was pending.
import type { Approval, ApprovalAnswer, ApprovalDecision, ApprovalPolicy } from '../../protocol/approvals.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import type { EventScope } from '../events/log.js';
import { transact } from '../events/unit-of-work.js';
import type { ApprovalAsk } from '../executors/types.js';
import { newId } from '../util/ids.js';
import { applyRules } from './rules.js';
import { approvalFromRow } from './store.js';

export interface ApprovalContext {
  sessionId: string;
  executionId: string;
  /** The agent's working directory: the built-in rules judge paths against it. */
  cwd: string;
  policy: ApprovalPolicy;
  scope: EventScope;
}

type Resolution = { status: 'allowed' | 'denied' | 'expired' | 'cancelled'; decision: ApprovalDecision | null; reason: string | null; decidedBy: string };

/** Ask for permission on behalf of an agent; resolves with the answer, rejects when cancelled or expired unanswered. */
export async function requestApproval(engine: Engine, context: ApprovalContext, ask: ApprovalAsk, signal?: AbortSignal): Promise<ApprovalAnswer> {
  if (signal?.aborted) throw new Error('the approval was withdrawn');
  const grant = await engine.store.db.selectFrom('session_grants').select('approval_id').where('session_id', '=', context.sessionId).where('tool', '=', ask.tool).executeTakeFirst();
  const verdict = grant ? null : applyRules(ask, context.policy.rules, { defaultRules: context.policy.defaultRules, cwd: context.cwd });
  const decided: Resolution | null = grant
    ? { status: 'allowed', decision: 'allowOnce', reason: `\`${ask.tool}\` was allowed for this session`, decidedBy: 'session' }
    : verdict
      ? { status: verdict.action === 'allow' ? 'allowed' : 'denied', decision: verdict.action === 'allow' ? 'allowOnce' : 'deny', reason: verdict.reason, decidedBy: verdict.rule }
      : null;

  const approval = await transact(engine, async (trx, emit) => {
    const now = new Date().toISOString();
    const row = await trx
      .insertInto('approvals')
      .values({
        id: newId('apr'),
        session_id: context.sessionId,
        execution_id: context.executionId,
        tool: ask.tool,
        tool_call_id: ask.toolCallId,
        input: JSON.stringify(ask.input ?? null),
        title: ask.title,
        options: JSON.stringify(ask.options),
        status: decided?.status ?? 'pending',
        decision: decided?.decision ?? null,
        reason: decided?.reason ?? null,
        decided_by: decided?.decidedBy ?? null,
        created_at: now,
        resolved_at: decided ? now : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const approval = approvalFromRow(row);
    emit(decided ? 'approval/resolved' : 'approval/requested', { approval }, context.scope);
    return approval;
  });
  if (decided) {
    engine.logger.info('approval decided without asking', { approvalId: approval.id, tool: ask.tool, decidedBy: decided.decidedBy });
    return { decision: decided.decision!, ...(decided.reason ? { reason: decided.reason } : {}) };
  }

  const answer = engine.approvals.wait(approval);
  const cleanups: (() => void)[] = [];
  if (context.policy.timeoutSeconds !== null) {
    const timer = setTimeout(() => {
      const onTimeout = context.policy.onTimeout;
      const reason = `No answer within ${context.policy.timeoutSeconds} s; the project's policy ${onTimeout === 'allow' ? 'allows' : 'denies'} it`;
      void resolveApproval(engine, approval.id, { status: onTimeout === 'allow' ? 'allowed' : 'denied', decision: onTimeout === 'allow' ? 'allowOnce' : 'deny', reason, decidedBy: 'timeout' }).catch(
        (error) => engine.logger.warn('could not apply the approval timeout', { approvalId: approval.id, error }),
      );
    }, context.policy.timeoutSeconds * 1000);
    timer.unref();
    cleanups.push(() => clearTimeout(timer));
  }
  if (signal) {
    const onAbort = () =>
      void resolveApproval(engine, approval.id, { status: 'cancelled', decision: null, reason: 'The agent withdrew the question or the run was stopped', decidedBy: 'orchd' }).catch(() => {});
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));
  }
  try {
    return await answer;
  } finally {
    for (const cleanup of cleanups) cleanup();
  }
}

/** Persist a resolution of a pending approval and deliver it; invalidState when it is no longer pending. */
async function resolveApproval(engine: Engine, approvalId: string, resolution: Resolution): Promise<Approval> {
  const approval = await transact(engine, async (trx, emit) => {
    const row = await trx
      .updateTable('approvals')
      .set({ status: resolution.status, decision: resolution.decision, reason: resolution.reason, decided_by: resolution.decidedBy, resolved_at: new Date().toISOString() })
      .where('id', '=', approvalId)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      const existing = await trx.selectFrom('approvals').select('status').where('id', '=', approvalId).executeTakeFirst();
      if (!existing) throw OrchdError.notFound('approval', approvalId);
      throw OrchdError.invalidState(`Expected approval \`${approvalId}\` to be pending, got \`${existing.status}\``, { approvalId, status: existing.status });
    }
    if (resolution.decision === 'allowSession') {
      await trx
        .insertInto('session_grants')
        .values({ session_id: row.session_id, tool: row.tool, approval_id: row.id, granted_at: new Date().toISOString() })
        .onConflict((c) => c.columns(['session_id', 'tool']).doNothing())
        .execute();
    }
    const approval = approvalFromRow(row);
    const scope = await trx
      .selectFrom('executions')
      .innerJoin('workspaces', 'workspaces.id', 'executions.workspace_id')
      .select(['workspaces.project_id', 'workspaces.task_id', 'executions.workspace_id'])
      .where('executions.id', '=', row.execution_id)
      .executeTakeFirst();
    emit('approval/resolved', { approval }, { projectId: scope?.project_id, taskId: scope?.task_id, workspaceId: scope?.workspace_id, sessionId: row.session_id, executionId: row.execution_id });
    return approval;
  });
  if (resolution.status === 'allowed' || resolution.status === 'denied') {
    engine.approvals.resolve(approvalId, { decision: resolution.decision!, ...(resolution.reason ? { reason: resolution.reason } : {}) });
  } else {
    engine.approvals.reject(approvalId, new Error(`approval ${resolution.status}: ${resolution.reason}`));
  }
  return approval;
}

/** A host's (or a person's) answer. */
export function respondToApproval(engine: Engine, params: { approvalId: string; decision: ApprovalDecision; reason?: string | undefined }, decidedBy: string): Promise<Approval> {
  const status = params.decision === 'deny' ? 'denied' : 'allowed';
  return resolveApproval(engine, params.approvalId, { status, decision: params.decision, reason: params.reason ?? null, decidedBy });
}

/** Approvals, oldest first. */
export async function listApprovals(engine: Engine, filter: { sessionId?: string | undefined; status?: readonly string[] | undefined }): Promise<Approval[]> {
  let query = engine.store.db.selectFrom('approvals').selectAll().orderBy('created_at').orderBy('id');
  if (filter.sessionId) query = query.where('session_id', '=', filter.sessionId);
  if (filter.status?.length) query = query.where('status', 'in', filter.status);
  return (await query.execute()).map(approvalFromRow);
}

/** Pending approvals of one execution (its process ended) or of a dead daemon (at start-up) become expired/cancelled. */
export async function closePendingApprovals(engine: Engine, filter: { executionId?: string }, status: 'expired' | 'cancelled', reason: string): Promise<number> {
  let query = engine.store.db.selectFrom('approvals').select(['id', 'execution_id']).where('status', '=', 'pending');
  if (filter.executionId) query = query.where('execution_id', '=', filter.executionId);
  const rows = await query.execute();
  let closed = 0;
  for (const row of rows) {
    if (!filter.executionId) {
      if (engine.approvals.has(row.id)) continue; // live in this process
      // Its execution still runs: another live orchd on this data directory is asking (recovery marks a dead one's
      // executions killed before this runs), e.g. an `orchd run` waiting for its person while `orchd ls` starts.
      const execution = await engine.store.db.selectFrom('executions').select('status').where('id', '=', row.execution_id).executeTakeFirst();
      if (execution?.status === 'running') continue;
    }
    await resolveApproval(engine, row.id, { status, decision: null, reason, decidedBy: 'orchd' }).catch(() => {});
    closed++;
  }
  return closed;
}
