// Small pieces every normalizer shares: building tool-call entries with every field set, raw entries for lines
// that were not understood, a unified diff for edit tools that carry old and new text, typed reads of JSON values,
// and the session and system-info entries of the stream-json formats (Cursor, Droid).
import type { ToolCallEntry, ToolKind, ToolStatus } from '../../protocol/entries.js';
import type { EntryDraft, RawStream } from './types.js';

export type ToolCallDraft = Omit<ToolCallEntry, 'executionId'>;

/** A tool-call entry; fields not given are null. `id` defaults to `tool:<toolCallId>`. */
export function toolCall(fields: { toolCallId: string; name: string; kind: ToolKind; status: ToolStatus } & Partial<Omit<ToolCallDraft, 'type'>>): ToolCallDraft {
  return {
    id: fields.id ?? `tool:${fields.toolCallId}`,
    type: 'toolCall',
    toolCallId: fields.toolCallId,
    name: fields.name,
    kind: fields.kind,
    status: fields.status,
    title: fields.title ?? null,
    input: fields.input ?? null,
    output: fields.output ?? null,
    path: fields.path ?? null,
    command: fields.command ?? null,
    exitCode: fields.exitCode ?? null,
    diff: fields.diff ?? null,
  };
}

/** Counts lines kept raw; each becomes a `raw` entry with its own id. */
export function rawKeeper(): { keep(line: string, stream: RawStream): EntryDraft[]; readonly count: number } {
  let count = 0;
  return {
    keep(line, stream) {
      count++;
      return [{ id: `raw-${count}`, type: 'raw', stream, line }];
    },
    get count() {
      return count;
    },
  };
}

/** A minimal unified diff of replacing `before` with `after` in `path` (one hunk of the whole text). */
export function wholeTextDiff(path: string, before: string | null, after: string): string {
  const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
  const old = before === null ? [] : lines(before);
  const next = lines(after);
  const header = before === null ? `--- /dev/null\n+++ b/${path}\n` : `--- a/${path}\n+++ b/${path}\n`;
  const hunk = `@@ -${old.length ? 1 : 0},${old.length} +${next.length ? 1 : 0},${next.length} @@\n`;
  return header + hunk + old.map((l) => `-${l}\n`).join('') + next.map((l) => `+${l}\n`).join('');
}

/** Parse a JSON line into an object, or null. */
export function parseObject(line: string): Record<string, any> | null {
  if (!line.startsWith('{')) return null;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, any>) : null;
  } catch {
    return null;
  }
}

/** `value` if it is a string, else null. */
export const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** `value` if it is a finite number, else null. */
export const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Whether `value` is a JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Per raw log: the `agentSession` entry for the first line whose `session_id` is a non-empty string, nothing after. */
export function agentSessionOnce(): (message: Record<string, any>) => EntryDraft[] {
  let seen = false;
  return (message) => {
    if (seen || typeof message.session_id !== 'string' || !message.session_id) return [];
    seen = true;
    return [{ id: 'agent-session', type: 'agentSession', agentSessionId: message.session_id }];
  };
}

/** The `systemInfo` entry of a stream-json `system/init` line: model, the tool names that are strings, cwd. */
export function systemInitInfo(message: Record<string, any>): EntryDraft {
  return { id: 'system', type: 'systemInfo', model: str(message.model), tools: Array.isArray(message.tools) ? message.tools.filter((t: unknown) => typeof t === 'string') : [], cwd: str(message.cwd), agentVersion: null };
}
