// Claude Code's headless stream-json (and formats that copy it: the scripted agent, Amp, Qwen) → normalized entries.
import type { ToolKind } from '../../protocol/entries.js';
import type { EntryDraft, Normalizer } from './types.js';

const TOOL_KINDS: Record<string, ToolKind> = {
  Bash: 'command',
  BashOutput: 'command',
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
  TodoWrite: 'todo',
  ExitPlanMode: 'todo',
};

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

/** A fresh normalizer for one execution's output. */
export function createClaudeNormalizer(): Normalizer {
  const tools = new Map<string, Extract<EntryDraft, { type: 'toolCall' }>>();
  let unknownLines = 0;
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}-${++counter}`;
  const raw = (line: string, stream: 'stdout' | 'stderr'): EntryDraft[] => {
    unknownLines++;
    return [{ id: nextId('raw'), type: 'raw', stream, line }];
  };

  return {
    get unknownLines() {
      return unknownLines;
    },
    push(line, stream) {
      if (!line.trim()) return [];
      if (stream === 'stderr') return raw(line, stream);
      let message: Json;
      try {
        message = JSON.parse(line) as Json;
      } catch {
        return raw(line, stream);
      }
      if (typeof message !== 'object' || message === null) return raw(line, stream);
      switch (message.type) {
        case 'system': {
          if (message.subtype !== 'init') return raw(line, stream);
          const out: EntryDraft[] = [{ id: 'system', type: 'systemInfo', model: message.model ?? null, tools: Array.isArray(message.tools) ? message.tools : [], cwd: message.cwd ?? null }];
          if (typeof message.session_id === 'string') out.push({ id: 'agent-session', type: 'agentSession', agentSessionId: message.session_id });
          return out;
        }
        case 'assistant': {
          const content = message.message?.content;
          if (!Array.isArray(content)) return raw(line, stream);
          const messageId = message.message?.id ?? nextId('msg');
          const out: EntryDraft[] = [];
          content.forEach((block: Json, index: number) => {
            const id = `${messageId}:${index}`;
            if (block.type === 'text') out.push({ id, type: 'assistantMessage', text: block.text ?? '' });
            else if (block.type === 'thinking') out.push({ id, type: 'thinking', text: block.thinking ?? '' });
            else if (block.type === 'tool_use') {
              const input = block.input ?? {};
              const entry: Extract<EntryDraft, { type: 'toolCall' }> = {
                id: `tool:${block.id}`,
                type: 'toolCall',
                toolCallId: block.id,
                name: block.name ?? 'unknown',
                kind: toolKind(block.name ?? ''),
                status: 'pending',
                input,
                output: null,
                path: typeof input.file_path === 'string' ? input.file_path : typeof input.path === 'string' ? input.path : null,
                command: typeof input.command === 'string' ? input.command : null,
              };
              tools.set(block.id, entry);
              out.push(entry);
            } else out.push(...raw(JSON.stringify(block), stream));
          });
          if (message.message?.error || message.error) out.push({ id: `${messageId}:error`, type: 'error', message: String(message.message?.error ?? message.error) });
          return out;
        }
        case 'user': {
          const content = message.message?.content;
          if (typeof content === 'string') return [{ id: message.uuid ?? nextId('user'), type: 'userMessage', text: content }];
          if (!Array.isArray(content)) return raw(line, stream);
          const out: EntryDraft[] = [];
          for (const block of content as Json[]) {
            if (block.type === 'tool_result') {
              const call = tools.get(block.tool_use_id);
              const output = text(block.content);
              const denied = block.is_error && /denied|not allowed|permission/i.test(output);
              const status = denied ? 'denied' : block.is_error ? 'failed' : 'succeeded';
              const updated: Extract<EntryDraft, { type: 'toolCall' }> = call
                ? { ...call, status, output }
                : { id: `tool:${block.tool_use_id}`, type: 'toolCall', toolCallId: block.tool_use_id, name: 'unknown', kind: 'other', status, input: null, output, path: null, command: null };
              tools.set(block.tool_use_id, updated);
              out.push(updated);
            } else if (block.type === 'text') out.push({ id: message.uuid ? `${message.uuid}` : nextId('user'), type: 'userMessage', text: block.text ?? '' });
            else out.push(...raw(JSON.stringify(block), stream));
          }
          return out;
        }
        case 'result': {
          const usage = message.usage ?? {};
          const out: EntryDraft[] = [
            {
              id: nextId('usage'),
              type: 'usage',
              inputTokens: typeof usage.input_tokens === 'number' ? usage.input_tokens : null,
              outputTokens: typeof usage.output_tokens === 'number' ? usage.output_tokens : null,
              costUsd: typeof message.total_cost_usd === 'number' ? message.total_cost_usd : null,
              durationMs: typeof message.duration_ms === 'number' ? message.duration_ms : null,
            },
          ];
          if (message.is_error) out.push({ id: nextId('error'), type: 'error', message: String(message.result ?? message.subtype ?? 'the agent reported an error') });
          return out;
        }
        default:
          return raw(line, stream);
      }
    },
  };
}
