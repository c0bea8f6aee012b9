// Factory's `droid exec --output-format stream-json` → normalized entries. Lines: `system/init`, `message`
// (role user|assistant), `reasoning`, `tool_call` {id, toolName, parameters}, `tool_result` {id, isError, value |
// error}, `completion` {finalText, numTurns, durationMs, usage}, and `error` {source, message}; every line but
// `error` carries `session_id`. The shapes come from captures published by integrators (vibe-kanban's droid
// snapshots, droid 0.132.1 fixtures in another integrator's tests); fixtures/captures/droid/README.md names them.
// One droid build left `id` off tool results: those are matched to the oldest open call.
import type { ToolKind } from '../../protocol/entries.js';
import { agentSessionOnce, idCounter, isObject, num, own, parseObject, rawKeeper, str, systemInitInfo, toolCall, wholeTextDiff, type ToolCallDraft } from './common.js';
import type { EntryDraft, Normalizer } from './types.js';

type Json = Record<string, any>;

const TOOL_KINDS: Record<string, ToolKind> = {
  Execute: 'command',
  Read: 'read',
  LS: 'search',
  Glob: 'search',
  Grep: 'search',
  Edit: 'edit',
  MultiEdit: 'edit',
  Create: 'edit',
  ApplyPatch: 'edit',
  TodoWrite: 'todo',
  ExitSpecMode: 'todo',
  WebSearch: 'fetch',
  FetchUrl: 'fetch',
  Task: 'subagent',
};

/** The file an ApplyPatch input (`*** Update File: <path>`) changes. */
function patchPath(input: string): string | null {
  const match = /^\*\*\* (?:Update|Add|Delete) File: (.+)$/m.exec(input);
  return match ? match[1]!.trim() : null;
}

/** The tool-call entry for a droid `tool_call` line. */
export function droidToolCall(id: string, name: string, parameters: Json): ToolCallDraft {
  const kind = own(TOOL_KINDS, name) ?? 'other';
  let path: string | null = null;
  if (kind === 'read' || kind === 'edit') path = str(parameters.file_path) ?? str(parameters.path) ?? (name === 'ApplyPatch' && typeof parameters.input === 'string' ? patchPath(parameters.input) : null);
  const command = kind === 'command' ? str(parameters.command) : null;
  let diff: string | null = null;
  if (path && name === 'Create' && typeof parameters.content === 'string') diff = wholeTextDiff(path, null, parameters.content);
  if (path && name === 'Edit') {
    const before = str(parameters.old_str) ?? str(parameters.old_string);
    const after = str(parameters.new_str) ?? str(parameters.new_string);
    if (before !== null && after !== null) diff = wholeTextDiff(path, before, after);
  }
  if (path && name === 'MultiEdit') {
    const edits = (Array.isArray(parameters.edits) ? parameters.edits : Array.isArray(parameters.changes) ? parameters.changes : []) as Json[];
    diff = edits.map((e) => wholeTextDiff(path!, str(e.old_str) ?? str(e.old_string) ?? '', str(e.new_str) ?? str(e.new_string) ?? '')).join('') || null;
  }
  const title =
    str(parameters.summary) ?? command ?? path ?? str(parameters.directory_path) ?? str(parameters.pattern) ?? (Array.isArray(parameters.patterns) ? parameters.patterns.join(', ') : null) ?? str(parameters.query) ?? str(parameters.url);
  return toolCall({ toolCallId: id, name, kind, status: 'running', input: parameters, path, command, diff, title });
}

/** A fresh normalizer for one droid execution's raw log. */
export function createDroidNormalizer(): Normalizer {
  const raw = rawKeeper();
  const tools = new Map<string, ToolCallDraft>();
  const open: string[] = []; // call ids without a result yet, oldest first
  let lastAssistantText: string | null = null;
  let lastCancelled: string | null = null; // the call droid cancelled last, until the next call starts
  const nextId = idCounter();

  const sessionFrom = agentSessionOnce();

  const toolResult = (message: Json): EntryDraft[] => {
    let id = str(message.id);
    if (!id || !tools.has(id)) id = open[0] ?? id;
    if (!id) return [];
    const index = open.indexOf(id);
    if (index >= 0) open.splice(index, 1);
    const call = tools.get(id) ?? toolCall({ toolCallId: id, name: str(message.toolId) || 'unknown', kind: own(TOOL_KINDS, message.toolId) ?? 'other', status: 'running' });
    const value = message.value;
    const error = isObject(message.error) ? message.error : null;
    let output = typeof value === 'string' ? value : value !== undefined && value !== null ? JSON.stringify(value) : (str(error?.message) ?? (typeof message.error === 'string' ? message.error : null));
    let exitCode: number | null = null;
    let status: ToolCallDraft['status'] = message.isError === true ? 'failed' : 'succeeded';
    if (call.kind === 'command' && output) {
      const exit = /\[Process exited with code (-?\d+)\]\s*$/.exec(output);
      if (exit) {
        exitCode = Number(exit[1]);
        output = output.slice(0, exit.index).replace(/\n+$/, '\n');
        if (exitCode !== 0 && status === 'succeeded') status = 'failed';
      }
    }
    const entry: ToolCallDraft = { ...call, status, output, exitCode };
    tools.set(id, entry);
    // A failed call right before droid's own "insufficient permission" error line is the call droid refused.
    lastCancelled = status === 'failed' ? id : null;
    return [entry];
  };

  /** `error` lines; droid's own "Exec ended early: insufficient permission" (the run-level error, not a tool's output:
   * droid exec has no structured field for a refusal) explains the call that failed just before: it was denied. */
  const errorLine = (message: Json): EntryDraft[] => {
    const text = str(message.message) ?? str(message.error) ?? 'droid reported an error';
    const out: EntryDraft[] = [];
    const cancelled = lastCancelled ? tools.get(lastCancelled) : undefined;
    if (cancelled && /insufficient permission/i.test(text)) {
      const denied: ToolCallDraft = { ...cancelled, status: 'denied' };
      tools.set(cancelled.toolCallId, denied);
      out.push(denied);
    }
    lastCancelled = null;
    out.push({ id: nextId('error'), type: 'error', message: text });
    return out;
  };

  const completion = (message: Json): EntryDraft[] => {
    const usage = isObject(message.usage) ? message.usage : {};
    const out: EntryDraft[] = [];
    const finalText = str(message.finalText);
    // The final text repeats the last assistant message; it is new only when no message carried it.
    if (finalText && finalText !== lastAssistantText) out.push({ id: 'final', type: 'assistantMessage', text: finalText });
    out.push({
      id: nextId('usage'),
      type: 'usage',
      inputTokens: num(usage.input_tokens) ?? num(usage.inputTokens),
      outputTokens: num(usage.output_tokens) ?? num(usage.outputTokens),
      cacheReadTokens: num(usage.cache_read_input_tokens) ?? num(usage.cacheReadTokens),
      costUsd: num(message.total_cost_usd) ?? num(message.costUsd),
      durationMs: num(message.durationMs) ?? num(message.duration_ms),
    });
    return out;
  };

  return {
    get unknownLines() {
      return raw.count;
    },
    push(line, stream) {
      if (stream === 'stdin') return []; // the prompt, which the engine records as the turn's user message
      if (!line.trim()) return [];
      if (stream === 'stderr') return raw.keep(line, stream);
      const message = parseObject(line.trim());
      if (!message) return raw.keep(line, stream);
      const out = sessionFrom(message);
      switch (message.type) {
        case 'system':
          if (message.subtype !== 'init') return [...out, ...raw.keep(line, stream)];
          return [systemInitInfo(message), ...out];
        case 'message': {
          if (message.role === 'user') return out; // the prompt echoed back
          if (message.role !== 'assistant') return [...out, ...raw.keep(line, stream)];
          const text = str(message.text) ?? '';
          lastAssistantText = text;
          return [...out, { id: `message:${str(message.id) ?? nextId('message')}`, type: 'assistantMessage', text }];
        }
        case 'reasoning':
          return [...out, { id: `reasoning:${str(message.id) ?? nextId('reasoning')}`, type: 'thinking', text: str(message.text) ?? '' }];
        case 'tool_call': {
          const id = str(message.id) ?? nextId('call');
          const entry = droidToolCall(id, str(message.toolName) ?? str(message.toolId) ?? 'unknown', isObject(message.parameters) ? message.parameters : {});
          tools.set(id, entry);
          lastCancelled = null;
          if (!open.includes(id)) open.push(id);
          return [...out, entry];
        }
        case 'tool_result':
          return [...out, ...toolResult(message)];
        case 'completion':
          return [...out, ...completion(message)];
        case 'result': {
          // `-o json` prints one Claude-style result; accepted here too.
          const entries: EntryDraft[] = [{ id: nextId('usage'), type: 'usage', inputTokens: null, outputTokens: null, cacheReadTokens: null, costUsd: null, durationMs: num(message.duration_ms) }];
          if (message.is_error === true) entries.push({ id: nextId('error'), type: 'error', message: str(message.result) ?? str(message.error) ?? 'droid reported an error' });
          return [...out, ...entries];
        }
        case 'error':
          return [...out, ...errorLine(message)];
        default:
          // droid's own JSON log records ({level, error: {message}}) can reach stdout too.
          if (typeof message.level === 'string' && isObject(message.error) && typeof message.error.message === 'string') {
            return [...out, { id: nextId('error'), type: 'error', message: message.error.message }];
          }
          return [...out, ...raw.keep(line, stream)];
      }
    },
  };
}
