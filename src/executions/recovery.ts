// Crash recovery: executions a dead orchd left marked `running` get their leftover process groups killed (only after
// proving the pid still belongs to that process) and are marked `killed` with the reason; their sessions go idle.
import type { Engine } from '../engine.js';
import { closePendingApprovals } from '../approvals/service.js';
import { transact } from '../events/unit-of-work.js';
import { executionFromRow, sessionFromRow } from './store.js';
import { reclaimLeftover } from '../supervisor/recovery.js';

/** Reconcile executions whose owner is gone. Returns the ids marked killed. */
export async function recoverExecutions(engine: Engine): Promise<string[]> {
  const rows = await engine.store.db.selectFrom('executions').selectAll().where('status', '=', 'running').execute();
  const recovered: string[] = [];
  for (const row of rows) {
    // Not ours when another live orchd on the same data directory owns it, or this daemon runs it.
    const reason = await reclaimLeftover(row, engine.running.has(row.id));
    if (reason === null) continue;
    await transact(engine, async (trx, emit) => {
      const updated = await trx
        .updateTable('executions')
        .set({ status: 'killed', reason, ended_at: new Date().toISOString() })
        .where('id', '=', row.id)
        .where('status', '=', 'running')
        .returningAll()
        .executeTakeFirst();
      if (!updated) return;
      const execution = executionFromRow(updated);
      const workspace = await trx.selectFrom('workspaces').select(['project_id', 'task_id']).where('id', '=', row.workspace_id).executeTakeFirst();
      const scope = { projectId: workspace?.project_id, taskId: workspace?.task_id, workspaceId: row.workspace_id, sessionId: row.session_id ?? undefined, executionId: row.id };
      emit('execution/exited', { execution }, scope);
      if (row.session_id) {
        const session = await trx.updateTable('sessions').set({ status: 'idle', updated_at: new Date().toISOString() }).where('id', '=', row.session_id).where('status', '=', 'running').returningAll().executeTakeFirst();
        if (session) emit('session/updated', { session: sessionFromRow(session) }, scope);
      }
    });
    engine.logger.warn('recovered execution', { executionId: row.id, reason });
    recovered.push(row.id);
  }
  // Sessions left `running` with nothing running (a crash between executions of a chain).
  const stale = await engine.store.db.selectFrom('sessions').selectAll().where('status', '=', 'running').execute();
  for (const session of stale) {
    if (engine.sessions.has(session.id)) continue;
    const live = await engine.store.db.selectFrom('executions').select('id').where('session_id', '=', session.id).where('status', '=', 'running').executeTakeFirst();
    if (live) continue;
    await transact(engine, async (trx, emit) => {
      const updated = await trx.updateTable('sessions').set({ status: 'idle', updated_at: new Date().toISOString() }).where('id', '=', session.id).returningAll().executeTakeFirstOrThrow();
      emit('session/updated', { session: sessionFromRow(updated) }, { workspaceId: session.workspace_id, sessionId: session.id });
    });
  }
  // Approvals nobody answered before the daemon died: their agents are gone, so they expire (with an event).
  const expired = await closePendingApprovals(engine, {}, 'expired', 'orchd stopped while this waited for an answer; the agent was stopped with it');
  if (expired) engine.logger.warn('expired pending approvals', { count: expired });
  return recovered;
}
