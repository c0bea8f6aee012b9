// OpenCode's `opencode run --format json` output → normalized entries. orchd drives OpenCode over ACP
// (src/executors/opencode.ts, normalized by acp.ts); this reads the one-shot `run` format, for logs recorded that way.
//
// Every line is `{type, timestamp, sessionID, part | error}`: `step_start`, `text` and `reasoning` (each printed once,
// complete), `tool_use` (printed only when the call has ended: `state.status` `completed` or `error`), `step_finish`
// (the step's tokens and cost), `error` (the API error that ended the run) and, in newer versions, `done`.
import type { ToolKind, ToolStatus } from '../../protocol/entries.js';
import { own, parseObject, rawKeeper, toolCall, wholeTextDiff, type ToolCallDraft } from './common.js';
import type { EntryDraft, Normalizer } from './types.js';

type Json = Record<string, any>;

const TOOL_KINDS: Record<string, ToolKind> = {
  bash: 'command',
  read: 'read',
  write: 'edit',
  edit: 'edit',
  multiedit: 'edit',
  patch: 'edit',
  apply_patch: 'edit',
  glob: 'search',
  grep: 'search',
  list: 'search',
  codesearch: 'search',
  webfetch: 'fetch',
  websearch: 'fetch',
  task: 'subagent',
  todowrite: 'todo',
  todoread: 'todo',
};

/** The entry kind of an OpenCode tool name. */
export function opencodeToolKind(name: string): ToolKind {
  return own(TOOL_KINDS, name) ?? 'other';
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);

/** A tool call that ended in `error` because OpenCode's permission module refused it (`run` rejects what would ask).
 * The `run` format has no structured field for this; `state.error` is then one of the module's own fixed messages
 * (packages/opencode/src/permission: RejectedError "The user rejected permission to use this specific tool call…",
 * CorrectedError "…with the following feedback: …", DeniedError "The user has specified a rule which prevents you from
 * using this specific tool call…"), matched whole from its start. A tool's own error (`EACCES: permission denied`, a
 * command's output) never starts so, and stays `failed`. */
const REJECTED = /^(Error: )?The user (rejected permission to use this specific tool call|has specified a rule which prevents you from using this specific tool call)/;

/** The tool-call entry for a `tool_use` part. */
export function opencodeToolCall(part: Json): ToolCallDraft {
  const name = str(part.tool) ?? 'unknown';
  const kind = opencodeToolKind(name);
  const state: Json = part.state ?? {};
  const input: Json = typeof state.input === 'object' && state.input !== null ? state.input : {};
  const metadata: Json = typeof state.metadata === 'object' && state.metadata !== null ? state.metadata : {};
  const error = str(state.error);
  let status: ToolStatus = state.status === 'completed' ? 'succeeded' : state.status === 'error' ? 'failed' : state.status === 'running' ? 'running' : 'pending';
  if (status === 'failed' && error && REJECTED.test(error)) status = 'denied';
  const path = str(input.filePath) ?? str(input.path) ?? str(metadata.filepath);
  const command = kind === 'command' ? str(input.command) : null;
  let diff: string | null = str(metadata.diff);
  if (!diff && path && name === 'write' && typeof input.content === 'string') diff = wholeTextDiff(path, null, input.content);
  if (!diff && path && name === 'edit' && typeof input.oldString === 'string' && typeof input.newString === 'string') diff = wholeTextDiff(path, input.oldString, input.newString);
  const exit = metadata.exit ?? metadata.exitCode;
  return toolCall({
    toolCallId: str(part.callID) ?? str(part.id) ?? 'unknown',
    name,
    kind,
    status,
    title: str(state.title) ?? command ?? path,
    input,
    output: str(state.output) ?? error,
    path,
    command,
    exitCode: kind === 'command' && typeof exit === 'number' ? exit : null,
    diff,
  });
}

/** The message of an `error` line: the API's message when there is one, else the error's name. */
export function opencodeErrorText(error: unknown): string {
  if (typeof error === 'string') return error;
  const value: Json = typeof error === 'object' && error !== null ? (error as Json) : {};
  const message = str(value.data?.message) ?? str(value.message);
  const status = num(value.data?.statusCode);
  const name = str(value.name);
  if (message) return status !== null ? `${message} (HTTP ${status})` : message;
  return name ?? 'OpenCode reported an error';
}

/** A fresh normalizer for one `opencode run --format json` execution's raw log. */
export function createOpencodeRunNormalizer(): Normalizer {
  const raw = rawKeeper();
  let sessionSeen: string | null = null;
  let usage: Extract<EntryDraft, { type: 'usage' }> | null = null;
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}-${++counter}`;

  const session = (message: Json): EntryDraft[] => {
    const id = str(message.sessionID) ?? str(message.part?.sessionID);
    if (!id || id === sessionSeen) return [];
    sessionSeen = id;
    return [{ id: 'agent-session', type: 'agentSession', agentSessionId: id }];
  };

  /** Steps add up: one usage entry for the run. */
  const stepFinish = (part: Json): EntryDraft[] => {
    const tokens: Json = part.tokens ?? {};
    const add = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : a + b);
    const base = usage ?? { id: 'usage', type: 'usage' as const, inputTokens: null, outputTokens: null, cacheReadTokens: null, costUsd: null, durationMs: null };
    usage = {
      ...base,
      inputTokens: add(base.inputTokens, num(tokens.input)),
      outputTokens: add(base.outputTokens, num(tokens.output)),
      cacheReadTokens: add(base.cacheReadTokens, num(tokens.cache?.read)),
      costUsd: add(base.costUsd, num(part.cost)),
    };
    return [usage];
  };

  const event = (message: Json): EntryDraft[] | null => {
    const part: Json = message.part ?? {};
    switch (message.type) {
      case 'step_start':
      case 'done':
        return [];
      case 'text':
        return typeof part.text === 'string' ? [{ id: str(part.id) ?? nextId('text'), type: 'assistantMessage', text: part.text }] : null;
      case 'reasoning':
        return typeof part.text === 'string' ? [{ id: str(part.id) ?? nextId('reasoning'), type: 'thinking', text: part.text }] : null;
      case 'tool_use':
        return part.type === 'tool' ? [opencodeToolCall(part)] : null;
      case 'step_finish':
        return stepFinish(part);
      case 'error':
        return [{ id: nextId('error'), type: 'error', message: opencodeErrorText(message.error) }];
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
      if (stream !== 'stdout') return raw.keep(line, stream);
      const message = parseObject(line);
      if (!message || typeof message.type !== 'string') return raw.keep(line, stream);
      const entries = event(message);
      if (entries === null) return raw.keep(line, stream);
      return [...session(message), ...entries];
    },
  };
}
