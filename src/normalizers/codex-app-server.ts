// Codex → normalized entries. Reads the raw log of `codex app-server` (stdout: JSON-RPC notifications, the server's
// requests and its replies to orchd; stdin: orchd's requests and its answers to approval requests), and the JSONL of
// `codex exec --json` (`thread.started`, `item.completed` …), which shares the item model in snake_case.
// Entry ids come from Codex's own ids (`tool:<itemId>`, `message:<itemId>` …), so replaying the log gives the same
// entries; everything the normalizer needs (which request an answer belongs to, the thread's cwd) is in the log.
//
// Usage: app-server's `thread/tokenUsage/updated` reports the thread's running total, and a resumed thread reports the
// earlier turns' total first, so the turn's usage is what came after. `exec --json`'s `turn.completed.usage` is also
// the thread's running total (the JSONL writer fills it from the thread's `total_token_usage`, openai/codex
// codex-rs/exec/src/event_processor_with_jsonl_output.rs), but a resumed `exec` process says nothing about the earlier
// turns: their sum comes in as `usageBaseline` (the session's earlier usage entries on the same thread).
import type { ToolStatus } from '../../protocol/entries.js';
import { isObject, own, parseObject, rawKeeper, show, runningTotals, toolCall, wholeTextDiff, type ToolCallDraft } from './common.js';
import type { EntryDraft, Normalizer, NormalizerOptions, RawStream } from './types.js';

type Json = Record<string, any>;
type Phase = 'started' | 'updated' | 'completed';

/** `codex exec --json` item types, by the app-server name that has the same fields (in camelCase). */
const EXEC_ITEM_TYPES: Record<string, string> = {
  agent_message: 'agentMessage',
  reasoning: 'reasoning',
  command_execution: 'commandExecution',
  file_change: 'fileChange',
  mcp_tool_call: 'mcpToolCall',
  web_search: 'webSearch',
  todo_list: 'todoList',
  plan: 'plan',
  collab_tool_call: 'collabAgentToolCall',
  error: 'error',
};

/** Notifications that carry nothing a person needs in the conversation: state the engine tracks itself, or noise. */
const QUIET_NOTIFICATIONS = new Set([
  'account/rateLimits/updated',
  'account/updated',
  'app/list/updated',
  'configWarning', // installation hints (e.g. "could not find bubblewrap"); the same text is on stderr
  'deprecationNotice',
  'fs/changed',
  'hook/completed',
  'hook/started',
  'item/commandExecution/terminalInteraction',
  'item/mcpToolCall/progress',
  'item/reasoning/summaryPartAdded',
  'mcpServer/startupStatus/updated',
  'model/rerouted',
  'model/safetyBuffering/updated',
  'modelProvider/authRecoveryCompleted',
  'modelProvider/authRecoveryStarted',
  'project/changed',
  'rawResponseItem/completed',
  'remoteControl/status/changed',
  'serverRequest/resolved',
  'skills/changed',
  'thread/archived',
  'thread/attachment/updated',
  'thread/closed',
  'thread/compacted',
  'thread/environment/connected',
  'thread/environment/disconnected',
  'thread/goal/cleared',
  'thread/goal/updated',
  'thread/name/updated',
  'thread/prediction/updated',
  'thread/project/updated',
  'thread/queue/changed',
  'thread/readState/changed',
  'thread/section/changed',
  'thread/settings/updated',
  'thread/status/changed',
  'thread/unarchived',
  'turn/diff/updated', // the per-item fileChange diffs are kept instead
  'turn/moderationMetadata',
]);

/** Server requests that ask permission for an item (v2), and the legacy v1 ones keyed by `callId`. */
const APPROVAL_REQUESTS: Record<string, { itemType: 'commandExecution' | 'fileChange'; legacy: boolean }> = {
  'item/commandExecution/requestApproval': { itemType: 'commandExecution', legacy: false },
  'item/fileChange/requestApproval': { itemType: 'fileChange', legacy: false },
  execCommandApproval: { itemType: 'commandExecution', legacy: true },
  applyPatchApproval: { itemType: 'fileChange', legacy: true },
};

const TERMINAL: ReadonlySet<ToolStatus> = new Set(['succeeded', 'failed', 'denied']);

interface TokenBreakdown {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/** A fresh normalizer for one Codex execution's raw log (app-server or `exec --json`). */
export function createCodexNormalizer(options: NormalizerOptions = {}): Normalizer {
  const raw = rawKeeper();
  const tools = new Map<string, ToolCallDraft>(); // by item id
  const texts = new Map<string, string>(); // streamed deltas so far, by entry id
  const itemTexts = new Map<string, string>(); // the latest full text an item line carried, by entry id
  const deltaParts = new Map<string, number>(); // the summary/content part the last delta belonged to, by entry id
  const clientRequests = new Map<string, string>(); // orchd's request id → method
  const approvalItems = new Map<string, string>(); // the server's approval request id → item id
  let cwd: string | null = null;
  let agentVersion: string | null = null;
  let turnId: string | null = null;
  let usageBaseline: TokenBreakdown | null = null;
  let latestUsage: EntryDraft | null = null;
  let lastExecError: { id: string; message: string } | null = null;
  let threadId: string | null = null;
  // The baseline is a sum of per-turn entries (uncached input + cached); `exec` totals count input with the cached part.
  const baseline = options.usageBaseline;
  const execTotals = runningTotals(
    baseline && {
      ...baseline,
      inputTokens: baseline.inputTokens === null ? null : baseline.inputTokens + (baseline.cacheReadTokens ?? 0),
      costUsd: null,
    },
  );
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}-${++counter}`;

  // Tool entries ------------------------------------------------------------------------------------------------

  /** Upsert a tool entry, keeping what earlier lines knew (output, an approval wait) unless the new line says more. */
  function upsertTool(itemId: string, next: ToolCallDraft): ToolCallDraft {
    const previous = tools.get(itemId);
    let status = next.status;
    // A line that only says "in progress" does not undo an approval wait or a final status seen earlier.
    if (previous && status === 'running' && (previous.status === 'awaitingApproval' || TERMINAL.has(previous.status))) status = previous.status;
    const merged: ToolCallDraft = {
      ...next,
      status,
      title: next.title ?? previous?.title ?? null,
      input: next.input ?? previous?.input ?? null,
      output: next.output ?? previous?.output ?? null,
      path: next.path ?? previous?.path ?? null,
      command: next.command ?? previous?.command ?? null,
      exitCode: next.exitCode ?? previous?.exitCode ?? null,
      diff: next.diff ?? previous?.diff ?? null,
    };
    tools.set(itemId, merged);
    return merged;
  }

  function setToolStatus(itemId: string, status: ToolStatus): EntryDraft[] {
    const previous = tools.get(itemId);
    if (!previous || TERMINAL.has(previous.status)) return [];
    const updated = { ...previous, status };
    tools.set(itemId, updated);
    return [updated];
  }

  function commandEntry(item: Json, status: ToolStatus): ToolCallDraft {
    const command = typeof item.command === 'string' ? item.command : Array.isArray(item.command) ? item.command.join(' ') : null;
    const output = stringOr(item.aggregatedOutput ?? item.aggregated_output) ?? texts.get(`output:${item.id}`) ?? null;
    const exitCode = numberOr(item.exitCode ?? item.exit_code);
    return toolCall({
      toolCallId: item.id,
      name: 'exec_command',
      kind: 'command',
      status: status === 'succeeded' && exitCode !== null && exitCode !== 0 ? 'failed' : status,
      title: command,
      input: { command, cwd: item.cwd ?? null },
      output,
      command,
      exitCode,
    });
  }

  function fileChangeEntry(item: Json, status: ToolStatus): ToolCallDraft {
    const changes: Json[] = Array.isArray(item.changes) ? item.changes.filter(isObject) : [];
    const paths = changes.map((change) => show(change.path ?? ''));
    const diffs = changes.map((change) => changeDiff(change, cwd)).filter((diff): diff is string => diff !== null);
    return toolCall({
      toolCallId: item.id,
      name: 'apply_patch',
      kind: 'edit',
      status,
      title: paths.length > 0 ? paths.map((path) => relativeTo(path, cwd)).join(', ') : null,
      input: { changes },
      path: paths[0] ?? null,
      diff: diffs.length > 0 ? diffs.join('') : null,
    });
  }

  function itemEntries(item: Json, phase: Phase): EntryDraft[] | null {
    if (typeof item.id !== 'string' || typeof item.type !== 'string') return null;
    const type = own(EXEC_ITEM_TYPES, item.type) ?? item.type;
    const status = itemStatus(item.status, phase);
    switch (type) {
      case 'userMessage': // the engine records the prompt itself
      case 'contextCompaction':
        return [];
      case 'agentMessage': {
        const id = `message:${item.id}`;
        const text = itemText(id, stringOr(item.text) ?? '', phase);
        return text === '' && phase !== 'completed' ? [] : [{ id, type: 'assistantMessage', text }];
      }
      case 'reasoning': {
        const id = `thinking:${item.id}`;
        const text = itemText(id, joinParts(item.summary) || joinParts(item.content) || stringOr(item.text) || '', phase);
        return text === '' ? [] : [{ id, type: 'thinking', text }];
      }
      case 'commandExecution':
        return [upsertTool(item.id, commandEntry(item, status))];
      case 'fileChange':
        return [upsertTool(item.id, fileChangeEntry(item, status))];
      case 'mcpToolCall': {
        const output = stringOr(item.error?.message) ?? contentText(item.result?.content);
        return [
          upsertTool(
            item.id,
            toolCall({
              toolCallId: item.id,
              name: `mcp__${show(item.server)}__${show(item.tool)}`,
              kind: 'other',
              status,
              title: `${show(item.server)}.${show(item.tool)}`,
              input: item.arguments ?? null,
              output: output || null,
            }),
          ),
        ];
      }
      case 'dynamicToolCall':
        return [upsertTool(item.id, toolCall({ toolCallId: item.id, name: show(item.tool), kind: 'other', status, title: show(item.tool), input: item.arguments ?? null, output: contentText(item.contentItems) || null }))];
      case 'collabAgentToolCall':
        return [upsertTool(item.id, toolCall({ toolCallId: item.id, name: show(item.tool), kind: 'subagent', status, title: stringOr(item.prompt), input: item.arguments ?? { prompt: item.prompt ?? null, model: item.model ?? null } }))];
      case 'webSearch': {
        const query = stringOr(item.query) || stringOr(item.action?.query) || stringOr(item.action?.url);
        return [upsertTool(item.id, toolCall({ toolCallId: item.id, name: 'web_search', kind: 'fetch', status, title: query, input: item.action ?? { query: item.query ?? null } }))];
      }
      case 'imageView':
        return [upsertTool(item.id, toolCall({ toolCallId: item.id, name: 'view_image', kind: 'read', status, title: stringOr(item.path), input: { path: item.path ?? null }, path: stringOr(item.path) }))];
      case 'plan': {
        const text = stringOr(item.text) || (texts.get(`plan:${item.id}`) ?? '');
        return [upsertTool(item.id, toolCall({ toolCallId: item.id, name: 'plan', kind: 'todo', status, title: 'Plan', input: null, output: text || null }))];
      }
      case 'todoList': {
        const items: Json[] = Array.isArray(item.items) ? item.items.filter(isObject) : [];
        const output = items.map((todo) => `[${todo.completed ? 'x' : ' '}] ${show(todo.text)}`).join('\n');
        return [upsertTool(item.id, toolCall({ toolCallId: item.id, name: 'todo_list', kind: 'todo', status, title: 'To-do list', input: { items }, output: output || null }))];
      }
      case 'error':
        return [{ id: `error:${item.id}`, type: 'error', message: show(item.message ?? 'Codex reported an error') }];
      default:
        return null;
    }
  }

  /** The text of an item line: a completed item's own text wins; before that, whichever of it and the deltas says more. */
  function itemText(id: string, text: string, phase: Phase): string {
    if (text !== '') itemTexts.set(id, text);
    const streamed = texts.get(id) ?? '';
    if (phase === 'completed' && text !== '') return text;
    return streamed.length >= text.length ? streamed : text;
  }

  /** Append a streamed delta to the text entry `id` (parts of a reasoning summary are separated by a blank line). */
  function appendText(id: string, delta: unknown, make: (text: string) => EntryDraft | null, part?: unknown): EntryDraft[] {
    let streamed = texts.get(id) ?? '';
    if (typeof part === 'number') {
      const previousPart = deltaParts.get(id);
      if (previousPart !== undefined && previousPart !== part && streamed !== '') streamed += '\n\n';
      deltaParts.set(id, part);
    }
    streamed += typeof delta === 'string' ? delta : '';
    texts.set(id, streamed);
    const known = itemTexts.get(id) ?? '';
    const entry = make(streamed.length >= known.length ? streamed : known);
    return entry ? [entry] : [];
  }

  // Usage ------------------------------------------------------------------------------------------------------

  function usageEntry(fields: { inputTokens: number | null; cachedInputTokens: number | null; outputTokens: number | null; durationMs: number | null }): EntryDraft {
    // `inputTokens` counts only uncached input (as Anthropic reports it), so input + cacheRead is the whole prompt.
    const uncached = fields.inputTokens !== null ? fields.inputTokens - (fields.cachedInputTokens ?? 0) : null;
    latestUsage = {
      id: 'usage',
      type: 'usage',
      inputTokens: uncached,
      outputTokens: fields.outputTokens,
      cacheReadTokens: fields.cachedInputTokens,
      costUsd: null,
      durationMs: fields.durationMs,
    };
    return latestUsage;
  }

  /** `thread/tokenUsage/updated` reports the thread's running total; this execution's usage is what its turn added. */
  function tokenUsage(params: Json): EntryDraft[] {
    const total = breakdown(params.tokenUsage?.total);
    if (!total) return [];
    if (turnId === null || params.turnId !== turnId) {
      // A resumed thread first reports the total of earlier turns: that is the baseline, not this turn's usage.
      usageBaseline = total;
      return [];
    }
    const base = usageBaseline ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
    const previousDuration = latestUsage?.type === 'usage' ? latestUsage.durationMs : null;
    return [
      usageEntry({
        inputTokens: total.inputTokens - base.inputTokens,
        cachedInputTokens: total.cachedInputTokens - base.cachedInputTokens,
        outputTokens: total.outputTokens - base.outputTokens,
        durationMs: previousDuration,
      }),
    ];
  }

  // Lines by direction and shape -------------------------------------------------------------------------------

  function turnCompleted(turn: Json): EntryDraft[] {
    const out: EntryDraft[] = [];
    const id = show(turn.id ?? turnId ?? 'turn');
    if (turn.status === 'failed') out.push({ id: `error:${id}`, type: 'error', message: errorText(turn.error) ?? 'The turn failed' });
    if (turn.status === 'failed' || turn.status === 'interrupted') {
      // Whatever was still open did not finish: a withdrawn approval is a denial, anything else failed.
      for (const [itemId, tool] of tools) {
        if (TERMINAL.has(tool.status)) continue;
        out.push(...setToolStatus(itemId, tool.status === 'awaitingApproval' ? 'denied' : 'failed'));
      }
    }
    if (typeof turn.durationMs === 'number') {
      // A turn stopped before the model answered reports no tokens, but its duration is still worth keeping.
      latestUsage = latestUsage?.type === 'usage' ? { ...latestUsage, durationMs: turn.durationMs } : usageEntry({ inputTokens: null, cachedInputTokens: null, outputTokens: null, durationMs: turn.durationMs });
      out.push(latestUsage);
    }
    return out;
  }

  function notification(method: string, params: Json): EntryDraft[] | null {
    if (QUIET_NOTIFICATIONS.has(method)) return [];
    switch (method) {
      case 'thread/started':
        if (typeof params.thread?.id === 'string') threadId = params.thread.id;
        return typeof params.thread?.id === 'string' ? [{ id: 'agent-session', type: 'agentSession', agentSessionId: params.thread.id }] : [];
      case 'turn/started':
        if (typeof params.turn?.id === 'string') turnId = params.turn.id;
        return [];
      case 'turn/completed':
        return turnCompleted(params.turn ?? {});
      case 'item/started':
        return itemEntries(params.item ?? {}, 'started');
      case 'item/completed':
        return itemEntries(params.item ?? {}, 'completed');
      case 'item/agentMessage/delta':
        return appendText(`message:${show(params.itemId)}`, params.delta, (text) => ({ id: `message:${show(params.itemId)}`, type: 'assistantMessage', text }));
      case 'item/reasoning/summaryTextDelta':
      case 'item/reasoning/textDelta':
        return appendText(`thinking:${show(params.itemId)}`, params.delta, (text) => ({ id: `thinking:${show(params.itemId)}`, type: 'thinking', text }), params.summaryIndex ?? params.contentIndex);
      case 'item/plan/delta':
        return appendText(`plan:${show(params.itemId)}`, params.delta, () => null);
      case 'item/commandExecution/outputDelta':
      case 'item/fileChange/outputDelta': {
        const itemId = show(params.itemId);
        appendText(`output:${itemId}`, params.delta, () => null);
        const previous = tools.get(itemId);
        if (!previous) return [];
        return [upsertTool(itemId, { ...previous, status: TERMINAL.has(previous.status) ? previous.status : 'running', output: texts.get(`output:${itemId}`) ?? null })];
      }
      case 'item/fileChange/patchUpdated': {
        const itemId = show(params.itemId);
        const status = tools.get(itemId)?.status ?? 'running';
        return [upsertTool(itemId, fileChangeEntry({ id: itemId, changes: params.changes }, status))];
      }
      case 'turn/plan/updated': {
        const plan: Json[] = Array.isArray(params.plan) ? params.plan.filter(isObject) : [];
        const marks: Record<string, string> = { completed: 'x', inProgress: '>', in_progress: '>' };
        const output = plan.map((step) => `[${own(marks, step.status) ?? ' '}] ${show(step.step)}`).join('\n');
        const toolCallId = `plan:${show(params.turnId)}`;
        return [upsertTool(toolCallId, toolCall({ toolCallId, name: 'update_plan', kind: 'todo', status: 'succeeded', title: stringOr(params.explanation) ?? 'Plan', input: { explanation: params.explanation ?? null, plan }, output: output || null }))];
      }
      case 'thread/tokenUsage/updated':
        return tokenUsage(params);
      case 'error': {
        const id = params.willRetry ? `error:${show(params.turnId)}:retry` : `error:${show(params.turnId)}`;
        return [{ id, type: 'error', message: errorText(params.error) ?? 'Codex reported an error' }];
      }
      case 'warning':
      case 'guardianWarning':
        return [{ id: nextId('warning'), type: 'error', message: `Warning: ${show(params.message ?? params.summary ?? '')}` }];
      default:
        return null;
    }
  }

  /** A request from the server: approvals move their tool call to `awaitingApproval`; others are kept raw. */
  function serverRequest(message: Json): EntryDraft[] | null {
    const approval = own(APPROVAL_REQUESTS, message.method);
    if (!approval) return null;
    const params: Json = message.params ?? {};
    const itemId = show(approval.legacy ? params.callId : params.itemId);
    approvalItems.set(requestKey(message.id), itemId);
    const known = tools.get(itemId);
    const base = known ?? (approval.itemType === 'commandExecution' ? commandEntry({ id: itemId, command: params.command, cwd: params.cwd }, 'awaitingApproval') : fileChangeEntry({ id: itemId, changes: legacyChanges(params.fileChanges) }, 'awaitingApproval'));
    if (TERMINAL.has(base.status)) return [];
    const updated = { ...base, status: 'awaitingApproval' as const };
    tools.set(itemId, updated);
    return [updated];
  }

  /** A reply from the server to one of orchd's requests (matched by id through the recorded stdin). */
  function response(message: Json): EntryDraft[] | null {
    const id = requestKey(message.id);
    const method = clientRequests.get(id);
    if (message.error !== undefined) {
      if (method === 'turn/interrupt') return []; // the turn had already ended: nothing to interrupt
      const text = errorText(message.error) ?? JSON.stringify(message.error);
      return [{ id: `rpc-error:${show(message.id)}`, type: 'error', message: method ? `Codex rejected \`${method}\`: ${text}` : `Codex replied with an error: ${text}` }];
    }
    if (method === undefined) return null;
    const result: Json = message.result ?? {};
    switch (method) {
      case 'initialize': {
        // `userAgent` is `<client name>/<codex version> (…)`.
        const match = typeof result.userAgent === 'string' ? /\/(\d[^\s(]*)/.exec(result.userAgent) : null;
        agentVersion = match?.[1] ?? null;
        return [];
      }
      case 'thread/start':
      case 'thread/resume':
      case 'thread/fork': {
        const thread: Json = result.thread ?? {};
        const out: EntryDraft[] = [];
        if (typeof thread.id === 'string') {
          threadId = thread.id;
          out.push({ id: 'agent-session', type: 'agentSession', agentSessionId: thread.id });
        }
        out.push({ id: 'system', type: 'systemInfo', model: stringOr(result.model) ?? stringOr(thread.model), tools: [], cwd: stringOr(result.cwd) ?? stringOr(thread.cwd) ?? cwd, agentVersion });
        if (typeof result.cwd === 'string') cwd = result.cwd;
        return out;
      }
      case 'turn/start':
        if (typeof result.turn?.id === 'string') turnId = result.turn.id;
        return [];
      default:
        return [];
    }
  }

  /** A line orchd wrote: its own requests (remembered to read the replies), and its answers to approval requests. */
  function clientLine(message: Json): EntryDraft[] | null {
    if (typeof message.method === 'string') {
      if (message.id !== undefined) clientRequests.set(requestKey(message.id), message.method);
      if ((message.method === 'thread/start' || message.method === 'thread/resume') && typeof message.params?.cwd === 'string') cwd = message.params.cwd;
      return [];
    }
    if (message.id === undefined) return null;
    const itemId = approvalItems.get(requestKey(message.id));
    if (itemId === undefined) return message.error !== undefined || message.result !== undefined ? [] : null;
    const decision = message.result?.decision;
    if (decision === undefined) return setToolStatus(itemId, 'denied'); // an error reply: Codex fails the item
    return setToolStatus(itemId, isAcceptance(decision) ? 'running' : 'denied');
  }

  /** One `codex exec --json` event. */
  function execEvent(message: Json): EntryDraft[] | null {
    switch (message.type) {
      case 'thread.started':
        if (typeof message.thread_id === 'string') threadId = message.thread_id;
        return typeof message.thread_id === 'string' ? [{ id: 'agent-session', type: 'agentSession', agentSessionId: message.thread_id }] : [];
      case 'turn.started':
        return [];
      case 'turn.completed': {
        const usage: Json = isObject(message.usage) ? message.usage : {};
        const totals = { inputTokens: numberOr(usage.input_tokens), cacheReadTokens: numberOr(usage.cached_input_tokens), outputTokens: numberOr(usage.output_tokens), costUsd: null };
        const turn = execTotals.turn(totals, threadId);
        return [usageEntry({ inputTokens: turn.inputTokens, cachedInputTokens: turn.cacheReadTokens, outputTokens: turn.outputTokens, durationMs: null })];
      }
      case 'turn.failed':
      case 'error': {
        // `exec` reports a fatal error twice (`error`, then `turn.failed` with the same message): one entry.
        const text = apiErrorText(message.type === 'error' ? show(message.message ?? '') : (errorText(message.error) ?? '')) || 'Codex reported an error';
        const id = lastExecError?.message === text ? lastExecError.id : nextId('error');
        lastExecError = { id, message: text };
        return [{ id, type: 'error', message: text }];
      }
      case 'item.started':
        return itemEntries(message.item ?? {}, 'started');
      case 'item.updated':
        return itemEntries(message.item ?? {}, 'updated');
      case 'item.completed':
        return itemEntries(message.item ?? {}, 'completed');
      case 'item.plan.delta':
        return appendText(`plan:${show(message.item_id)}`, message.delta, () => null);
      default:
        return null;
    }
  }

  function understand(message: Json, stream: RawStream): EntryDraft[] | null {
    if (stream === 'stdin') return clientLine(message);
    if (typeof message.method === 'string') return message.id !== undefined ? serverRequest(message) : notification(message.method, message.params ?? {});
    if (message.id !== undefined && ('result' in message || 'error' in message)) return response(message);
    if (typeof message.type === 'string') return execEvent(message);
    return null;
  }

  return {
    get unknownLines() {
      return raw.count;
    },
    push(line, stream) {
      if (!line.trim()) return [];
      if (stream === 'stderr') return raw.keep(line, stream);
      const message = parseObject(line);
      const entries = message ? understand(message, stream) : null;
      return entries ?? raw.keep(line, stream);
    },
  };
}

/** `codex exec --json` shares the item model, so the same normalizer reads it. */
export const createCodexExecNormalizer = createCodexNormalizer;

// Helpers ------------------------------------------------------------------------------------------------------

function itemStatus(status: unknown, phase: Phase): ToolStatus {
  switch (status) {
    case 'inProgress':
    case 'in_progress':
      return 'running';
    case 'completed':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'declined':
      return 'denied';
    default:
      return phase === 'completed' ? 'succeeded' : 'running';
  }
}

function isAcceptance(decision: unknown): boolean {
  if (typeof decision === 'string') return ['accept', 'acceptForSession', 'approved', 'approved_for_session'].includes(decision);
  if (typeof decision === 'object' && decision !== null) {
    const key = Object.keys(decision)[0] ?? '';
    return key.startsWith('accept') || key.startsWith('approved') || key === 'applyNetworkPolicyAmendment';
  }
  return false;
}

function requestKey(id: unknown): string {
  return typeof id === 'string' ? `s:${id}` : `n:${show(id)}`;
}

function stringOr(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function joinParts(parts: unknown): string {
  return Array.isArray(parts) ? parts.filter((part): part is string => typeof part === 'string').join('\n\n') : '';
}

function breakdown(value: unknown): TokenBreakdown | null {
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Json;
  return { inputTokens: numberOr(record.inputTokens) ?? 0, cachedInputTokens: numberOr(record.cachedInputTokens) ?? 0, outputTokens: numberOr(record.outputTokens) ?? 0 };
}

function errorText(error: unknown): string | null {
  if (typeof error === 'string') return error;
  if (typeof error !== 'object' || error === null) return null;
  const record = error as Json;
  if (typeof record.message !== 'string') return null;
  const message = apiErrorText(record.message);
  return typeof record.additionalDetails === 'string' && record.additionalDetails !== '' ? `${message} (${record.additionalDetails})` : message;
}

/** An API error body that Codex passes on as its message (`{"error":{"message":…}}`) → that message. */
function apiErrorText(text: string): string {
  if (!text.startsWith('{')) return text;
  try {
    const body = JSON.parse(text) as Json;
    return typeof body?.error?.message === 'string' ? body.error.message : text;
  } catch {
    return text;
  }
}

/** The text of MCP-style content blocks (`[{type:'text', text}]`). */
function contentText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content.map((block) => (typeof block === 'string' ? block : typeof block?.text === 'string' ? block.text : '')).join('');
}

function relativeTo(path: string, base: string | null): string {
  if (base && path.startsWith(`${base.replace(/\/$/, '')}/`)) return path.slice(base.replace(/\/$/, '').length + 1);
  return path;
}

/** The v1 `applyPatchApproval` map `{path: {add|delete|update}}` as v2 changes. */
function legacyChanges(fileChanges: unknown): Json[] {
  if (typeof fileChanges !== 'object' || fileChanges === null) return [];
  return Object.entries(fileChanges as Json).map(([path, change]) => {
    const type = typeof change?.type === 'string' ? change.type : (Object.keys(change ?? {})[0] ?? 'update');
    return { path, kind: { type }, diff: change?.unified_diff ?? change?.content ?? null };
  });
}

/** A unified diff for one fileChange change: Codex sends an added file's content, a deleted file's old content, and
 * an update's hunks without file headers. `codex exec` sends no diff at all (null). */
function changeDiff(change: Json, cwd: string | null): string | null {
  if (typeof change.diff !== 'string') return null;
  const kind = typeof change.kind === 'string' ? change.kind : change.kind?.type;
  const path = relativeTo(show(change.path ?? ''), cwd);
  if (kind === 'add') return wholeTextDiff(path, null, change.diff);
  const lines = change.diff === '' ? [] : change.diff.replace(/\n$/, '').split('\n');
  if (kind === 'delete') return `--- a/${path}\n+++ /dev/null\n@@ -${lines.length ? 1 : 0},${lines.length} +0,0 @@\n${lines.map((line: string) => `-${line}\n`).join('')}`;
  const movedTo = typeof change.kind?.move_path === 'string' ? relativeTo(change.kind.move_path, cwd) : path;
  const body = change.diff.endsWith('\n') || change.diff === '' ? change.diff : `${change.diff}\n`;
  return body.startsWith('--- ') ? body : `--- a/${path}\n+++ b/${movedTo}\n${body}`;
}
