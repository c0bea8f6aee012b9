// Gemini CLI's headless stream-json (`gemini -p "<prompt>" --output-format stream-json`) → normalized entries. orchd
// drives Gemini over ACP (src/executors/gemini.ts, normalized by acp.ts); this reads logs recorded the other way.
//
// One JSON object per line, each with `type` and an ISO `timestamp` (google-gemini/gemini-cli
// packages/core/src/output/types.ts; recorded in fixtures/captures/gemini/stream-json-*.jsonl with Gemini CLI 0.61):
// - `init {session_id, model}`
// - `message {role: "user" | "assistant", content, delta?: true}`: the prompt's echo, then the answer in delta chunks
// - `tool_use {tool_name, tool_id, parameters}` and `tool_result {tool_id, status: "success" | "error", output?,
//   error? {type, message}}`; a call the policy engine refused has `error.type` `policy_violation` (denied); every other
//   error type, `permission_denied` (a file the OS would not open) included, is a failed call
// - `error {severity: "warning" | "error", message}`
// - `result {status: "success" | "error", error? {type, message}, stats {total_tokens, input_tokens, output_tokens,
//   cached, input, duration_ms, tool_calls, models}}`: `stats` counts this process's requests (the model router's and
//   the main model's), so it is the turn's usage.
// No thinking is emitted in this format, and there is no approval channel (tools that would ask are refused).
import type { ToolKind } from '../../protocol/entries.js';
import { claudeToolCall, toolKind } from './claude-stream-json.js';
import { idCounter, isObject, isoTime, num, own, parseObject, rawKeeper, str, timestamps, wholeTextDiff, type ToolCallDraft } from './common.js';
import { acpErrorText, createAcpNormalizer } from './acp.js';
import type { EntryDraft, Normalizer } from './types.js';

type Json = Record<string, any>;

/** Gemini CLI tool names Claude's table does not know. */
const GEMINI_TOOL_KINDS: Record<string, ToolKind> = {
  google_web_search: 'fetch',
  write_todos: 'todo',
  save_memory: 'other',
  activate_skill: 'other',
};

/** The entry kind of a Gemini CLI tool name. */
export function geminiToolKind(name: string): ToolKind {
  return own(GEMINI_TOOL_KINDS, name) ?? toolKind(name);
}

/** Event types this format has: a log whose first line is one of these (with no JSON-RPC fields) is stream-json. */
export const GEMINI_STREAM_JSON_TYPES = new Set(['init', 'message', 'tool_use', 'tool_result', 'error', 'result']);

/** The tool-call entry for a `tool_use` event (Gemini's parameter names: `file_path` or `absolute_path`, `command`). */
function geminiToolCall(id: string, name: string, parameters: unknown): ToolCallDraft {
  const call = claudeToolCall(id, name, parameters);
  const fields: Json = isObject(parameters) ? parameters : {};
  const path = call.path ?? str(fields.absolute_path) ?? str(fields.dir_path);
  let diff = call.diff;
  if (!diff && path && name === 'replace' && typeof fields.old_string === 'string' && typeof fields.new_string === 'string') diff = wholeTextDiff(path, fields.old_string, fields.new_string);
  return { ...call, kind: geminiToolKind(name), path, diff, title: call.title ?? path };
}

/** An error's message: Gemini passes an API error through as `[API Error: <JSON body>]`; the body's message is read. */
function errorMessage(error: unknown, fallback: string): string {
  const message = isObject(error) ? str(error.message) : str(error);
  if (!message) return fallback;
  const api = /^\[API Error: (\{.*\})\]$/s.exec(message);
  return api ? acpErrorText(api[1]) : message;
}

/** A fresh normalizer for one `gemini -p … --output-format stream-json` execution's raw log. */
export function createGeminiStreamJsonNormalizer(): Normalizer {
  const raw = rawKeeper();
  const stamp = timestamps();
  const tools = new Map<string, ToolCallDraft>();
  let message: { id: string; text: string } | null = null; // the assistant message being streamed
  let sessionSeen = false;
  const nextId = idCounter();

  const event = (line: Json): EntryDraft[] | null => {
    switch (line.type) {
      case 'init': {
        const out: EntryDraft[] = [{ id: 'system', type: 'systemInfo', model: str(line.model), tools: [], cwd: null, agentVersion: null }];
        if (!sessionSeen && typeof line.session_id === 'string' && line.session_id) {
          sessionSeen = true;
          out.push({ id: 'agent-session', type: 'agentSession', agentSessionId: line.session_id });
        }
        return out;
      }
      case 'message': {
        if (line.role === 'user') {
          message = null;
          return []; // the prompt's echo: the engine records the prompt itself
        }
        if (line.role !== 'assistant' || typeof line.content !== 'string') return null;
        // Chunks (`delta: true`) add to the message being streamed; a whole message starts its own entry.
        if (!message || line.delta !== true) message = { id: nextId('message'), text: '' };
        message.text += line.content;
        const entry: EntryDraft = { id: message.id, type: 'assistantMessage', text: message.text };
        if (line.delta !== true) message = null;
        return [entry];
      }
      case 'tool_use': {
        message = null;
        const id = str(line.tool_id) ?? nextId('tool');
        const call = geminiToolCall(id, str(line.tool_name) ?? 'unknown', line.parameters ?? null);
        const entry = { ...call, status: 'running' as const };
        tools.set(id, entry);
        return [entry];
      }
      case 'tool_result': {
        message = null;
        const id = str(line.tool_id) ?? nextId('tool');
        const call = tools.get(id) ?? geminiToolCall(id, 'unknown', null);
        const error = isObject(line.error) ? line.error : null;
        const status = line.status === 'success' ? 'succeeded' : error?.type === 'policy_violation' ? 'denied' : 'failed';
        const output = str(line.output) ?? (error ? errorMessage(error, 'the tool failed') : null);
        // No exit code: Gemini's shell tool reports success for a command that exited non-zero (the code is in its text).
        const entry: ToolCallDraft = { ...call, status, output: output ?? call.output };
        tools.set(id, entry);
        return [entry];
      }
      case 'error': {
        message = null;
        const text = errorMessage(line.message, 'Gemini reported an error');
        return [{ id: nextId('error'), type: 'error', message: line.severity === 'warning' ? `Warning: ${text}` : text }];
      }
      case 'result': {
        message = null;
        const out: EntryDraft[] = [];
        // A turn that ended before a tool reported back: the call did not finish.
        for (const [id, call] of tools) {
          if (call.status !== 'running' && call.status !== 'pending') continue;
          const ended: ToolCallDraft = { ...call, status: 'failed' };
          tools.set(id, ended);
          out.push(ended);
        }
        if (line.status === 'error') out.push({ id: nextId('error'), type: 'error', message: errorMessage(line.error, 'Gemini reported an error') });
        const stats: Json = isObject(line.stats) ? line.stats : {};
        const cached = num(stats.cached);
        const input = num(stats.input) ?? (num(stats.input_tokens) !== null ? num(stats.input_tokens)! - (cached ?? 0) : null);
        out.push({ id: nextId('usage'), type: 'usage', inputTokens: input, outputTokens: num(stats.output_tokens), cacheReadTokens: cached, costUsd: null, durationMs: num(stats.duration_ms) });
        return out;
      }
      default:
        return null;
    }
  };

  return {
    get unknownLines() {
      return raw.count;
    },
    push(line, stream) {
      if (!line.trim()) return [];
      if (stream === 'stderr') return raw.diagnostic(line);
      if (stream === 'stdin') return []; // nothing is written to a one-shot run but, at most, the prompt
      // Gemini may print a notice in front of the first JSON line ("MCP issues detected…"): read from the first `{`.
      const start = line.indexOf('{');
      const parsed = start >= 0 ? parseObject(line.slice(start)) : null;
      const entries = parsed ? event(parsed) : null;
      if (!parsed || entries === null) return raw.keep(line, stream);
      return stamp(entries, isoTime(parsed.timestamp));
    },
  };
}

/**
 * The normalizer of the `gemini` executor: Gemini logs come in two formats, ACP (`gemini --acp`, what orchd runs) and
 * headless stream-json (`gemini -p … --output-format stream-json`, a log recorded outside orchd or by an older setup).
 * The first line that can only be one of them decides: a JSON-RPC message (a `method`, or an `id` with `result` or
 * `error`) is ACP, a stream-json event type is stream-json; lines before it are kept raw. stderr lines are the agent's
 * diagnostics in both.
 */
export function createGeminiNormalizer(): Normalizer {
  const before = rawKeeper(); // lines before the format is known, and stderr
  let chosen: Normalizer | null = null;

  const choose = (message: Json): Normalizer | null => {
    const jsonRpc = typeof message.method === 'string' || ('id' in message && ('result' in message || 'error' in message));
    if (jsonRpc) return createAcpNormalizer();
    return typeof message.type === 'string' && GEMINI_STREAM_JSON_TYPES.has(message.type) ? createGeminiStreamJsonNormalizer() : null;
  };

  return {
    get unknownLines() {
      return before.count + (chosen?.unknownLines ?? 0);
    },
    push(line, stream) {
      if (!line.trim()) return [];
      if (stream === 'stderr') return before.diagnostic(line);
      if (!chosen) {
        const start = line.indexOf('{');
        const message = start >= 0 ? parseObject(line.slice(start)) : null;
        chosen = message && choose(message);
        if (!chosen) return before.keep(line, stream).map((entry) => ({ ...entry, id: `pre-${entry.id}` }));
      }
      return chosen.push(line, stream);
    },
  };
}
