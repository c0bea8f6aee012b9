// The driver for one turn of `codex app-server`: newline-delimited JSON-RPC over the process's stdin and stdout.
// It initializes, starts (or resumes) a thread, starts one turn with the prompt, answers the server's approval
// requests through orchd's approvals, and closes stdin when the turn is over, so the server exits 0.
// Everything it writes goes through AgentInput and lands in the raw log, where the normalizer reads it back.
import type { ApprovalAnswer, ApprovalDecision } from '../../protocol/approvals.js';
import { parseObject } from '../normalizers/common.js';
import type { AgentDriver, AgentHooks, AgentInput, AgentTurnRequest, ApprovalAsk } from './types.js';

/** Codex's approval policies (`AskForApproval` in 0.169; `on-failure` was removed and is read as `on-request`). */
export const CODEX_APPROVAL_POLICIES = ['untrusted', 'on-request', 'never'] as const;
export type CodexApprovalPolicy = (typeof CODEX_APPROVAL_POLICIES)[number];

/** How orchd's decisions are said to Codex (v2 `CommandExecutionApprovalDecision` / `FileChangeApprovalDecision`). */
const DECISIONS: Record<ApprovalDecision, 'accept' | 'acceptForSession' | 'decline'> = {
  allowOnce: 'accept',
  allowSession: 'acceptForSession',
  deny: 'decline',
};

const APPROVAL_OPTIONS: ApprovalDecision[] = ['allowOnce', 'allowSession', 'deny'];

/** JSON-RPC "method not found", the answer to server requests orchd does not handle. */
const METHOD_NOT_FOUND = -32601;

export interface CodexDriverOptions {
  request: AgentTurnRequest;
  hooks: AgentHooks;
  /** orchd's version, sent as `clientInfo.version`. */
  clientVersion: string;
}

type Json = Record<string, any>;
type Phase = 'created' | 'initializing' | 'startingThread' | 'startingTurn' | 'inTurn' | 'done';

/** The approval policy for a profile's permission mode: Codex's own values pass, anything else is `untrusted`. */
export function codexApprovalPolicy(permissionMode: string | null, warn?: AgentHooks['warn']): CodexApprovalPolicy {
  if (permissionMode === null || permissionMode === '') return 'untrusted';
  if ((CODEX_APPROVAL_POLICIES as readonly string[]).includes(permissionMode)) return permissionMode as CodexApprovalPolicy;
  if (permissionMode === 'on-failure') {
    warn?.('Codex no longer has the `on-failure` approval policy; using `on-request`', { permissionMode });
    return 'on-request';
  }
  warn?.(`Expected \`permissionMode\` to be one of ${CODEX_APPROVAL_POLICIES.map((p) => `\`${p}\``).join(', ')}, got \`${permissionMode}\`; using \`untrusted\``, { permissionMode });
  return 'untrusted';
}

/** A driver for one `codex app-server` process and one turn. */
export function createCodexAppServerDriver(options: CodexDriverOptions): AgentDriver {
  const { request, hooks } = options;
  let input: AgentInput | null = null;
  let phase: Phase = 'created';
  let nextRequestId = 1;
  const pending = new Map<number, string>(); // orchd's request id → method
  let threadId: string | null = null;
  let turnId: string | null = null;
  let interruptRequested = false;
  let interruptSent = false;
  const openApprovals = new Map<string, AbortController>(); // server request id → its unanswered approval
  const fileChanges = new Map<string, unknown>(); // fileChange item id → its changes, for approval prompts

  function write(message: Json): void {
    input?.writeLine(JSON.stringify(message));
  }

  function send(method: string, params: unknown): number {
    const id = nextRequestId++;
    pending.set(id, method);
    write({ id, method, params });
    return id;
  }

  /** Drop every unanswered approval without answering it (the server withdrew it, or can no longer take it). */
  function withdrawApprovals(): void {
    const open = [...openApprovals.values()];
    openApprovals.clear();
    for (const controller of open) controller.abort();
  }

  function finish(): void {
    if (phase === 'done') return;
    phase = 'done';
    withdrawApprovals();
    input?.close();
  }

  function startThread(): void {
    phase = 'startingThread';
    const approvalPolicy = codexApprovalPolicy(request.profile.permissionMode, hooks.warn);
    const model = request.profile.model ? { model: request.profile.model } : {};
    if (request.resumeAgentSessionId) {
      send('thread/resume', { threadId: request.resumeAgentSessionId, cwd: request.cwd, approvalPolicy, sandbox: 'workspace-write', excludeTurns: true, ...model });
    } else {
      send('thread/start', { cwd: request.cwd, approvalPolicy, sandbox: 'workspace-write', ...model });
    }
  }

  function startTurn(): void {
    phase = 'startingTurn';
    send('turn/start', { threadId, input: [{ type: 'text', text: request.prompt }] });
  }

  function sendInterrupt(): void {
    if (interruptSent || threadId === null || turnId === null) return;
    interruptSent = true;
    send('turn/interrupt', { threadId, turnId });
  }

  function learnTurn(id: unknown): void {
    if (typeof id !== 'string' || turnId !== null) return;
    turnId = id;
    if (phase === 'startingTurn') phase = 'inTurn';
    if (interruptRequested) sendInterrupt();
  }

  function onResponse(message: Json): void {
    if (typeof message.id !== 'number') return;
    const method = pending.get(message.id);
    if (method === undefined) return;
    pending.delete(message.id);
    if (message.error !== undefined) {
      // The normalizer turns the error reply into an error entry; the turn cannot go on, so let the process exit.
      if (method !== 'turn/interrupt') hooks.warn(`Codex rejected \`${method}\``, { error: message.error });
      finish();
      return;
    }
    const result: Json = message.result ?? {};
    switch (method) {
      case 'initialize':
        write({ method: 'initialized' });
        startThread();
        return;
      case 'thread/start':
      case 'thread/resume':
        threadId = typeof result.thread?.id === 'string' ? result.thread.id : request.resumeAgentSessionId;
        if (threadId === null) finish();
        else startTurn();
        return;
      case 'turn/start':
        learnTurn(result.turn?.id);
        return;
      default:
        return;
    }
  }

  function onNotification(method: string, params: Json): void {
    switch (method) {
      case 'turn/started':
        learnTurn(params.turn?.id);
        return;
      case 'turn/completed':
        if (threadId !== null && params.threadId !== undefined && params.threadId !== threadId) return;
        if (turnId !== null && params.turn?.id !== undefined && params.turn.id !== turnId) return;
        finish();
        return;
      case 'serverRequest/resolved': {
        // Answered, or withdrawn by the server (e.g. the turn was interrupted): stop asking.
        const key = requestKey(params.requestId);
        const controller = openApprovals.get(key);
        openApprovals.delete(key);
        controller?.abort();
        return;
      }
      case 'item/started':
      case 'item/completed':
        if (params.item?.type === 'fileChange') fileChanges.set(params.item.id, params.item.changes);
        return;
      case 'item/fileChange/patchUpdated':
        fileChanges.set(params.itemId, params.changes);
        return;
      default:
        return;
    }
  }

  function approvalAsk(method: string, params: Json): ApprovalAsk | null {
    if (method === 'item/commandExecution/requestApproval') {
      const command = typeof params.command === 'string' ? params.command : null;
      return { tool: 'exec_command', toolCallId: params.itemId ?? null, input: params, title: command, options: APPROVAL_OPTIONS };
    }
    if (method === 'item/fileChange/requestApproval') {
      const changes = fileChanges.get(params.itemId);
      const paths = Array.isArray(changes) ? changes.map((change: Json) => String(change?.path ?? '')).filter(Boolean) : [];
      const title = paths.length > 0 ? `Edit ${paths.join(', ')}` : (params.reason ?? 'Apply a patch');
      return { tool: 'fileChange', toolCallId: params.itemId ?? null, input: changes === undefined ? params : { ...params, changes }, title, options: APPROVAL_OPTIONS };
    }
    return null;
  }

  function onServerRequest(message: Json): void {
    const method = String(message.method);
    const ask = approvalAsk(method, message.params ?? {});
    if (ask === null) {
      hooks.warn(`Codex sent a request orchd does not handle: \`${method}\``, { method });
      write({ id: message.id, error: { code: METHOD_NOT_FOUND, message: `orchd does not handle \`${method}\`` } });
      return;
    }
    const key = requestKey(message.id);
    const controller = new AbortController();
    openApprovals.set(key, controller);
    const answer = (decision: string) => {
      // Only the first word counts, and nothing is said to a server that withdrew the question or is shutting down.
      if (!openApprovals.delete(key) || phase === 'done' || interruptRequested) return;
      write({ id: message.id, result: { decision } });
    };
    let asked: Promise<ApprovalAnswer>;
    try {
      asked = hooks.requestApproval(ask, controller.signal);
    } catch (error) {
      asked = Promise.reject(error);
    }
    asked.then(
      (reply) => answer(DECISIONS[reply.decision] ?? 'decline'),
      () => answer('cancel'), // the execution is being stopped: `cancel` ends the turn as interrupted
    );
  }

  return {
    start(agentInput) {
      input = agentInput;
      if (phase === 'done') {
        agentInput.close(); // stopped before it spawned
        return;
      }
      phase = 'initializing';
      send('initialize', { clientInfo: { name: 'orchd', title: 'orchd', version: options.clientVersion }, capabilities: null });
    },
    onStdoutLine(line) {
      if (phase === 'done') return; // stdin is closed: nothing more can be said
      const message = parseObject(line);
      if (message === null) return;
      if (typeof message.method === 'string') {
        if (message.id !== undefined && message.id !== null) onServerRequest(message);
        else onNotification(message.method, message.params ?? {});
      } else if ('result' in message || 'error' in message) {
        onResponse(message);
      }
    },
    interrupt() {
      interruptRequested = true;
      if (input === null || phase === 'done') {
        phase = 'done'; // not spawned yet, or stdin already closed: nothing to say, signals do the rest
        return false;
      }
      // The server withdraws its open questions itself on interrupt: drop them without answering.
      withdrawApprovals();
      if (turnId !== null) sendInterrupt();
      // No turn yet: nothing to interrupt, so let the process exit. While `turn/start` is in flight, the interrupt
      // goes out as soon as its reply (or `turn/started`) names the turn.
      else if (phase !== 'startingTurn') finish();
      return true;
    },
  };
}

function requestKey(id: unknown): string {
  return typeof id === 'string' ? `s:${id}` : `n:${String(id)}`;
}
