// ACP (Agent Client Protocol) raw log → normalized entries. The raw log holds both directions of the newline-
// delimited JSON-RPC: stdout is the agent (responses, `session/update` notifications, `session/request_permission`
// requests), stdin is what orchd wrote (initialize, session/new|load|resume, session/prompt, session/cancel and the
// permission answers). Both are needed: Gemini sends no update after a rejected permission, so the answer on stdin is
// the only record that the tool call was denied.
//
// A follow-up that loads its session gets the whole history replayed as `session/update` notifications; those lines
// sit between the `session/load` (or `session/resume`) request and the `session/prompt` request on stdin and are
// consumed without entries, because the earlier executions already produced them.
import type { ToolKind, ToolStatus } from '../../protocol/entries.js';
import { isObject, num, own, parseObject, show, rawKeeper, toolCall, wholeTextDiff, type ToolCallDraft } from './common.js';
import type { EntryDraft, Normalizer, RawStream } from './types.js';

type Json = Record<string, any>;

const TOOL_KINDS: Record<string, ToolKind> = {
  read: 'read',
  edit: 'edit',
  delete: 'edit',
  move: 'edit',
  execute: 'command',
  search: 'search',
  fetch: 'fetch',
  think: 'other',
  switch_mode: 'other',
  other: 'other',
};

/** The entry kind of an ACP tool kind (`read`, `edit`, `execute` …). */
export function acpToolKind(kind: unknown): ToolKind {
  return own(TOOL_KINDS, kind) ?? 'other';
}

/** The tool's name as orchd shows it and approval rules match it: the agent's programmatic name when it sends one,
 * else the ACP kind (`edit`, `execute` …), else the title. */
export function acpToolName(call: { name?: unknown; kind?: unknown; title?: unknown }): string {
  if (typeof call.name === 'string' && call.name) return call.name;
  if (typeof call.kind === 'string' && call.kind && call.kind !== 'other') return call.kind;
  if (typeof call.title === 'string' && call.title) return call.title;
  return typeof call.kind === 'string' && call.kind ? call.kind : 'unknown';
}

/** What the tool is called with: `rawInput` when the agent sends it (Claude's adapter does, Gemini does not), else
 * what can be read off the call: the command line of an `execute` call (its title) and the paths it touches. */
export function acpToolInput(call: { kind?: unknown; title?: unknown; rawInput?: unknown; locations?: unknown }): unknown {
  if (call.rawInput !== undefined && call.rawInput !== null) return call.rawInput;
  const derived: Record<string, unknown> = {};
  if (call.kind === 'execute' && typeof call.title === 'string' && call.title) derived.command = call.title;
  const paths = Array.isArray(call.locations) ? call.locations.map((l: Json) => l?.path).filter((p): p is string => typeof p === 'string') : [];
  if (paths.length > 0) derived.path = paths[0];
  if (paths.length > 1) derived.paths = paths;
  return Object.keys(derived).length > 0 ? derived : null;
}

const STATUSES: Record<string, ToolStatus> = { pending: 'pending', in_progress: 'running', completed: 'succeeded', failed: 'failed' };

const STOP_ERRORS: Record<string, string> = {
  refusal: 'The agent refused to continue (stop reason `refusal`)',
  max_tokens: 'The agent stopped at its token limit (stop reason `max_tokens`)',
  max_turn_requests: 'The agent stopped after too many model requests in one turn (stop reason `max_turn_requests`)',
};

/** Session updates that carry nothing for the conversation. */
const QUIET_UPDATES = new Set(['available_commands_update', 'current_mode_update', 'config_option_update', 'session_info_update']);

/** Requests orchd sends; their responses are understood. */
const CLIENT_REQUESTS = new Set(['initialize', 'authenticate', 'session/new', 'session/load', 'session/resume', 'session/prompt', 'session/set_mode', 'session/set_config_option', 'session/close']);

/** The text of content blocks (ACP `ContentBlock` or tool-call `content` items). */
function blockText(block: Json | undefined): string {
  if (!block || typeof block !== 'object') return '';
  if (block.type === 'text') return typeof block.text === 'string' ? block.text : '';
  if (block.type === 'content') return blockText(block.content);
  if (block.type === 'resource_link') return `[${show(block.name ?? block.uri ?? 'resource')}]`;
  if (block.type === 'resource') return typeof block.resource?.text === 'string' ? block.resource.text : `[${show(block.resource?.uri ?? 'resource')}]`;
  if (block.type === 'image' || block.type === 'audio') return `[${block.type}]`;
  if (block.type === 'terminal') return `[terminal ${show(block.terminalId ?? '')}]`.replace(' ]', ']');
  return '';
}

/** An ACP error's message; Gemini passes the model API's JSON error body through as the message: read its message. */
export function acpErrorText(message: unknown): string {
  const text = typeof message === 'string' ? message : 'error';
  const body = text.startsWith('{') ? parseObject(text) : null;
  const inner = body?.error;
  if (inner && typeof inner.message === 'string') return typeof inner.status === 'string' ? `${inner.message} (${inner.status})` : inner.message;
  return text;
}

function relativePath(path: string, cwd: string | null): string {
  if (cwd && path.startsWith(`${cwd.replace(/\/$/, '')}/`)) return path.slice(cwd.replace(/\/$/, '').length + 1);
  return path;
}

/** A fresh normalizer for one ACP execution's raw log. */
export function createAcpNormalizer(): Normalizer {
  const raw = rawKeeper();
  /** Requests orchd sent, by id: the method and its params. */
  const ours = new Map<string | number, { method: string; params: Json }>();
  /** Requests the agent sent, by id. */
  const theirs = new Map<string | number, { method: string; toolCallId: string | null; options: Json[] }>();
  /** Tool calls by id: every field the agent sent (merged), and the status. */
  const tools = new Map<string, { call: Json; status: ToolStatus }>();
  let phase: 'setup' | 'replay' | 'live' = 'setup';
  /** orchd sent session/cancel: the prompt's end is a stop, not an error (Qwen 0.15 answers a cancel with an error). */
  let cancelled = false;
  let cwd: string | null = null;
  let system: Extract<EntryDraft, { type: 'systemInfo' }> = { id: 'system', type: 'systemInfo', model: null, tools: [], cwd: null, agentVersion: null };
  let usage: Extract<EntryDraft, { type: 'usage' }> | null = null;
  let usageFromTurn = false;
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}-${++counter}`;
  /** The message being streamed: chunks of the same kind (and message id) are appended to it. */
  let current: { type: 'assistantMessage' | 'thinking' | 'userMessage'; id: string; messageId: string | null; text: string } | null = null;

  const keep = (line: string, stream: RawStream) => raw.keep(line, stream);

  const chunk = (type: 'assistantMessage' | 'thinking' | 'userMessage', update: Json): EntryDraft[] => {
    const messageId = typeof update.messageId === 'string' ? update.messageId : null;
    if (!current || current.type !== type || (messageId !== null && current.messageId !== null && messageId !== current.messageId)) {
      const prefix = type === 'assistantMessage' ? 'msg' : type === 'thinking' ? 'thinking' : 'user';
      current = { type, id: nextId(prefix), messageId, text: '' };
    } else if (messageId !== null) current.messageId = messageId;
    current.text += blockText(update.content);
    // Some agents open a message with an empty chunk (Qwen): no entry until there is text.
    return current.text ? [{ id: current.id, type, text: current.text }] : [];
  };

  /** The entry for a tool call from everything the agent said about it so far (later fields replace earlier ones). */
  const toolEntry = (toolCallId: string, call: Json, status: ToolStatus): ToolCallDraft => {
    const kind = acpToolKind(call.kind);
    const content: Json[] = Array.isArray(call.content) ? call.content : [];
    const diffs = content.filter((c) => c?.type === 'diff' && typeof c.path === 'string' && typeof c.newText === 'string');
    const texts = content.filter((c) => c?.type !== 'diff').map(blockText).filter(Boolean);
    const output = texts.length > 0 ? texts.join('\n') : call.rawOutput === undefined ? null : typeof call.rawOutput === 'string' ? call.rawOutput : JSON.stringify(call.rawOutput);
    const locations: Json[] = Array.isArray(call.locations) ? call.locations : [];
    const firstPath: unknown = diffs[0]?.path ?? locations.find((l) => typeof l?.path === 'string')?.path;
    const isNewFile = (d: Json) => d.oldText === undefined || d.oldText === null || (d.oldText === '' && d._meta?.kind === 'add');
    const diff = diffs.length > 0 ? diffs.map((d) => wholeTextDiff(relativePath(d.path, cwd), isNewFile(d) ? null : d.oldText, d.newText)).join('') : null;
    const rawInput: Json | null = typeof call.rawInput === 'object' && call.rawInput !== null ? call.rawInput : null;
    const rawCommand: unknown = Array.isArray(rawInput?.command) ? rawInput.command.join(' ') : rawInput?.command;
    const command = kind === 'command' ? (typeof rawCommand === 'string' ? rawCommand : typeof call.title === 'string' ? call.title : null) : null;
    const rawOutput: Json | null = typeof call.rawOutput === 'object' && call.rawOutput !== null ? call.rawOutput : null;
    const exitCode: unknown = rawOutput?.exitCode ?? rawOutput?.exit_code ?? rawOutput?.metadata?.exit; // OpenCode: metadata.exit
    return toolCall({
      toolCallId,
      name: acpToolName(call),
      kind,
      status,
      title: typeof call.title === 'string' ? call.title : null,
      input: acpToolInput(call),
      output,
      path: typeof firstPath === 'string' ? relativePath(firstPath, cwd) : null,
      command,
      exitCode: typeof exitCode === 'number' ? exitCode : null,
      diff,
    });
  };

  const upsertTool = (update: Json, status: ToolStatus | null): EntryDraft[] => {
    if (typeof update.toolCallId !== 'string' && typeof update.toolCallId !== 'number') return [];
    current = null;
    const toolCallId = String(update.toolCallId);
    const previous = tools.get(toolCallId);
    const call: Json = { ...previous?.call };
    for (const [key, value] of Object.entries(update)) if (value !== undefined && value !== null && key !== 'sessionUpdate' && key !== 'status') call[key] = value;
    let next: ToolStatus = status ?? previous?.status ?? 'pending';
    // A denied call stays denied when the agent later reports it failed (or re-sends it pending).
    if (previous?.status === 'denied' && next !== 'succeeded' && next !== 'running') next = 'denied';
    tools.set(toolCallId, { call, status: next });
    return [toolEntry(toolCallId, call, next)];
  };

  const setStatus = (toolCallId: string, status: ToolStatus): EntryDraft[] => {
    const previous = tools.get(toolCallId);
    if (!previous) return [];
    tools.set(toolCallId, { call: previous.call, status });
    return [toolEntry(toolCallId, previous.call, status)];
  };

  const planEntry = (update: Json): EntryDraft[] => {
    const items: Json[] = Array.isArray(update.entries) ? update.entries : [];
    const done = items.filter((item) => item?.status === 'completed').length;
    const mark = (status: unknown) => (status === 'completed' ? '[x]' : status === 'in_progress' ? '[~]' : '[ ]');
    current = null;
    const entry = toolCall({
      id: 'plan',
      toolCallId: 'plan',
      name: 'plan',
      kind: 'todo',
      status: items.length > 0 && done === items.length ? 'succeeded' : 'running',
      title: `Plan (${done}/${items.length} done)`,
      input: { entries: items },
      output: items.map((item) => `${mark(item?.status)} ${show(item?.content ?? '')}`).join('\n'),
    });
    return [entry];
  };

  const usageEntry = (fields: Partial<Omit<Extract<EntryDraft, { type: 'usage' }>, 'id' | 'type'>>, fromTurn: boolean): EntryDraft[] => {
    const base = usage ?? { id: 'usage', type: 'usage' as const, inputTokens: null, outputTokens: null, cacheReadTokens: null, costUsd: null, durationMs: null };
    const next = { ...base };
    for (const [key, value] of Object.entries(fields) as [keyof typeof fields, number | null][]) {
      if (value === null || value === undefined) continue;
      // Turn totals from the prompt result win over the context size a usage_update reports.
      if (!fromTurn && key === 'inputTokens' && base.inputTokens !== null && usageFromTurn) continue;
      (next as Record<string, unknown>)[key] = value;
    }
    if (fromTurn) usageFromTurn = true;
    usage = next;
    return [next];
  };

  const sessionUpdate = (line: string, stream: RawStream, params: Json): EntryDraft[] => {
    const update: Json | undefined = params?.update;
    if (!update || typeof update.sessionUpdate !== 'string') return keep(line, stream);
    if (phase === 'replay') return []; // history of earlier turns, already shown by their executions
    switch (update.sessionUpdate) {
      case 'agent_message_chunk':
        return chunk('assistantMessage', update);
      case 'agent_thought_chunk':
        return chunk('thinking', update);
      case 'user_message_chunk':
        return chunk('userMessage', update);
      case 'tool_call':
        return upsertTool(update, update.status ? (own(STATUSES, update.status) ?? null) : 'pending');
      case 'tool_call_update':
        return upsertTool(update, update.status ? (own(STATUSES, update.status) ?? null) : null);
      case 'plan':
        return planEntry(update);
      case 'usage_update': {
        const cost = update.cost && update.cost.currency === 'USD' && typeof update.cost.amount === 'number' ? update.cost.amount : null;
        return usageEntry({ inputTokens: typeof update.used === 'number' ? update.used : null, costUsd: cost }, false);
      }
      default:
        return QUIET_UPDATES.has(update.sessionUpdate) ? [] : keep(line, stream);
    }
  };

  /** A response from the agent to one of orchd's requests. */
  const response = (line: string, stream: RawStream, message: Json): EntryDraft[] => {
    const request = ours.get(message.id);
    if (!request) return keep(line, stream);
    ours.delete(message.id);
    if (message.error) {
      if (request.method === 'session/prompt' && cancelled) return [];
      // Advertised but not implemented (Qwen Code 0.15): the driver goes on with session/load.
      if (request.method === 'session/resume' && message.error.code === -32601) return [];
      const details = typeof message.error.data?.details === 'string' ? `: ${message.error.data.details}` : '';
      return [{ id: nextId('error'), type: 'error', message: `\`${request.method}\` failed: ${acpErrorText(message.error.message)}${details}` }];
    }
    const result: Json = message.result ?? {};
    const out: EntryDraft[] = [];
    switch (request.method) {
      case 'initialize': {
        const version = typeof result.agentInfo?.version === 'string' ? result.agentInfo.version : null;
        system = { ...system, agentVersion: version };
        out.push(system);
        break;
      }
      case 'session/new':
      case 'session/load':
      case 'session/resume': {
        const sessionId = request.method === 'session/new' ? result.sessionId : request.params.sessionId;
        const model = typeof result.models?.currentModelId === 'string' ? result.models.currentModelId : null;
        system = { ...system, cwd, model: model ?? system.model };
        out.push(system);
        if (typeof sessionId === 'string') out.push({ id: 'agent-session', type: 'agentSession', agentSessionId: sessionId });
        break;
      }
      case 'session/prompt': {
        current = null;
        const turn: Json | null = isObject(result.usage) ? result.usage : null;
        const quota: Json | null = isObject(result._meta?.quota?.token_count) ? result._meta.quota.token_count : null; // Gemini
        if (turn) out.push(...usageEntry({ inputTokens: num(turn.inputTokens), outputTokens: num(turn.outputTokens), cacheReadTokens: num(turn.cachedReadTokens) }, true));
        else if (quota) out.push(...usageEntry({ inputTokens: num(quota.input_tokens), outputTokens: num(quota.output_tokens) }, true));
        const stop = own(STOP_ERRORS, result.stopReason);
        if (stop) out.push({ id: nextId('error'), type: 'error', message: stop });
        break;
      }
      default:
        break;
    }
    return out;
  };

  /** orchd's answer to a request from the agent: for a permission, the decision. */
  const answer = (message: Json): EntryDraft[] => {
    const request = theirs.get(message.id);
    if (!request) return [];
    theirs.delete(message.id);
    if (request.method !== 'session/request_permission' || request.toolCallId === null) return [];
    const outcome: Json | undefined = message.result?.outcome;
    if (outcome?.outcome === 'selected') {
      const kind = request.options.find((o) => o?.optionId === outcome.optionId)?.kind;
      if (typeof kind === 'string' && kind.startsWith('allow')) {
        const status = tools.get(request.toolCallId)?.status;
        return status === 'awaitingApproval' || status === 'pending' ? setStatus(request.toolCallId, 'running') : [];
      }
    }
    return setStatus(request.toolCallId, 'denied');
  };

  const fromAgent = (line: string, message: Json): EntryDraft[] => {
    if (typeof message.method === 'string') {
      if (message.id !== undefined && message.id !== null) {
        // A request from the agent. Anything but a permission prompt is answered "method not found" by the driver.
        const toolCallId = message.params?.toolCall?.toolCallId;
        const permission = message.method === 'session/request_permission' && (typeof toolCallId === 'string' || typeof toolCallId === 'number');
        theirs.set(message.id, { method: message.method, toolCallId: permission ? String(toolCallId) : null, options: Array.isArray(message.params?.options) ? message.params.options : [] });
        if (!permission) return [];
        return upsertTool(message.params.toolCall, 'awaitingApproval');
      }
      if (message.method === 'session/update') return sessionUpdate(line, 'stdout', message.params);
      return keep(line, 'stdout');
    }
    if (message.id !== undefined && ('result' in message || 'error' in message)) return response(line, 'stdout', message);
    return keep(line, 'stdout');
  };

  const fromOrchd = (line: string, message: Json): EntryDraft[] => {
    if (typeof message.method === 'string') {
      const params: Json = message.params ?? {};
      if (message.id !== undefined && message.id !== null) ours.set(message.id, { method: message.method, params });
      if (message.method === 'session/new') {
        cwd = typeof params.cwd === 'string' ? params.cwd : cwd;
        phase = 'setup';
      } else if (message.method === 'session/load' || message.method === 'session/resume') {
        cwd = typeof params.cwd === 'string' ? params.cwd : cwd;
        phase = 'replay';
      } else if (message.method === 'session/prompt') {
        phase = 'live';
        current = null;
      } else if (message.method === 'session/cancel') cancelled = true;
      else if (!CLIENT_REQUESTS.has(message.method)) return keep(line, 'stdin');
      return [];
    }
    if (message.id !== undefined && ('result' in message || 'error' in message)) return answer(message);
    return keep(line, 'stdin');
  };

  return {
    get unknownLines() {
      return raw.count;
    },
    push(line, stream) {
      if (!line.trim()) return [];
      if (stream === 'stderr') return keep(line, stream);
      // Some CLIs print a banner before the first JSON line on stdout ("MCP issues detected…"): read from the first `{`.
      const start = line.indexOf('{');
      const message = start >= 0 ? parseObject(line.slice(start)) : null;
      if (!message) return keep(line, stream);
      return stream === 'stdin' ? fromOrchd(line, message) : fromAgent(line, message);
    },
  };
}
