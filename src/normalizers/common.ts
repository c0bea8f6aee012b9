// Small pieces every normalizer shares: building tool-call entries with every field set, raw entries for lines
// that were not understood and for the agent's stderr diagnostics, a unified diff for edit tools that carry old and
// new text, typed reads of JSON values, the agent's timestamps on entries, per-turn figures from running totals, and
// the session and system-info entries of the stream-json formats (Cursor, Droid).
import type { ToolCallEntry, ToolKind, ToolStatus } from '../../protocol/entries.js';
import type { EntryDraft, RawStream, UsageBaseline, UsageFigures } from './types.js';

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

/** Counts lines kept raw; each becomes a `raw` entry with its own id. A stderr line is the agent's diagnostic: a `raw`
 * entry of kind `diagnostic` (its own id series), not counted as unknown. */
export function rawKeeper(): { keep(line: string, stream: RawStream): EntryDraft[]; diagnostic(line: string): EntryDraft[]; readonly count: number } {
  let count = 0;
  let diagnostics = 0;
  const diagnostic = (line: string): EntryDraft[] => {
    diagnostics++;
    return [{ id: `stderr-${diagnostics}`, type: 'raw', stream: 'stderr', line, kind: 'diagnostic' }];
  };
  return {
    keep(line, stream) {
      if (stream === 'stderr') return diagnostic(line);
      count++;
      return [{ id: `raw-${count}`, type: 'raw', stream, line }];
    },
    diagnostic,
    get count() {
      return count;
    },
  };
}

/** A minimal unified diff of replacing `before` with `after` in `path` (one hunk of the whole text). A `before` that is
 * not a string (a malformed line) counts as a new file. */
export function wholeTextDiff(path: string, before: string | null, after: string): string {
  const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
  const old = typeof before === 'string' ? lines(before) : [];
  if (typeof before !== 'string') before = null;
  const next = typeof after === 'string' ? lines(after) : [];
  const header = before === null ? `--- /dev/null\n+++ b/${path}\n` : `--- a/${path}\n+++ b/${path}\n`;
  const hunk = `@@ -${old.length ? 1 : 0},${old.length} +${next.length ? 1 : 0},${next.length} @@\n`;
  return header + hunk + old.map((l) => `-${l}\n`).join('') + next.map((l) => `+${l}\n`).join('');
}

/** `value` as an ISO 8601 UTC timestamp when it is a date string (or epoch milliseconds) a Date reads, else null. */
export function isoTime(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The agent's timestamps on entries: an entry takes the timestamp of the line that last changed it, and keeps it when a
 * later line without a timestamp changes it again. */
export function timestamps(): (entries: EntryDraft[], at: string | null) => EntryDraft[] {
  const byId = new Map<string, string>();
  return (entries, at) =>
    entries.map((entry) => {
      if (at) byId.set(entry.id, at);
      const known = byId.get(entry.id);
      return known ? { ...entry, at: known } : entry;
    });
}

/** `next - previous`, for figures an agent reports as running totals; a total below the previous one means the agent's
 * count started again, so it is the turn's own. */
export function added(previous: number | null, next: number | null): number | null {
  if (next === null) return null;
  if (previous === null || next < previous) return next;
  return next - previous;
}

/** Per-turn figures from an agent's running totals over its session. Each `turn` call takes the latest totals and
 * returns what they added; the first one is measured against `baseline` when the log continues the baseline's agent
 * session (the earlier turns of the session, in earlier processes), else taken as is. */
export function runningTotals(baseline: UsageBaseline | null | undefined): { turn(totals: UsageFigures, agentSessionId: string | null): UsageFigures } {
  let previous: UsageFigures | null = null;
  return {
    turn(totals, agentSessionId) {
      const base = previous ?? (baseline && agentSessionId === baseline.agentSessionId ? baseline : null);
      previous = totals;
      if (!base) return totals;
      return {
        inputTokens: added(base.inputTokens, totals.inputTokens),
        outputTokens: added(base.outputTokens, totals.outputTokens),
        cacheReadTokens: added(base.cacheReadTokens, totals.cacheReadTokens),
        costUsd: added(base.costUsd, totals.costUsd),
      };
    },
  };
}

/** Ids for entries the agent gives no id: `<prefix>-<n>`, counted per prefix, so a line that yields (or stops
 * yielding) one kind of entry does not renumber the others. */
export function idCounter(): (prefix: string) => string {
  const counters = new Map<string, number>();
  return (prefix) => {
    const next = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, next);
    return `${prefix}-${next}`;
  };
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

/** `table[key]` when the table itself has that key (never a property of Object.prototype such as `constructor`). */
export function own<T>(table: Record<string, T>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A JSON value as text, never calling its `toString` (a parsed `{"toString": null}` makes String() throw). */
export function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** `value` if it is a string, else null. */
export const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** `value` if it is a finite number, else null. */
export const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Whether `value` is a JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The path relative to `cwd` when it lies inside it. */
export function relativeTo(path: string, cwd: string | null): string {
  const base = cwd?.replace(/\/$/, '');
  if (base && path.startsWith(`${base}/`)) return path.slice(base.length + 1);
  return path;
}

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
