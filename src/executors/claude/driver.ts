// Drives Claude Code's stream-json input with its control protocol: `initialize`, the prompt as a user message,
// `can_use_tool` permission requests answered through orchd's approvals, `interrupt` for a graceful stop. The turn
// is over at the `result` line; closing stdin then lets the CLI exit 0.
import { randomUUID } from 'node:crypto';
import type { ApprovalAnswer } from '../../../protocol/approvals.js';
import { parseObject } from '../../normalizers/common.js';
import type { AgentDriver, AgentHooks, AgentInput } from '../types.js';

type Json = Record<string, any>;

/** A one-line summary of a tool's input, for people deciding on it. */
export function claudeToolTitle(tool: string, input: Json): string {
  const pick = input.command ?? input.file_path ?? input.notebook_path ?? input.path ?? input.pattern ?? input.url ?? input.query ?? input.description;
  return typeof pick === 'string' ? `${tool}: ${pick}` : tool;
}

/** The control_response payload for an approval answer. */
export function permissionResponse(tool: string, input: Json, answer: ApprovalAnswer): Json {
  if (answer.decision === 'deny') return { behavior: 'deny', message: answer.reason ?? 'The user denied this tool use' };
  const allow: Json = { behavior: 'allow', updatedInput: input };
  // Also tell the CLI, so later calls in this process skip the question; orchd remembers it across turns itself.
  if (answer.decision === 'allowSession') allow.updatedPermissions = [{ type: 'addRules', rules: [{ toolName: tool }], behavior: 'allow', destination: 'session' }];
  return allow;
}

/**
 * Whether a stdout line can be one the driver acts on (`result`, `control_request`, `control_cancel_request`): its type's
 * text is in the line, or the line has a `\u` escape (a type written with escapes). Nearly every other line (assistant
 * and user messages) is parsed by the normalizer anyway; the driver parsing each of them again cost a second JSON.parse
 * per line on the hottest path.
 */
export function mayConcernDriver(line: string): boolean {
  return line.includes('result') || line.includes('control_') || line.includes('\\u');
}

export function createClaudeDriver(prompt: string, hooks: AgentHooks): AgentDriver {
  let input: AgentInput | null = null;
  const pending = new Map<string, AbortController>();
  let turnOver = false;

  const send = (message: Json) => input?.writeLine(JSON.stringify(message));
  const finish = () => {
    turnOver = true;
    for (const controller of pending.values()) controller.abort();
    input?.close();
  };

  const answer = (requestId: string, response: Json) => send({ type: 'control_response', response: { subtype: 'success', request_id: requestId, response } });
  const refuse = (requestId: string, error: string) => send({ type: 'control_response', response: { subtype: 'error', request_id: requestId, error } });

  const canUseTool = (requestId: string, request: Json) => {
    const tool: string = request.tool_name ?? 'unknown';
    const toolInput: Json = request.input ?? {};
    const controller = new AbortController();
    pending.set(requestId, controller);
    hooks
      .requestApproval(
        { tool, toolCallId: request.tool_use_id ?? null, input: toolInput, title: claudeToolTitle(tool, toolInput), options: ['allowOnce', 'allowSession', 'deny'] },
        controller.signal,
      )
      .then(
        (decision) => {
          if (pending.delete(requestId)) answer(requestId, permissionResponse(tool, toolInput, decision));
        },
        () => {
          // Stopping or withdrawn: deny and interrupt, so the agent does not wait for an answer that never comes.
          if (pending.delete(requestId) && !turnOver) answer(requestId, { behavior: 'deny', message: 'The run was stopped', interrupt: true });
        },
      );
  };

  return {
    start(io) {
      input = io;
      send({ type: 'control_request', request_id: `orchd-init-${randomUUID()}`, request: { subtype: 'initialize', hooks: null } });
      send({ type: 'user', session_id: '', message: { role: 'user', content: prompt }, parent_tool_use_id: null });
    },
    onStdoutLine(line) {
      if (!mayConcernDriver(line)) return;
      const message = parseObject(line);
      if (!message) return;
      if (message.type === 'result') return finish();
      if (message.type === 'control_cancel_request') {
        const controller = pending.get(message.request_id);
        pending.delete(message.request_id);
        controller?.abort();
        return;
      }
      if (message.type !== 'control_request') return;
      const request = message.request ?? {};
      if (request.subtype === 'can_use_tool') canUseTool(message.request_id, request);
      else refuse(message.request_id, `orchd does not handle control request \`${String(request.subtype)}\``);
    },
    interrupt() {
      if (!input || turnOver) return false;
      send({ type: 'control_request', request_id: `orchd-interrupt-${randomUUID()}`, request: { subtype: 'interrupt' } });
      // The CLI withdraws its open questions itself on interrupt: drop them without answering.
      const open = [...pending.values()];
      pending.clear();
      for (const controller of open) controller.abort();
      return true;
    },
  };
}
