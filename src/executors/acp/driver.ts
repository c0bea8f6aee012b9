// A generic ACP (Agent Client Protocol) client for one agent turn, built on @agentclientprotocol/sdk (stable v1).
// The engine owns the process's pipes, so the SDK's ndjson stream is bridged to them: stdout lines are fed into a Web
// ReadableStream and the SDK's writes are split into lines for `input.writeLine` (which records them as `stdin`).
//
// Sequence: initialize → session/new, or for a follow-up session/resume (when advertised) or session/load (when
// advertised; the replayed history is left to drain before the prompt so it stays before the prompt line in the raw
// log) → session/prompt → close stdin when the prompt's result arrives. Permission requests go to the approval hooks
// and are answered by option kind, never by option id (ids differ per agent). Client methods orchd does not offer
// (fs/*, terminal/*, vendor requests) get "method not found".
import * as acp from '@agentclientprotocol/sdk';
import type { ApprovalDecision } from '../../../protocol/approvals.js';
import { acpErrorText, acpToolInput, acpToolName } from '../../normalizers/acp.js';
import { packageInfo } from '../../util/package-info.js';
import type { AgentDriver, AgentHooks, AgentInput } from '../types.js';

export interface AcpDriverOptions {
  cwd: string;
  prompt: string;
  /** The agent's session to continue, for follow-ups. */
  resumeSessionId: string | null;
  hooks: AgentHooks;
  /** Runs right before `session/load` (Gemini waits out the clock minute its session file is named after). Aborted
   * when the turn is interrupted. */
  beforeLoad?: (sessionId: string, signal: AbortSignal) => Promise<void>;
  /** After `session/load`, wait until stdout has been quiet this long before sending the prompt (default 200 ms): Gemini
   * keeps streaming the replayed history after it has answered the load. */
  replayQuietMs?: number;
  /** … but never longer than this (default 5 s). */
  replayMaxWaitMs?: number;
}

type PermissionOutcome = acp.RequestPermissionResponse['outcome'];

const OPTION_KINDS: Record<ApprovalDecision, acp.PermissionOptionKind[]> = {
  allowOnce: ['allow_once', 'allow_always'],
  allowSession: ['allow_always', 'allow_once'],
  deny: ['reject_once', 'reject_always'],
};

/** The decisions a set of ACP permission options lets orchd take. Deny is always possible (as a cancellation). */
export function approvalOptions(options: readonly acp.PermissionOption[]): ApprovalDecision[] {
  const kinds = new Set(options.map((o) => o.kind));
  const decisions: ApprovalDecision[] = [];
  if (kinds.has('allow_once')) decisions.push('allowOnce');
  if (kinds.has('allow_always')) decisions.push('allowSession');
  decisions.push('deny');
  return decisions;
}

/** The answer to a permission request for a decision: the offered option of the matching kind. */
export function permissionOutcome(options: readonly acp.PermissionOption[], decision: ApprovalDecision): PermissionOutcome {
  for (const kind of OPTION_KINDS[decision]) {
    const option = options.find((o) => o.kind === kind);
    if (option) return { outcome: 'selected', optionId: option.optionId };
  }
  return { outcome: 'cancelled' };
}

function errorMessage(error: unknown): string {
  if (error instanceof acp.RequestError) {
    const details = (error.data as { details?: unknown } | undefined)?.details;
    return typeof details === 'string' ? `${acpErrorText(error.message)}: ${details}` : acpErrorText(error.message);
  }
  return error instanceof Error ? error.message : String(error);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** A driver for one ACP agent process and one prompt turn. */
export function createAcpDriver(options: AcpDriverOptions): AgentDriver {
  const { hooks } = options;
  const encoder = new TextEncoder();
  const stopping = new AbortController();
  let phase: 'idle' | 'setup' | 'prompting' | 'done' = 'idle';
  let sessionId: string | null = null;
  let input: AgentInput | null = null;
  let connection: acp.ClientConnection | null = null;
  let stdout: ReadableStreamDefaultController<Uint8Array> | null = null;
  let lastStdoutAt = 0;
  /** What `session/update` said about each tool call, to fill in a permission request that carries less. */
  const toolCalls = new Map<string, Record<string, unknown>>();
  /** Cancels the open permission requests (each answers `cancelled`). */
  const openPermissions = new Set<() => void>();

  const finish = () => {
    if (phase === 'done') return;
    phase = 'done';
    for (const cancel of [...openPermissions]) cancel();
    input?.close();
    connection?.close();
    try {
      stdout?.close();
    } catch {
      // already closed
    }
  };

  const trackUpdate = (params: { update?: Record<string, unknown> } | undefined) => {
    const update = params?.update;
    if (!update || (update.sessionUpdate !== 'tool_call' && update.sessionUpdate !== 'tool_call_update')) return;
    const id = update.toolCallId;
    if (typeof id !== 'string') return;
    const known = toolCalls.get(id) ?? {};
    for (const [key, value] of Object.entries(update)) if (value !== undefined && value !== null) known[key] = value;
    toolCalls.set(id, known);
  };

  const requestPermission = async (params: acp.RequestPermissionRequest, withdrawn: AbortSignal): Promise<acp.RequestPermissionResponse> => {
    if (phase === 'done' || stopping.signal.aborted || withdrawn.aborted) return { outcome: { outcome: 'cancelled' } };
    const call: Record<string, unknown> = { ...toolCalls.get(params.toolCall.toolCallId) };
    for (const [key, value] of Object.entries(params.toolCall)) if (value !== undefined && value !== null) call[key] = value;
    let cancel!: () => void;
    const cancelled = new Promise<PermissionOutcome>((resolve) => {
      cancel = () => resolve({ outcome: 'cancelled' });
    });
    openPermissions.add(cancel);
    // The agent may withdraw its request ($/cancel_request): stop waiting for the decision.
    withdrawn.addEventListener('abort', cancel, { once: true });
    try {
      const decided = hooks
        .requestApproval({
          tool: acpToolName(call),
          toolCallId: params.toolCall.toolCallId,
          input: acpToolInput(call),
          title: typeof call.title === 'string' ? call.title : null,
          options: approvalOptions(params.options),
        }, AbortSignal.any([withdrawn, stopping.signal]))
        .then(
          (answer): PermissionOutcome => permissionOutcome(params.options, answer.decision),
          (): PermissionOutcome => ({ outcome: 'cancelled' }), // the execution is being stopped
        );
      return { outcome: await Promise.race([decided, cancelled]) };
    } finally {
      openPermissions.delete(cancel);
      withdrawn.removeEventListener('abort', cancel);
    }
  };

  /** Wait until the agent has stopped replaying history (stdout quiet for a while), or the turn is interrupted. */
  const drainReplay = async () => {
    const quietMs = options.replayQuietMs ?? 200;
    const deadline = Date.now() + (options.replayMaxWaitMs ?? 5000);
    while (!stopping.signal.aborted && Date.now() < deadline) {
      const quietFor = Date.now() - lastStdoutAt;
      if (quietFor >= quietMs) return;
      await sleep(Math.min(quietMs - quietFor, deadline - Date.now()), stopping.signal);
    }
  };

  const openSession = async (agent: acp.ClientContext, capabilities: acp.AgentCapabilities): Promise<string> => {
    const resumeId = options.resumeSessionId;
    const fresh = async () => (await agent.request(acp.methods.agent.session.new, { cwd: options.cwd, mcpServers: [] })).sessionId;
    if (!resumeId) return fresh();
    try {
      if (capabilities.sessionCapabilities?.resume) {
        try {
          await agent.request(acp.methods.agent.session.resume, { sessionId: resumeId, cwd: options.cwd, mcpServers: [] });
          return resumeId;
        } catch (error) {
          // Qwen Code 0.15 advertises session/resume but does not implement it: fall back to session/load.
          if (!(error instanceof acp.RequestError && error.code === -32601 && capabilities.loadSession)) throw error;
        }
      }
      if (capabilities.loadSession) {
        await options.beforeLoad?.(resumeId, stopping.signal);
        if (stopping.signal.aborted) return resumeId;
        await agent.request(acp.methods.agent.session.load, { sessionId: resumeId, cwd: options.cwd, mcpServers: [] });
        await drainReplay();
        return resumeId;
      }
      hooks.warn('The agent can neither resume nor load a session: the follow-up starts a new session without the earlier conversation', { sessionId: resumeId });
    } catch (error) {
      if (stopping.signal.aborted) throw error;
      hooks.warn(`Could not continue the agent session \`${resumeId}\`, starting a new one: ${errorMessage(error)}`, { sessionId: resumeId });
    }
    return fresh();
  };

  const run = async (agent: acp.ClientContext) => {
    const initialized = await agent.request(acp.methods.agent.initialize, {
      protocolVersion: acp.PROTOCOL_VERSION,
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: 'orchd', title: 'orchd', version: packageInfo().version },
    });
    if (stopping.signal.aborted) return;
    sessionId = await openSession(agent, initialized.agentCapabilities ?? {});
    if (stopping.signal.aborted) return;
    phase = 'prompting';
    await agent.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text: options.prompt }] });
  };

  return {
    start(agentInput) {
      input = agentInput;
      phase = 'setup';
      let pendingOutput = '';
      const decoder = new TextDecoder();
      const toAgent = new WritableStream<Uint8Array>({
        write(chunk) {
          pendingOutput += decoder.decode(chunk, { stream: true });
          let newline: number;
          while ((newline = pendingOutput.indexOf('\n')) >= 0) {
            const line = pendingOutput.slice(0, newline);
            pendingOutput = pendingOutput.slice(newline + 1);
            if (line.trim()) agentInput.writeLine(line);
          }
        },
      });
      const fromAgent = new ReadableStream<Uint8Array>({
        start(controller) {
          stdout = controller;
        },
      });
      connection = acp
        .client({ name: 'orchd' })
        .onRequest(acp.methods.client.session.requestPermission, ({ params, signal }) => requestPermission(params, signal))
        .onRequest('*', ({ method }) => {
          throw acp.RequestError.methodNotFound(method);
        })
        .connect(acp.ndJsonStream(toAgent, fromAgent));
      run(connection.agent)
        .catch((error: unknown) => {
          if (!stopping.signal.aborted && phase !== 'done') hooks.warn(`ACP turn failed: ${errorMessage(error)}`, { phase });
        })
        .finally(finish);
    },

    onStdoutLine(line) {
      lastStdoutAt = Date.now();
      if (phase === 'done' || !stdout) return;
      // Only JSON objects go to the SDK: on anything else it would answer the agent with a parse error. Some CLIs
      // print a banner in front of the first JSON line; read from the first `{`.
      const start = line.indexOf('{');
      if (start < 0) return;
      const text = line.slice(start);
      let message: Record<string, unknown>;
      try {
        const parsed = JSON.parse(text) as unknown;
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
        message = parsed as Record<string, unknown>;
      } catch {
        return;
      }
      if (message.method === 'session/update' && message.id === undefined) {
        // Updates are the normalizer's business (it reads the raw log). The driver only remembers tool calls, and
        // does not hand updates to the SDK, whose stable-v1 validation rejects (and logs to the console) every update
        // variant it does not know, such as unstable or vendor ones.
        trackUpdate(message.params as { update?: Record<string, unknown> } | undefined);
        return;
      }
      stdout.enqueue(encoder.encode(`${text}\n`));
    },

    interrupt() {
      if (phase === 'done') return true;
      const wasPrompting = phase === 'prompting' && sessionId !== null;
      stopping.abort();
      if (!wasPrompting || !connection || !sessionId) {
        // Nothing is running yet: end the turn before it starts; closing stdin makes the agent exit.
        finish();
        return true;
      }
      // Cancel first, then answer the open permission requests: the agent does not move on without an answer.
      void connection.agent.notify(acp.methods.agent.session.cancel, { sessionId }).catch(() => {});
      for (const cancel of [...openPermissions]) cancel();
      return true;
    },
  };
}
