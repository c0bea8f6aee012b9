// Normalized conversation entries: one schema for every agent. Entries have stable ids and are upserted, so a tool
// call can appear pending and later complete. Raw output stays the source of truth; entries are derived from it.
// Fields added after protocol 1 are optional, so a host built against the first schema reads every entry.
import * as v from 'valibot';
import { Id } from './common.js';

export const TOOL_KINDS = ['read', 'edit', 'command', 'search', 'fetch', 'subagent', 'todo', 'other'] as const;
export const TOOL_STATUSES = ['pending', 'awaitingApproval', 'running', 'succeeded', 'failed', 'denied'] as const;

const Base = {
  id: v.pipe(v.string(), v.description('Stable within the session: an upsert with the same id replaces the entry')),
  executionId: Id,
  at: v.optional(
    v.pipe(
      v.string(),
      v.description("When the agent stamped the line that last changed this entry (ISO 8601, UTC), for agents whose output carries timestamps (Claude Code's `timestamp`, Gemini's stream-json); absent otherwise"),
    ),
  ),
  truncated: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.description(
        "Present when this entry comes from an agent line longer than orchd keeps whole (10 MB): the line's structure was kept, its long strings were cut, each one ending with `…[orchd: cut N bytes]`; this is how many bytes were cut in all. The raw output keeps what was captured",
      ),
    ),
  ),
};

/** A file a tool call changed, as the agent reported it. */
export const ToolFileChange = v.strictObject({
  path: v.pipe(v.string(), v.description('Relative to the session working directory when it lies inside it')),
  change: v.picklist(['created', 'modified', 'deleted']),
  diff: v.pipe(v.nullable(v.string()), v.description('A unified diff of the change, when the agent reports its hunks')),
});

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
    diff: v.pipe(
      v.nullable(v.string()),
      v.description('For edit: a unified diff of the change, when it can be derived from the input; for a command that changed files, the diff the agent reported (see `changedFiles`)'),
    ),
    interrupted: v.optional(v.pipe(v.boolean(), v.description('For command: the agent reported that the command was interrupted before it finished (Claude Code\'s Bash `interrupted`)'))),
    changedFiles: v.optional(
      v.pipe(v.array(ToolFileChange), v.description("For command: the files the command created, changed or deleted, as the agent reported them (Claude Code's Bash `bashEditDiff`)")),
    ),
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
  v.pipe(
    v.strictObject({
      ...Base,
      type: v.literal('usage'),
      inputTokens: v.pipe(v.nullable(v.number()), v.description('Input tokens of this turn that were not read from a cache')),
      outputTokens: v.pipe(v.nullable(v.number()), v.description('Output tokens of this turn')),
      cacheReadTokens: v.pipe(v.nullable(v.number()), v.description('Input tokens of this turn read from a cache')),
      costUsd: v.pipe(v.nullable(v.number()), v.description('What this turn cost, when the agent reports a cost')),
      durationMs: v.pipe(v.nullable(v.number()), v.description('How long this turn took, as the agent reports it')),
    }),
    v.description(
      "One turn's usage: each usage entry counts only its own turn, so a session's usage is the sum of its usage entries (`session/get` returns that sum as `session.usage`). Agents that report running totals instead (Codex `exec --json` after a resume, Qwen Code's `result.usage`, Claude Code's `total_cost_usd` in a process that runs several turns) are turned into per-turn figures: the difference from the previous total the same raw log reported, and, for a turn that resumed the agent's session in a new process, from the sum of the session's earlier usage entries on that agent session",
    ),
  ),
  v.strictObject({ ...Base, type: v.literal('agentSession'), agentSessionId: v.string() }),
  v.strictObject({
    ...Base,
    type: v.literal('raw'),
    stream: v.picklist(['stdout', 'stderr', 'stdin']),
    line: v.string(),
    kind: v.optional(
      v.pipe(
        v.picklist(['unknown', 'diagnostic']),
        v.description("`diagnostic`: a line the agent wrote to stderr (its logs and warnings, e.g. Codex's `Reading additional input from stdin...`), not counted in `unknownLines`; `unknown` (or absent): a line the normalizer did not understand"),
      ),
    ),
  }),
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
  unknownLines: v.pipe(v.number(), v.description("Lines the normalizer did not understand; each is kept as a `raw` entry (the agent's stderr diagnostics are `raw` entries of kind `diagnostic` and are not counted)")),
  seq: v.pipe(v.number(), v.description('The event log position this answer covers: subscribe with `sinceSeq: seq` to get every later `session/entryUpserted`')),
});

export type NormalizedEntry = v.InferOutput<typeof NormalizedEntry>;
export type ToolCallEntry = Extract<NormalizedEntry, { type: 'toolCall' }>;
export type ToolStatus = (typeof TOOL_STATUSES)[number];
export type ToolKind = (typeof TOOL_KINDS)[number];
export type ToolFileChange = v.InferOutput<typeof ToolFileChange>;
