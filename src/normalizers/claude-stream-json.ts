// Claude Code's stream-json (and formats that copy it: the scripted agent, Qwen) → normalized entries. It reads
// both sides of the raw log: the agent's stdout (messages, partial-message stream events, permission requests) and
// orchd's stdin lines (the answers to those requests), so an approval's outcome is part of the replayable record.
//
// Tool call statuses come from structured fields only, never from words in a tool's output: `is_error` on the tool
// result (failed), the answer orchd wrote to a `can_use_tool` request (denied), and the `result` line's
// `permission_denials` (denied: Claude refused the call by its own permission mode; the tool result's text, which
// comes first, is the reason and stays the call's output). A Bash command's exit code is read from the `Exit code N`
// Claude puts first in a failed command's result.
//
// Usage: `result.usage` counts the turn; `total_cost_usd` is the process's running total (several turns in one stdio
// process), so a turn's cost is what it added. Qwen Code (`qwen_code_version` on init) reports `result.usage` as the
// running total of its session, across resumes, so its turns are differences too (see runningTotals in common.ts).
//
// The user line after a tool runs carries `tool_use_result`, the tool's structured result; for Bash
// `{stdout, stderr, interrupted, isImage, noOutputExpected, returnCodeInterpretation?, bashEditDiff?}`: the
// interruption and the files the command changed (`bashEditDiff.files[].hunks`, Claude Code 2.1.269 and later) go on
// the tool call. Lines may carry a `timestamp` (user lines since 2.1; newer versions stamp more lines): entries take it.
import type { ToolFileChange, ToolKind } from '../../protocol/entries.js';
import { idCounter, isObject, isoTime, own, parseObject, rawKeeper, relativeTo, show, runningTotals, timestamps, toolCall, wholeTextDiff, type ToolCallDraft } from './common.js';
import type { EntryDraft, Normalizer, NormalizerOptions } from './types.js';

const TOOL_KINDS: Record<string, ToolKind> = {
  Bash: 'command',
  BashOutput: 'command',
  KillShell: 'command',
  Read: 'read',
  NotebookRead: 'read',
  Write: 'edit',
  Edit: 'edit',
  MultiEdit: 'edit',
  NotebookEdit: 'edit',
  Grep: 'search',
  Glob: 'search',
  LS: 'search',
  WebFetch: 'fetch',
  WebSearch: 'fetch',
  Task: 'subagent',
  Agent: 'subagent',
  TodoWrite: 'todo',
  ExitPlanMode: 'todo',
  // Qwen Code (Gemini CLI's tool names) speaks the same stream-json.
  write_file: 'edit',
  edit: 'edit',
  replace: 'edit',
  read_file: 'read',
  read_many_files: 'read',
  run_shell_command: 'command',
  glob: 'search',
  grep_search: 'search',
  search_file_content: 'search',
  list_directory: 'search',
  web_fetch: 'fetch',
  web_search: 'fetch',
  todo_write: 'todo',
  task: 'subagent',
};

/** System subtypes that carry nothing for the conversation view. */
const QUIET_SYSTEM = new Set(['hook_started', 'hook_response', 'hook_progress', 'status', 'compact_boundary', 'session_state_changed', 'task_started', 'task_progress', 'task_notification', 'task_updated']);

/** The entry kind of a Claude tool name. */
export function toolKind(name: string): ToolKind {
  return own(TOOL_KINDS, name) ?? 'other';
}

type Json = Record<string, any>;

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((block) => (typeof block === 'string' ? block : typeof block?.text === 'string' ? block.text : '')).join('');
  return '';
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
/** An id the agent gave, when it is one (a string, or a number written as one). */
const idOf = (value: unknown): string | null => (typeof value === 'string' && value ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : null);

/** The tool-call entry for a `tool_use` block. */
export function claudeToolCall(id: string, name: string, input: unknown): ToolCallDraft {
  const kind = toolKind(name);
  const fields: Json = isObject(input) ? input : {};
  const path = str(fields.file_path) ?? str(fields.notebook_path) ?? str(fields.path);
  const command = kind === 'command' ? str(fields.command) : null;
  let diff: string | null = null;
  if (path && (name === 'Write' || name === 'write_file') && typeof fields.content === 'string') diff = wholeTextDiff(path, null, fields.content);
  if (path && (name === 'Edit' || name === 'replace') && typeof fields.old_string === 'string' && typeof fields.new_string === 'string') diff = wholeTextDiff(path, fields.old_string, fields.new_string);
  const title = command ?? path ?? str(fields.pattern) ?? str(fields.url) ?? str(fields.query) ?? str(fields.description) ?? null;
  return toolCall({ toolCallId: id, name, kind, status: 'pending', input: input ?? null, path, command, diff, title });
}

/** The files a Bash command changed, from Claude's `bashEditDiff` (`files[{filePath, hunks[{oldStart, oldLines,
 * newStart, newLines, lines}], created?, deleted?}]`, `changedFiles[]`), with a unified diff per file. */
export function bashChangedFiles(bashEditDiff: unknown, cwd: string | null): ToolFileChange[] {
  if (!isObject(bashEditDiff)) return [];
  const files: ToolFileChange[] = [];
  for (const file of Array.isArray(bashEditDiff.files) ? bashEditDiff.files : []) {
    if (!isObject(file) || typeof file.filePath !== 'string') continue;
    const path = relativeTo(file.filePath, cwd);
    const change = file.created === true ? 'created' : file.deleted === true ? 'deleted' : 'modified';
    const hunks = (Array.isArray(file.hunks) ? file.hunks : []).filter(isObject);
    const body = hunks
      .map((hunk) => {
        const lines = (Array.isArray(hunk.lines) ? hunk.lines : []).filter((l: unknown): l is string => typeof l === 'string');
        return `@@ -${num(hunk.oldStart) ?? 0},${num(hunk.oldLines) ?? 0} +${num(hunk.newStart) ?? 0},${num(hunk.newLines) ?? 0} @@\n${lines.map((l: string) => `${l}\n`).join('')}`;
      })
      .join('');
    const header = `${change === 'created' ? '--- /dev/null' : `--- a/${path}`}\n${change === 'deleted' ? '+++ /dev/null' : `+++ b/${path}`}\n`;
    files.push({ path, change, diff: body ? header + body : null });
  }
  for (const path of Array.isArray(bashEditDiff.changedFiles) ? bashEditDiff.changedFiles : []) {
    if (typeof path !== 'string') continue;
    const relative = relativeTo(path, cwd);
    if (!files.some((f) => f.path === relative)) files.push({ path: relative, change: 'modified', diff: null });
  }
  return files;
}

/** A fresh normalizer for one execution's raw log. */
export function createClaudeNormalizer(options: NormalizerOptions = {}): Normalizer {
  const tools = new Map<string, ToolCallDraft>();
  const approvals = new Map<unknown, string>(); // control request id → tool_use id
  const blocksSeen = new Map<string, number>(); // message id → blocks seen on assistant lines
  const partial = new Map<string, { id: string; type: 'assistantMessage' | 'thinking'; text: string }>(); // `${message}:${index}`
  let streamingMessage: string | null = null;
  const raw = rawKeeper();
  const stamp = timestamps();
  const nextId = idCounter();
  let cwd: string | null = null;
  let agentSessionId: string | null = null;
  let qwen = false;
  /** The process's running cost (Claude) or the session's running token counts (Qwen), turned into per-turn figures. */
  const processCost = runningTotals(null);
  const sessionTokens = runningTotals(options.usageBaseline);

  const update = (toolUseId: string, changes: Partial<ToolCallDraft>): EntryDraft[] => {
    const call = tools.get(toolUseId) ?? toolCall({ toolCallId: toolUseId, name: 'unknown', kind: 'other', status: 'pending' });
    const next = { ...call, ...changes };
    tools.set(toolUseId, next);
    return [next];
  };

  const assistant = (message: Json, line: string): EntryDraft[] => {
    const inner = isObject(message.message) ? message.message : {};
    const content = inner.content;
    if (!Array.isArray(content)) return raw.keep(line, 'stdout');
    const messageId = idOf(inner.id) ?? nextId('msg');
    const out: EntryDraft[] = [];
    for (const block of content as unknown[]) {
      if (!isObject(block)) {
        out.push(...raw.keep(JSON.stringify(block), 'stdout'));
        continue;
      }
      // Real Claude writes one line per content block, all with the same message id: count blocks per message.
      const index = blocksSeen.get(messageId) ?? 0;
      blocksSeen.set(messageId, index + 1);
      const id = `${messageId}:${index}`;
      if (block.type === 'text') out.push({ id, type: 'assistantMessage', text: str(block.text) ?? '' });
      else if (block.type === 'thinking' || block.type === 'redacted_thinking') out.push({ id, type: 'thinking', text: str(block.thinking) ?? '' });
      else if (block.type === 'tool_use' || block.type === 'server_tool_use') {
        const toolUseId = idOf(block.id) ?? `${messageId}:${index}`;
        const existing = tools.get(toolUseId);
        const call = claudeToolCall(toolUseId, str(block.name) ?? 'unknown', block.input ?? {});
        // A permission request may already have moved it on; keep that status.
        const entry = existing ? { ...call, status: existing.status } : call;
        tools.set(toolUseId, entry);
        out.push(entry);
      } else out.push(...raw.keep(JSON.stringify(block), 'stdout'));
    }
    const error = message.error ?? inner.error;
    if (error) out.push({ id: `${messageId}:error`, type: 'error', message: text(content) || (typeof error === 'string' ? error : JSON.stringify(error)) });
    return out;
  };

  /** What `tool_use_result` adds to a command's entry: the interruption, the files it changed, the output when the
   * tool result carried none. */
  const commandResult = (call: ToolCallDraft, detail: Json, output: string): Partial<ToolCallDraft> => {
    const changes: Partial<ToolCallDraft> = {};
    if (detail.interrupted === true) changes.interrupted = true;
    const files = bashChangedFiles(detail.bashEditDiff, cwd);
    if (files.length) {
      changes.changedFiles = files;
      const diffs = files.map((f) => f.diff).filter((d): d is string => d !== null);
      if (diffs.length && call.diff === null) changes.diff = diffs.join('');
    }
    if (!output) {
      const streams = [str(detail.stdout), str(detail.stderr)].filter((s): s is string => !!s);
      if (streams.length) changes.output = streams.join('\n');
    }
    return changes;
  };

  const toolResults = (message: Json, line: string): EntryDraft[] => {
    const inner = isObject(message.message) ? message.message : {};
    const content = inner.content;
    if (typeof content === 'string') return [{ id: idOf(message.uuid) ?? nextId('user'), type: 'userMessage', text: content }];
    if (!Array.isArray(content)) return raw.keep(line, 'stdout');
    // The structured result belongs to the line; it is a tool's only when the line carries one tool result.
    const results = content.filter((block) => isObject(block) && block.type === 'tool_result');
    const detail = results.length === 1 && isObject(message.tool_use_result) ? message.tool_use_result : null;
    const out: EntryDraft[] = [];
    for (const block of content as unknown[]) {
      if (!isObject(block)) {
        out.push(...raw.keep(JSON.stringify(block), 'stdout'));
        continue;
      }
      if (block.type === 'tool_result') {
        const toolUseId = idOf(block.tool_use_id) ?? nextId('tool');
        const call = tools.get(toolUseId);
        const output = text(block.content);
        const isError = block.is_error === true;
        const denied = call?.status === 'denied';
        let status: ToolCallDraft['status'] = denied ? 'denied' : isError ? 'failed' : 'succeeded';
        const exit = /^Exit code (\d+)/.exec(output);
        const isCommand = call?.kind === 'command';
        const exitCode = isCommand && !denied ? (exit ? Number(exit[1]) : isError ? null : 0) : null;
        const extra = isCommand && detail ? commandResult(call, detail, output) : {};
        if (extra.interrupted && status === 'succeeded') status = 'failed';
        out.push(...update(toolUseId, { status, output, exitCode, ...extra }));
      } else if (block.type === 'text') out.push({ id: idOf(message.uuid) ?? nextId('user'), type: 'userMessage', text: str(block.text) ?? '' });
      else out.push(...raw.keep(JSON.stringify(block), 'stdout'));
    }
    return out;
  };

  const streamEvent = (message: Json, line: string): EntryDraft[] => {
    const event: Json = isObject(message.event) ? message.event : {};
    switch (event.type) {
      case 'message_start':
        // Without the message's id the deltas could not be matched to the message's lines: they are skipped, and the
        // message arrives whole with its `assistant` line.
        streamingMessage = idOf(event.message?.id);
        return [];
      case 'content_block_start': {
        const block: Json = isObject(event.content_block) ? event.content_block : {};
        const type = block.type === 'text' ? 'assistantMessage' : block.type === 'thinking' ? 'thinking' : null;
        if (!type || !streamingMessage) return [];
        const id = `${streamingMessage}:${show(event.index)}`;
        partial.set(id, { id, type, text: '' });
        return [];
      }
      case 'content_block_delta': {
        const entry = streamingMessage ? partial.get(`${streamingMessage}:${show(event.index)}`) : undefined;
        const delta: Json = isObject(event.delta) ? event.delta : {};
        if (!entry) return [];
        const piece = delta.type === 'text_delta' ? delta.text : delta.type === 'thinking_delta' ? delta.thinking : null;
        if (typeof piece !== 'string' || !piece) return [];
        entry.text += piece;
        return [{ ...entry }];
      }
      case 'content_block_stop':
      case 'message_delta':
      case 'message_stop':
      case 'ping':
        return [];
      default:
        return raw.keep(line, 'stdout');
    }
  };

  const controlRequest = (message: Json): EntryDraft[] => {
    const request: Json = isObject(message.request) ? message.request : {};
    if (request.subtype !== 'can_use_tool') return [];
    const toolUseId = idOf(request.tool_use_id) ?? `approval-${String(idOf(message.request_id))}`;
    approvals.set(idOf(message.request_id), toolUseId);
    if (!tools.has(toolUseId)) tools.set(toolUseId, claudeToolCall(toolUseId, str(request.tool_name) ?? 'unknown', request.input ?? {}));
    return update(toolUseId, { status: 'awaitingApproval' });
  };

  const stdinLine = (line: string): EntryDraft[] => {
    const message = parseObject(line);
    if (!message) return raw.keep(line, 'stdin');
    if (message.type !== 'control_response') return []; // the prompt (recorded by the engine) and control requests
    const response: Json = isObject(message.response) ? message.response : {};
    const toolUseId = approvals.get(idOf(response.request_id));
    if (!toolUseId) return [];
    const answer: Json = isObject(response.response) ? response.response : {};
    if (response.subtype === 'success' && answer.behavior === 'allow') return update(toolUseId, { status: 'running' });
    return update(toolUseId, { status: 'denied', output: str(answer.message) ?? str(response.error) ?? 'denied' });
  };

  /** The calls Claude refused by its own permission mode: denied, whatever the tool result said before. */
  const denials = (message: Json): EntryDraft[] => {
    const out: EntryDraft[] = [];
    for (const denial of Array.isArray(message.permission_denials) ? message.permission_denials : []) {
      if (!isObject(denial)) continue;
      const toolUseId = idOf(denial.tool_use_id);
      if (!toolUseId) continue;
      const call = tools.get(toolUseId);
      if (call?.status === 'denied') continue;
      if (!call) tools.set(toolUseId, claudeToolCall(toolUseId, str(denial.tool_name) ?? 'unknown', denial.tool_input ?? {}));
      out.push(...update(toolUseId, { status: 'denied', exitCode: null }));
    }
    return out;
  };

  const result = (message: Json): EntryDraft[] => {
    const usage: Json = isObject(message.usage) ? message.usage : {};
    let tokens = { inputTokens: num(usage.input_tokens), outputTokens: num(usage.output_tokens), cacheReadTokens: num(usage.cache_read_input_tokens) };
    if (qwen) {
      const turn = sessionTokens.turn({ ...tokens, costUsd: null }, agentSessionId);
      tokens = { inputTokens: turn.inputTokens, outputTokens: turn.outputTokens, cacheReadTokens: turn.cacheReadTokens };
    }
    const out: EntryDraft[] = [
      ...denials(message),
      {
        id: nextId('usage'),
        type: 'usage',
        ...tokens,
        costUsd: processCost.turn({ inputTokens: null, outputTokens: null, cacheReadTokens: null, costUsd: num(message.total_cost_usd) }, null).costUsd,
        durationMs: num(message.duration_ms),
      },
    ];
    if (message.is_error) {
      const errors: unknown = message.errors;
      const detail = message.result ?? (isObject(message.error) ? message.error.message : message.error) ?? (Array.isArray(errors) ? errors[0] : undefined) ?? message.subtype ?? 'the agent reported an error';
      out.push({ id: nextId('error'), type: 'error', message: typeof detail === 'string' ? detail : JSON.stringify(detail) });
    }
    return out;
  };

  const stdoutLine = (line: string): EntryDraft[] => {
    const message = parseObject(line);
    if (!message) return raw.keep(line, 'stdout');
    const at = isoTime(message.timestamp);
    const entries = ((): EntryDraft[] => {
      switch (message.type) {
        case 'system': {
          if (message.subtype !== 'init') return typeof message.subtype === 'string' && QUIET_SYSTEM.has(message.subtype) ? [] : raw.keep(line, 'stdout');
          cwd = str(message.cwd) ?? cwd;
          qwen = typeof message.qwen_code_version === 'string';
          const out: EntryDraft[] = [
            {
              id: 'system',
              type: 'systemInfo',
              model: str(message.model),
              tools: Array.isArray(message.tools) ? message.tools.filter((t: unknown): t is string => typeof t === 'string') : [],
              cwd: str(message.cwd),
              agentVersion: str(message.claude_code_version) ?? str(message.qwen_code_version),
            },
          ];
          if (typeof message.session_id === 'string' && message.session_id) {
            agentSessionId = message.session_id;
            out.push({ id: 'agent-session', type: 'agentSession', agentSessionId: message.session_id });
          }
          return out;
        }
        case 'assistant':
          return assistant(message, line);
        case 'user':
          return toolResults(message, line);
        case 'stream_event':
          return streamEvent(message, line);
        case 'control_request':
          return controlRequest(message);
        case 'control_response':
        case 'control_cancel_request':
        case 'rate_limit_event':
        case 'keep_alive':
          return [];
        case 'result':
          return result(message);
        default:
          return raw.keep(line, 'stdout');
      }
    })();
    return stamp(entries, at);
  };

  return {
    get unknownLines() {
      return raw.count;
    },
    push(line, stream) {
      if (!line.trim()) return [];
      if (stream === 'stderr') return raw.diagnostic(line);
      if (stream === 'stdin') return stamp(stdinLine(line), null);
      return stdoutLine(line);
    },
  };
}
