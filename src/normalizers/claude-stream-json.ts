// Claude Code's stream-json (and formats that copy it: the scripted agent, Qwen) → normalized entries. It reads
// both sides of the raw log: the agent's stdout (messages, partial-message stream events, permission requests) and
// orchd's stdin lines (the answers to those requests), so an approval's outcome is part of the replayable record.
import type { ToolKind } from '../../protocol/entries.js';
import { parseObject, rawKeeper, toolCall, wholeTextDiff, type ToolCallDraft } from './common.js';
import type { EntryDraft, Normalizer } from './types.js';

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
  return TOOL_KINDS[name] ?? 'other';
}

type Json = Record<string, any>;

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((block) => (typeof block === 'string' ? block : typeof block?.text === 'string' ? block.text : '')).join('');
  return '';
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);

/** The tool-call entry for a `tool_use` block. */
export function claudeToolCall(id: string, name: string, input: Json): ToolCallDraft {
  const kind = toolKind(name);
  const path = str(input.file_path) ?? str(input.notebook_path) ?? str(input.path);
  const command = kind === 'command' ? str(input.command) : null;
  let diff: string | null = null;
  if (path && (name === 'Write' || name === 'write_file') && typeof input.content === 'string') diff = wholeTextDiff(path, null, input.content);
  if (path && name === 'Edit' && typeof input.old_string === 'string' && typeof input.new_string === 'string') diff = wholeTextDiff(path, input.old_string, input.new_string);
  const title = command ?? path ?? str(input.pattern) ?? str(input.url) ?? str(input.query) ?? str(input.description) ?? null;
  return toolCall({ toolCallId: id, name, kind, status: 'pending', input, path, command, diff, title });
}

/** A fresh normalizer for one execution's raw log. */
export function createClaudeNormalizer(): Normalizer {
  const tools = new Map<string, ToolCallDraft>();
  const approvals = new Map<string, string>(); // control request id → tool_use id
  const blocksSeen = new Map<string, number>(); // message id → blocks seen on assistant lines
  const partial = new Map<string, { id: string; type: 'assistantMessage' | 'thinking'; text: string }>(); // `${message}:${index}`
  let streamingMessage: string | null = null;
  const raw = rawKeeper();
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}-${++counter}`;

  const update = (toolUseId: string, changes: Partial<ToolCallDraft>): EntryDraft[] => {
    const call = tools.get(toolUseId) ?? toolCall({ toolCallId: toolUseId, name: 'unknown', kind: 'other', status: 'pending' });
    const next = { ...call, ...changes };
    tools.set(toolUseId, next);
    return [next];
  };

  const assistant = (message: Json, line: string): EntryDraft[] => {
    const content = message.message?.content;
    if (!Array.isArray(content)) return raw.keep(line, 'stdout');
    const messageId: string = message.message?.id ?? nextId('msg');
    const out: EntryDraft[] = [];
    for (const block of content as Json[]) {
      // Real Claude writes one line per content block, all with the same message id: count blocks per message.
      const index = blocksSeen.get(messageId) ?? 0;
      blocksSeen.set(messageId, index + 1);
      const id = `${messageId}:${index}`;
      if (block.type === 'text') out.push({ id, type: 'assistantMessage', text: block.text ?? '' });
      else if (block.type === 'thinking' || block.type === 'redacted_thinking') out.push({ id, type: 'thinking', text: block.thinking ?? '' });
      else if (block.type === 'tool_use' || block.type === 'server_tool_use') {
        const existing = tools.get(block.id);
        const call = claudeToolCall(block.id, block.name ?? 'unknown', block.input ?? {});
        // A permission request may already have moved it on; keep that status.
        const entry = existing ? { ...call, status: existing.status } : call;
        tools.set(block.id, entry);
        out.push(entry);
      } else out.push(...raw.keep(JSON.stringify(block), 'stdout'));
    }
    const error = message.error ?? message.message?.error;
    if (error) out.push({ id: `${messageId}:error`, type: 'error', message: text(content) || String(error) });
    return out;
  };

  const toolResults = (message: Json, line: string): EntryDraft[] => {
    const content = message.message?.content;
    if (typeof content === 'string') return [{ id: message.uuid ?? nextId('user'), type: 'userMessage', text: content }];
    if (!Array.isArray(content)) return raw.keep(line, 'stdout');
    const out: EntryDraft[] = [];
    for (const block of content as Json[]) {
      if (block.type === 'tool_result') {
        const call = tools.get(block.tool_use_id);
        const output = text(block.content);
        const exit = /^Exit code (\d+)/.exec(output);
        const denied = call?.status === 'denied' || (block.is_error && /permission|haven't granted|denied/i.test(output));
        const status = denied ? 'denied' : block.is_error ? 'failed' : 'succeeded';
        const exitCode = call?.kind === 'command' && !denied ? (exit ? Number(exit[1]) : block.is_error ? null : 0) : null;
        out.push(...update(block.tool_use_id, { status, output, exitCode }));
      } else if (block.type === 'text') out.push({ id: message.uuid ?? nextId('user'), type: 'userMessage', text: block.text ?? '' });
      else out.push(...raw.keep(JSON.stringify(block), 'stdout'));
    }
    return out;
  };

  const streamEvent = (message: Json, line: string): EntryDraft[] => {
    const event = message.event ?? {};
    switch (event.type) {
      case 'message_start':
        streamingMessage = event.message?.id ?? nextId('msg');
        return [];
      case 'content_block_start': {
        const block = event.content_block ?? {};
        const type = block.type === 'text' ? 'assistantMessage' : block.type === 'thinking' ? 'thinking' : null;
        if (!type || !streamingMessage) return [];
        const id = `${streamingMessage}:${event.index}`;
        partial.set(id, { id, type, text: '' });
        return [];
      }
      case 'content_block_delta': {
        const entry = streamingMessage ? partial.get(`${streamingMessage}:${event.index}`) : undefined;
        const delta = event.delta ?? {};
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

  const controlRequest = (message: Json, line: string): EntryDraft[] => {
    const request = message.request ?? {};
    if (request.subtype !== 'can_use_tool') return [];
    const toolUseId: string = request.tool_use_id ?? `approval-${message.request_id}`;
    approvals.set(message.request_id, toolUseId);
    if (!tools.has(toolUseId)) tools.set(toolUseId, claudeToolCall(toolUseId, request.tool_name ?? 'unknown', request.input ?? {}));
    void line;
    return update(toolUseId, { status: 'awaitingApproval' });
  };

  const stdinLine = (line: string): EntryDraft[] => {
    const message = parseObject(line);
    if (!message) return raw.keep(line, 'stdin');
    if (message.type !== 'control_response') return []; // the prompt (recorded by the engine) and control requests
    const response = message.response ?? {};
    const toolUseId = approvals.get(response.request_id);
    if (!toolUseId) return [];
    const answer = response.response ?? {};
    if (response.subtype === 'success' && answer.behavior === 'allow') return update(toolUseId, { status: 'running' });
    return update(toolUseId, { status: 'denied', output: str(answer.message) ?? str(response.error) ?? 'denied' });
  };

  return {
    get unknownLines() {
      return raw.count;
    },
    push(line, stream) {
      if (!line.trim()) return [];
      if (stream === 'stderr') return raw.keep(line, stream);
      if (stream === 'stdin') return stdinLine(line);
      const message = parseObject(line);
      if (!message) return raw.keep(line, stream);
      switch (message.type) {
        case 'system': {
          if (message.subtype !== 'init') return QUIET_SYSTEM.has(message.subtype) ? [] : raw.keep(line, stream);
          const out: EntryDraft[] = [
            { id: 'system', type: 'systemInfo', model: str(message.model), tools: Array.isArray(message.tools) ? message.tools : [], cwd: str(message.cwd), agentVersion: str(message.claude_code_version) ?? str(message.qwen_code_version) },
          ];
          if (typeof message.session_id === 'string') out.push({ id: 'agent-session', type: 'agentSession', agentSessionId: message.session_id });
          return out;
        }
        case 'assistant':
          return assistant(message, line);
        case 'user':
          return toolResults(message, line);
        case 'stream_event':
          return streamEvent(message, line);
        case 'control_request':
          return controlRequest(message, line);
        case 'control_response':
        case 'control_cancel_request':
        case 'rate_limit_event':
        case 'keep_alive':
          return [];
        case 'result': {
          const usage = message.usage ?? {};
          const out: EntryDraft[] = [
            {
              id: nextId('usage'),
              type: 'usage',
              inputTokens: num(usage.input_tokens),
              outputTokens: num(usage.output_tokens),
              cacheReadTokens: num(usage.cache_read_input_tokens),
              costUsd: num(message.total_cost_usd),
              durationMs: num(message.duration_ms),
            },
          ];
          if (message.is_error) {
            const detail = message.result ?? message.error?.message ?? message.errors?.[0] ?? message.subtype ?? 'the agent reported an error';
            out.push({ id: nextId('error'), type: 'error', message: String(detail) });
          }
          return out;
        }
        default:
          return raw.keep(line, stream);
      }
    },
  };
}
