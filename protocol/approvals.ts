// Approvals: an agent asks permission to use a tool; orchd asks the host (or applies a rule, or a timeout policy)
// and answers the agent. Approvals are persisted, so every decision and who made it survives a restart.
import * as v from 'valibot';
import { Id, Timestamp } from './common.js';

export const APPROVAL_DECISIONS = ['allowOnce', 'allowSession', 'deny'] as const;
export const APPROVAL_STATUSES = ['pending', 'allowed', 'denied', 'expired', 'cancelled'] as const;

export const ApprovalDecision = v.picklist(APPROVAL_DECISIONS);

export const Approval = v.strictObject({
  id: Id,
  sessionId: Id,
  executionId: Id,
  tool: v.pipe(v.string(), v.description("The agent's own tool name, e.g. `Bash`, `Write`, `exec_command`")),
  toolCallId: v.nullable(v.pipe(v.string(), v.description('The tool call entry this approval belongs to (`toolCall.toolCallId`)'))),
  input: v.pipe(v.unknown(), v.description('What the tool would be called with')),
  title: v.nullable(v.pipe(v.string(), v.description('A one-line summary for people, e.g. the command line'))),
  options: v.pipe(v.array(ApprovalDecision), v.description('The decisions this agent can take')),
  status: v.picklist(APPROVAL_STATUSES),
  decision: v.nullable(ApprovalDecision),
  reason: v.nullable(v.pipe(v.string(), v.description('Why it was denied, expired or cancelled; passed to the agent on denial'))),
  decidedBy: v.nullable(v.pipe(v.string(), v.description('`client:<name>`, `rule:<description>`, `timeout`, `session` (allowed earlier for the session) or `orchd`'))),
  createdAt: Timestamp,
  resolvedAt: v.nullable(Timestamp),
});

export const ApprovalRequestParams = v.strictObject({ approval: Approval });
export const ApprovalAnswer = v.strictObject({
  decision: ApprovalDecision,
  reason: v.optional(v.pipe(v.string(), v.maxLength(2000), v.description('Told to the agent when it is denied'))),
});
export const ApprovalRequestResult = ApprovalAnswer;

export const ApprovalListParams = v.optional(
  v.nullable(v.strictObject({ sessionId: v.optional(Id), status: v.optional(v.array(v.picklist(APPROVAL_STATUSES))) })),
);
export const ApprovalListResult = v.strictObject({ approvals: v.array(Approval) });
export const ApprovalRespondParams = v.strictObject({ approvalId: Id, ...ApprovalAnswer.entries });
export const ApprovalRespondResult = v.strictObject({ approval: Approval });

const ToolPattern = v.pipe(v.string(), v.minLength(1), v.maxLength(500));
export const ApprovalRule = v.strictObject({
  tool: v.pipe(v.string(), v.minLength(1), v.description('Tool name, or `*` for any tool; matched case-insensitively')),
  pattern: v.optional(v.pipe(ToolPattern, v.description('A regular expression tested against the command line, path or JSON input'))),
  action: v.picklist(['allow', 'deny']),
  reason: v.optional(v.string()),
});

export const ApprovalPolicy = v.strictObject({
  rules: v.optional(v.pipe(v.array(ApprovalRule), v.description('Applied in order before anyone is asked; the first match decides')), []),
  defaultRules: v.optional(v.pipe(v.boolean(), v.description('Apply the built-in rules (deny recursive deletes outside the worktree) after these')), true),
  timeoutSeconds: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1))), null),
  onTimeout: v.optional(v.pipe(v.picklist(['deny', 'allow']), v.description('What happens after `timeoutSeconds` with no answer; no timeout waits for ever')), 'deny'),
});

export type Approval = v.InferOutput<typeof Approval>;
export type ApprovalDecision = v.InferOutput<typeof ApprovalDecision>;
export type ApprovalAnswer = v.InferOutput<typeof ApprovalAnswer>;
export type ApprovalRule = v.InferOutput<typeof ApprovalRule>;
export type ApprovalPolicy = v.InferOutput<typeof ApprovalPolicy>;
