// initialize / initialized / shutdown / exit, $/progress and $/cancelRequest.
import * as v from 'valibot';
import { Seq } from './common.js';
import { FoundFile, SearchMatch } from './fs.js';

export const ClientInfo = v.strictObject({
  name: v.pipe(v.string(), v.minLength(1)),
  version: v.optional(v.string()),
});

/** What the client can do. Unknown keys are ignored, and an omitted capability is unsupported. */
export const ClientCapabilities = v.looseObject({
  approvals: v.optional(v.boolean(), false),
  progress: v.optional(v.boolean(), false),
});

export const InitializeParams = v.strictObject({
  processId: v.pipe(v.nullable(v.pipe(v.number(), v.integer())), v.description("The host's pid; orchd exits when it dies. null to opt out")),
  clientInfo: v.optional(ClientInfo),
  protocolVersion: v.pipe(v.number(), v.integer(), v.description('The protocol version the client speaks')),
  capabilities: v.optional(ClientCapabilities, {}),
  dataDir: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Where orchd keeps its database and worktrees; overrides --data-dir, ORCHD_DATA_DIR and the XDG default'))),
});

export const ServerCapabilities = v.strictObject({
  events: v.strictObject({ subscribe: v.boolean(), filters: v.array(v.string()) }),
  cancellation: v.boolean(),
  progress: v.boolean(),
});

export const InitializeResult = v.strictObject({
  serverInfo: v.strictObject({ name: v.literal('orchd'), version: v.string() }),
  protocolVersion: v.pipe(v.number(), v.integer()),
  capabilities: ServerCapabilities,
  dataDir: v.pipe(v.string(), v.description('The data directory in use')),
  currentSeq: v.pipe(Seq, v.description('The newest event sequence number at start')),
});

export const ProgressValue = v.variant('kind', [
  v.strictObject({ kind: v.literal('begin'), title: v.string(), message: v.optional(v.string()), percentage: v.optional(v.number()) }),
  v.strictObject({ kind: v.literal('report'), message: v.optional(v.string()), percentage: v.optional(v.number()) }),
  v.strictObject({ kind: v.literal('end'), message: v.optional(v.string()) }),
  v.strictObject({
    kind: v.literal('partial'),
    matches: v.optional(v.pipe(v.array(SearchMatch), v.description('`fs/search`: more matches; they are not repeated in the result'))),
    files: v.optional(v.pipe(v.array(FoundFile), v.description('`fs/findFiles`: the best files so far, replacing the previous partial list'))),
  }),
]);

export const ProgressParams = v.strictObject({
  token: v.union([v.string(), v.number()]),
  value: ProgressValue,
});

export const CancelParams = v.strictObject({ id: v.union([v.string(), v.number()]) });

export type InitializeParams = v.InferOutput<typeof InitializeParams>;
export type InitializeResult = v.InferOutput<typeof InitializeResult>;
export type ProgressValue = v.InferOutput<typeof ProgressValue>;
