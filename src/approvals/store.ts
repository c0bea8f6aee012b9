// Approval rows ↔ protocol objects. Only this module and the approvals service touch the approvals tables.
import type { Approval, ApprovalDecision } from '../../protocol/approvals.js';
import type { ApprovalsTable } from '../store/schema.js';

export function approvalFromRow(row: ApprovalsTable): Approval {
  return {
    id: row.id,
    sessionId: row.session_id,
    executionId: row.execution_id,
    tool: row.tool,
    toolCallId: row.tool_call_id,
    input: JSON.parse(row.input) as unknown,
    title: row.title,
    options: JSON.parse(row.options) as ApprovalDecision[],
    status: row.status as Approval['status'],
    decision: row.decision as ApprovalDecision | null,
    reason: row.reason,
    decidedBy: row.decided_by,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}
