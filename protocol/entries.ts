// Normalized conversation entries: one schema for every agent. Entries have stable ids and are upserted, so a tool
// call can appear pending and later complete. Raw output stays the source of truth; entries are derived from it.
import * as v from 'valibot';
import { Id } from './common.js';

export const TOOL_KINDS = ['read', 'edit', 'command', 'search', 'fetch', 'subagent', 'todo', 'other'] as const;
export const TOOL_STATUSES = ['pending', 'awaitingApproval', 'running', 'succeeded', 'failed', 'denied'] as const;

const Base = {
  id: v.pipe(v.string(), v.description('Stable within the session: an upsert with the same id replaces the entry')),
  executionId: Id,
};

export const NormalizedEntry = v.variant('type', [
  v.strictObject({ ...Base, type: v.literal('userMessage'), text: v.string() }),
  v.strictObject({ ...Base, type: v.literal('assistantMessage'), text: v.string() }),
  v.strictObject({ ...Base, type: v.literal('thinking'), text: v.string() }),
  v.strictObject({
    ...Base,
    type: v.literal('toolCall'),
    toolCallId: v.string(),
    name: v.string(),
    kind: v.picklist(TOOL_KINDS),
    status: v.picklist(TOOL_STATUSES),
    title: v.pipe(v.nullable(v.string()), v.description('A one-line summary for people: the command line, the path, the query')),
    input: v.unknown(),
    output: v.pipe(v.nullable(v.string()), v.description('What the tool returned (a command: its output), as text')),
    path: v.pipe(v.nullable(v.string()), v.description('For read and edit: the file')),
    command: v.pipe(v.nullable(v.string()), v.description('For command: the command line')),
    exitCode: v.pipe(v.nullable(v.number()), v.description('For command: its exit code, when the agent reports it')),
    diff: v.pipe(v.nullable(v.string()), v.description('For edit: a unified diff of the change, when it can be derived from the input')),
  }),
  v.strictObject({ ...Base, type: v.literal('error'), message: v.string() }),
  v.strictObject({
    ...Base,
    type: v.literal('systemInfo'),
    model: v.nullable(v.string()),
    tools: v.array(v.string()),
    cwd: v.nullable(v.string()),
    agentVersion: v.nullable(v.string()),
  }),
  v.strictObject({
    ...Base,
    type: v.literal('usage'),
    inputTokens: v.nullable(v.number()),
    outputTokens: v.nullable(v.number()),
    cacheReadTokens: v.nullable(v.number()),
    costUsd: v.nullable(v.number()),
    durationMs: v.nullable(v.number()),
  }),
  v.strictObject({ ...Base, type: v.literal('agentSession'), agentSessionId: v.string() }),
  v.strictObject({ ...Base, type: v.literal('raw'), stream: v.picklist(['stdout', 'stderr', 'stdin']), line: v.string() }),
]);

export const SessionEntriesParams = v.strictObject({
  sessionId: Id,
  sinceIndex: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.description('Return entries whose position is greater than this')), 0),
  sinceSeq: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.description('Return only entries upserted by an event after this seq (e.g. the `seq` of an earlier call, or the last event a host saw)'),
    ),
  ),
});

export const SessionEntriesResult = v.strictObject({
  entries: v.array(v.strictObject({ index: v.number(), entry: NormalizedEntry })),
  unknownLines: v.pipe(v.number(), v.description('Lines the normalizer did not understand; each is kept as a `raw` entry')),
  seq: v.pipe(v.number(), v.description('The event log position this answer covers: subscribe with `sinceSeq: seq` to get every later `session/entryUpserted`')),
});

export type NormalizedEntry = v.InferOutput<typeof NormalizedEntry>;
export type ToolCallEntry = Extract<NormalizedEntry, { type: 'toolCall' }>;
export type ToolStatus = (typeof TOOL_STATUSES)[number];
export type ToolKind = (typeof TOOL_KINDS)[number];
