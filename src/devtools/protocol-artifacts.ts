// Generate protocol/schema.json and docs/protocol.md from protocol/ (the single source). A test compares the
// committed files with fresh output; `npm run generate` rewrites them.
//
// schema.json names every shape a host would name: each exported schema of protocol/*.ts that is not a bare scalar
// becomes a definition under `$defs` with its export's name, and so do the variants of the tagged unions and each event
// kind's `data`; every use of one is a `$ref`, so a generator (typify, json-schema-to-typescript, quicktype) makes one
// type per shape instead of an anonymous copy per use.
import { toJsonSchema, toJsonSchemaDefs, type JsonSchema as ConvertedSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import * as approvals from '../../protocol/approvals.js';
import * as common from '../../protocol/common.js';
import * as config from '../../protocol/config.js';
import * as daemon from '../../protocol/daemon.js';
import * as entries from '../../protocol/entries.js';
import { ERRORS, APPLICATION_ERROR_RANGE } from '../../protocol/errors.js';
import * as events from '../../protocol/events.js';
import * as execution from '../../protocol/execution.js';
import * as executors from '../../protocol/executors.js';
import * as fs from '../../protocol/fs.js';
import * as git from '../../protocol/git.js';
import * as lifecycle from '../../protocol/lifecycle.js';
import * as maintenance from '../../protocol/maintenance.js';
import { METHODS, type RequestSpec, type NotificationSpec } from '../../protocol/methods.js';
import * as project from '../../protocol/project.js';
import * as service from '../../protocol/service.js';
import * as task from '../../protocol/task.js';
import * as terminal from '../../protocol/terminal.js';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from '../../protocol/version.js';
import * as workspace from '../../protocol/workspace.js';

const { CONFIG_VERSION, ConfigDocument } = config;
const { Event, EVENT_KINDS } = events;

type JsonSchema = Record<string, unknown>;

/** The protocol modules whose exported schemas become named definitions (test/protocol/schema.test.ts holds it to protocol/). */
export const DEFINITION_MODULES: Readonly<Record<string, Record<string, unknown>>> = {
  'approvals.ts': approvals,
  'common.ts': common,
  'config.ts': config,
  'daemon.ts': daemon,
  'entries.ts': entries,
  'events.ts': events,
  'execution.ts': execution,
  'executors.ts': executors,
  'fs.ts': fs,
  'git.ts': git,
  'lifecycle.ts': lifecycle,
  'maintenance.ts': maintenance,
  'project.ts': project,
  'service.ts': service,
  'task.ts': task,
  'terminal.ts': terminal,
  'workspace.ts': workspace,
};

/** How the variants of a tagged union are named: `NormalizedEntry`'s `toolCall` is `ToolCallEntry`. */
const VARIANT_NAMES: Readonly<Record<string, (tag: string) => string>> = {
  NormalizedEntry: (tag) => `${pascal(tag)}Entry`,
  ExecutionAction: (tag) => `${pascal(tag)}Action`,
  ProgressValue: (tag) => `Progress${pascal(tag)}`,
};

const CONVERSION = { errorMode: 'ignore', target: 'draft-07' } as const;
const SCALAR_TYPES = new Set(['string', 'number', 'boolean', 'literal', 'null', 'undefined', 'any', 'unknown', 'never', 'bigint']);

function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
}

function isSchema(value: unknown): value is v.GenericSchema {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'schema';
}

/** A string, a number, a literal...: inlined where used (an `Id` is a string with a description, not a type of its own). */
function isScalar(schema: v.GenericSchema): boolean {
  return SCALAR_TYPES.has(schema.type);
}

/** A method-specific alias loses to a domain name: `ApprovalAnswer` over `ApprovalRequestResult`, `Ok` over `TaskDeleteResult`. */
function preferredName(a: string, b: string): string {
  const specific = (name: string) => /(Params|Result|Notification)$/.test(name);
  if (specific(a) !== specific(b)) return specific(a) ? b : a;
  if (a.length !== b.length) return a.length < b.length ? a : b;
  return a < b ? a : b;
}

interface Definitions {
  /** name -> schema, in the order they are converted. */
  readonly byName: Map<string, v.GenericSchema>;
  /** schema -> its one name. */
  readonly byIdentity: Map<v.GenericSchema, string>;
}

/** Every named shape: exported schemas (one name per schema object), tagged-union variants, and event data. */
export function collectDefinitions(): Definitions {
  const byIdentity = new Map<v.GenericSchema, string>();
  const owners = new Map<string, v.GenericSchema>();
  const name = (schema: v.GenericSchema, candidate: string, from: string) => {
    const other = owners.get(candidate);
    if (other && other !== schema) throw new Error(`Two different schemas are named \`${candidate}\` (the second in ${from}); rename one`);
    owners.set(candidate, schema);
    const current = byIdentity.get(schema);
    byIdentity.set(schema, current === undefined ? candidate : preferredName(current, candidate));
  };
  for (const [file, module] of Object.entries(DEFINITION_MODULES)) {
    for (const [exportName, value] of Object.entries(module)) if (isSchema(value) && !isScalar(value)) name(value, exportName, `protocol/${file}`);
  }
  for (const [union, variantName] of Object.entries(VARIANT_NAMES)) {
    const schema = [...byIdentity].find(([, n]) => n === union)?.[0] as (v.GenericSchema & { key: string; options: v.GenericSchema[] }) | undefined;
    if (!schema || schema.type !== 'variant') throw new Error(`\`${union}\` is no longer a tagged union; update VARIANT_NAMES`);
    for (const option of schema.options) {
      const entries = (option as unknown as { entries: Record<string, { literal?: unknown }> }).entries;
      const tag = entries[schema.key]?.literal;
      if (typeof tag !== 'string') throw new Error(`A variant of \`${union}\` has no string \`${schema.key}\``);
      if (!byIdentity.has(option)) name(option, variantName(tag), `the variants of ${union}`);
    }
  }
  for (const [kind, spec] of Object.entries(EVENT_KINDS)) {
    if (!byIdentity.has(spec.data) && !isScalar(spec.data)) name(spec.data, `${pascal(kind)}Data`, `EVENT_KINDS['${kind}']`);
  }
  const unnamed = (schema: v.GenericSchema, candidate: string) => {
    if (!byIdentity.has(schema) && !isScalar(schema)) name(schema, candidate, 'METHODS');
  };
  for (const [method, spec] of Object.entries(METHODS) as [string, RequestSpec | NotificationSpec][]) {
    unnamed(spec.params, `${pascal(method)}Params`);
    if (spec.type === 'request') unnamed(spec.result, `${pascal(method)}Result`);
  }
  const byName = new Map([...byIdentity].map(([schema, n]) => [n, schema] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { byName, byIdentity };
}

function refTo(name: string): JsonSchema {
  return { $ref: `#/$defs/${name}` };
}

/**
 * Converts every definition once. The converter already writes `$ref` for a definition used as it is; a definition used
 * inside a pipe (`v.pipe(ScriptsLayer, v.description(...))`) it would copy, so the override makes that a `$ref` too,
 * except while the definition itself is converted (its own schema is read a second time right before that).
 */
function convertDefinitions(definitions: Definitions): Record<string, JsonSchema> {
  let converting: v.GenericSchema | undefined;
  const reads = new Map<string, number>();
  const input: Record<string, v.GenericSchema> = {};
  for (const [definitionName, schema] of definitions.byName) {
    Object.defineProperty(input, definitionName, {
      enumerable: true,
      get() {
        const count = (reads.get(definitionName) ?? 0) + 1;
        reads.set(definitionName, count);
        if (count === 2) converting = schema;
        return schema;
      },
    });
  }
  const converted = toJsonSchemaDefs(input, {
    ...CONVERSION,
    overrideSchema: ({ referenceId, valibotSchema }) =>
      referenceId !== undefined && valibotSchema !== converting ? (refTo(referenceId) as ConvertedSchema) : undefined,
  }) as Record<string, JsonSchema>;
  for (const [definitionName, schema] of Object.entries(converted)) {
    if (reads.get(definitionName) !== 2 || schema.$ref === `#/$defs/${definitionName}`) {
      throw new Error(`@valibot/to-json-schema converted \`${definitionName}\` unexpectedly; check convertDefinitions against its toJsonSchemaDefs`);
    }
    // A definition is named by its key: a title (ConfigDocument's, for editors) would rename it in generated code.
    if (schema.title !== undefined) delete schema.title;
    converted[definitionName] = referencesAlone(schema) as JsonSchema;
  }
  return converted;
}

/**
 * Draft-07 ignores the keywords beside a `$ref`, and generators that honour them make a copy of the type (`ScriptsLayer1`)
 * for each use that carries a description or a default. So a use with more to say wraps the reference, as schemars does:
 * `{"description": "...", "allOf": [{"$ref": "#/$defs/ScriptsLayer"}]}`.
 */
function referencesAlone(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(referencesAlone);
  if (typeof node !== 'object' || node === null) return node;
  const { $ref, ...rest } = node as JsonSchema;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, referencesAlone(value)]));
  if ($ref === undefined) return converted;
  return Object.keys(rest).length ? { ...converted, allOf: [{ $ref }] } : { $ref };
}

interface ProtocolSchemas {
  readonly definitions: Record<string, JsonSchema>;
  /** A schema as schema.json writes it where it is used: a `$ref` to its definition, or inline when it is a scalar. */
  readonly use: (schema: v.GenericSchema) => JsonSchema;
}

function protocolSchemas(): ProtocolSchemas {
  const collected = collectDefinitions();
  const definitions = convertDefinitions(collected);
  return {
    definitions,
    use(schema) {
      const definitionName = collected.byIdentity.get(schema);
      if (definitionName !== undefined) return refTo(definitionName);
      const json = toJsonSchema(schema, CONVERSION) as JsonSchema;
      delete json.$schema;
      return json;
    },
  };
}

/** The JSON Schema document for every method, notification, event kind and error, with its named definitions. */
export function buildSchemaJson(): JsonSchema {
  const { definitions, use } = protocolSchemas();
  const methods: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(METHODS) as [string, RequestSpec | NotificationSpec][]) {
    methods[name] =
      spec.type === 'request'
        ? { type: 'request', direction: spec.direction, summary: spec.summary, readOnly: spec.readOnly ?? false, params: use(spec.params), result: use(spec.result), emits: spec.emits, errors: spec.errors }
        : { type: 'notification', direction: spec.direction, summary: spec.summary, params: use(spec.params) };
  }
  const eventKinds: Record<string, unknown> = {};
  for (const [kind, spec] of Object.entries(EVENT_KINDS)) eventKinds[kind] = { summary: spec.summary, data: use(spec.data) };
  const errors: Record<string, unknown> = {};
  for (const [kind, spec] of Object.entries(ERRORS)) errors[kind] = { code: spec.code, summary: spec.summary };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'orchd protocol',
    protocolVersion: PROTOCOL_VERSION,
    minProtocolVersion: MIN_PROTOCOL_VERSION,
    applicationErrorRange: APPLICATION_ERROR_RANGE,
    methods,
    eventEnvelope: use(Event),
    events: eventKinds,
    errors,
    $defs: definitions,
  };
}

/** schema.json's text. */
export function renderSchemaJson(): string {
  return `${JSON.stringify(buildSchemaJson(), null, 2)}\n`;
}

/** protocol/config.schema.json: the configuration files' schema, for editors (`"$schema"` in a file may point at it); self-contained. */
export function renderConfigSchemaJson(): string {
  const json = toJsonSchema(ConfigDocument, CONVERSION) as JsonSchema;
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...json, $comment: `Generated by \`npm run generate\` from protocol/config.ts (format version ${CONFIG_VERSION})` }, null, 2)}\n`;
}

const LIFECYCLE = `# orchd protocol

<!-- Generated by \`npm run generate\` from protocol/. Do not edit by hand; edit protocol/ or src/devtools/protocol-artifacts.ts. -->

orchd speaks JSON-RPC 2.0 with LSP framing (\`Content-Length: N\\r\\n\\r\\n\` then N bytes of UTF-8 JSON) on stdin and stdout.
stdout carries protocol frames and nothing else; logs are JSON lines on stderr.
The machine-readable contract is protocol/schema.json (JSON Schema draft-07, every shared type a named definition); host authors generate types from it (see Generating types in another language).

Protocol version: **${PROTOCOL_VERSION}** (this build serves clients speaking ${MIN_PROTOCOL_VERSION} to ${PROTOCOL_VERSION}).

## Lifecycle

1. The host spawns \`orchd --stdio\` (optionally \`--data-dir DIR\`, \`--log-level LEVEL\`).
2. The host sends \`initialize\` with \`processId\`, \`protocolVersion\`, \`capabilities\` and optionally \`dataDir\`.
   orchd opens (creating and migrating) the database and replies with \`serverInfo\`, \`protocolVersion\`, \`capabilities\`, \`dataDir\` and \`currentSeq\`.
   Any other request before it fails with \`notInitialized\` (-32002); a second \`initialize\` fails with \`alreadyInitialized\`; a version outside the supported range fails with \`protocolVersionUnsupported\` and \`data.supported = {min, max}\`.
3. The host sends the \`initialized\` notification, then works: requests, and \`events/subscribe\` for a durable stream of what happens.
4. \`shutdown\` stops everything orchd started and closes the database; afterwards every request but \`exit\` fails with \`shuttingDown\`.
   \`exit\` ends the process with code 0 after \`shutdown\`, 1 without it.
   stdin closing counts as shutdown (exit code 0). If the \`processId\` given in \`initialize\` dies, orchd notices within about a second and shuts down.
   A broken stdout or stderr pipe (the host died) never keeps orchd running: it shuts down, and the process ends within the shutdown deadline whatever shutdown does.
   SIGTERM, SIGINT and SIGHUP shut down cleanly; a second signal during shutdown exits at once.

Data directory precedence: \`initialize.dataDir\`, then \`--data-dir\`, then \`ORCHD_DATA_DIR\`, then \`$XDG_DATA_HOME/orchd\` (\`~/.local/share/orchd\`).

## Bad input

Bad input never kills the daemon and never puts a non-frame byte on stdout.
- A frame whose body is not JSON, or whose header is malformed, gets a \`-32700\` response with \`id: null\`; orchd resynchronises on the next \`Content-Length\` header.
- A body that is JSON but not a JSON-RPC message (a batch, a number, a wrong \`jsonrpc\`) gets \`-32600\`.
- A frame larger than 64 MiB gets \`-32600\` and its body is skipped without being buffered.
- A request whose \`id\` is \`null\` gets \`-32600\` with \`id: null\` (its sender could not correlate any other answer); a \`$/cancelRequest\` without a string or number \`params.id\` is logged and dropped (notifications are never answered).
- Unknown methods get \`-32601\`; params that do not match the schema get \`-32602\` with \`data.issues\` (valibot's flattened issues) and \`data.problems\` (one sentence per issue).

Every error carries \`data.kind\`, a stable string to switch on (see Errors below), and a one-sentence message naming the field and the value received.

## Results

Every result is an object whose keys name what it holds, so a later version can add a field beside it without breaking anyone:
one entity under its own name (\`project/create\`, \`project/get\` and \`project/update\` return \`{project}\`; likewise \`{task}\`, \`{workspace}\`, \`{session}\`, \`{execution}\`, \`{approval}\`),
a list under the plural (\`{projects}\`, \`{tasks}\`, ...), and a deletion \`{ok: true}\`.
Expected outcomes that are not failures (a merge conflict, nothing to commit) are typed results, not errors.

## Cancellation and progress

\`$/cancelRequest {id}\` aborts the handler's \`AbortSignal\`; the request then fails with \`cancelled\` (-32800) unless it had already finished.
Requests that declare a \`progressToken\` param report \`$/progress {token, value: {kind: begin|report|end, ...}}\` while they run.

## Events

Every state change appends an event to a durable log, in the same SQLite transaction as the change, with a global, gap-free, monotonic \`seq\`.
\`events/subscribe {filter?, sinceSeq?}\` replies \`{subscriptionId, currentSeq}\` and then sends \`events/event {subscriptionId, event}\` notifications:
first every stored event with \`seq > sinceSeq\` that passes the filter, then live ones, strictly in \`seq\` order, with no gap and no duplicate.
Omit \`sinceSeq\` for live events only.
A host that reconnects (or restarts orchd) passes the last \`seq\` it processed as \`sinceSeq\` and gets exactly what it missed.
A client that reads slowly does not make orchd buffer without bound: delivery pauses while too many notifications wait to be written, and resumes from the log.

Filters: \`kinds\` (exact kinds, or prefixes such as \`task/*\`) and the scope ids \`projectId\`, \`taskId\`, \`workspaceId\`, \`sessionId\`, \`executionId\`; all given conditions must hold.

## Task status machine

\`todo → inProgress → inReview → done\`, with \`cancelled\` reachable from todo, inProgress and inReview.
Reopening is allowed: \`inReview → inProgress\`, \`inProgress → todo\`, \`done → inProgress\`, \`cancelled → todo\`. Any other move fails with \`invalidTransition\`.

## Generating types in another language

protocol/schema.json is JSON Schema draft-07 (\`"$schema": "http://json-schema.org/draft-07/schema#"\`) with its shared types under \`$defs\` (the keyword of later drafts, which generators such as typify and json-schema-to-typescript read in a draft-07 document too).
Every type a host names is a definition, named after its schema in protocol/ (see Types below): \`Project\`, \`Workspace\`, \`Session\`, \`Execution\`, \`Approval\`, \`Event\`, \`NormalizedEntry\` (a union of \`UserMessageEntry\`, \`ToolCallEntry\`, ... tagged by \`type\`), the params and result of each method (\`ProjectCreateParams\`, \`ProjectResult\`; the method table says which), one \`<Kind>Data\` per event kind (\`SessionEntryUpsertedData\` for \`session/entryUpserted\`), and enumerations such as \`TaskStatus\`.
\`methods.<name>.params\` and \`.result\`, \`eventEnvelope\` and \`events.<kind>.data\` refer to them with \`$ref\`; a use that adds a description wraps the reference as \`{"description": ..., "allOf": [{"$ref": ...}]}\`, since draft-07 ignores keywords beside a \`$ref\`.
The document's root is the method table, not a type, so generate from the definitions.

TypeScript, with json-schema-to-typescript (what test/protocol/generated-types.test.ts runs and compiles with \`--strict\`):

\`\`\`sh
npx --package json-schema-to-typescript@16.0.0 json2ts --unreachableDefinitions -i protocol/schema.json -o orchd-protocol.d.ts
\`\`\`

\`--unreachableDefinitions\` emits every definition (the root refers to none); expect \`export interface Project\`, \`export type NormalizedEntry = UserMessageEntry | AssistantMessageEntry | ...\`, and one root \`OrchdProtocol\` to ignore.
Fields that have a default (\`Project.scripts.setup\`) are optional in the schema, so read them with a fallback.

Rust, with typify: keep only the definitions (the root's other members are not schemas, and typify would try to read them as types), then run the CLI or the macro:

\`\`\`sh
jq '{"$schema": ."$schema", "$defs": ."$defs"}' protocol/schema.json > orchd-types.json
cargo install cargo-typify
cargo typify orchd-types.json -o src/orchd_types.rs
\`\`\`

or in the crate, \`typify::import_types!(schema = "orchd-types.json");\` (the path is relative to the crate's Cargo.toml).
The generated code needs \`serde\` (with \`derive\`) and \`serde_json\`, and \`regress\` for the string patterns (branch prefixes, profile names).
Expect one struct per object definition (\`Project\`, \`Workspace\`, \`Session\`, ...), an enum per enumeration (\`TaskStatus\`), and enums for the tagged unions (\`NormalizedEntry\`, \`ExecutionAction\`, \`ProgressValue\`).
typify keeps the definitions' names, which are already in Rust's case.
`;

/** docs/protocol.md's view of the schemas: fields of a definition, its name where one is used. */
interface DocSchemas {
  readonly definitions: Record<string, JsonSchema>;
  readonly use: (schema: v.GenericSchema) => JsonSchema;
}

/** The definition a use refers to: `{"$ref"}`, or `{"allOf": [{"$ref"}], ...}` where the use adds a description. */
function definitionName(schema: JsonSchema): string | undefined {
  const allOf = schema.allOf;
  const reference = Array.isArray(allOf) && allOf.length === 1 ? (allOf[0] as JsonSchema).$ref : schema.$ref;
  return typeof reference === 'string' ? reference.replace(/^#\/\$defs\//, '') : undefined;
}

/** The schema a reference points to (what a field table lists), or the schema itself. */
function resolve(docs: DocSchemas, schema: JsonSchema): JsonSchema {
  const name = definitionName(schema);
  return name === undefined ? schema : resolve(docs, docs.definitions[name] ?? {});
}

function fieldsTable(docs: DocSchemas, schema: JsonSchema): string {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const names = Object.keys(props);
  if (!names.length) return '_none_\n';
  const rows = names.map((name) => {
    const prop = props[name]!;
    const description = prop.description ?? resolve(docs, prop).description;
    const notes = typeof description === 'string' ? description : '';
    return `| \`${name}\` | ${typeLabel(docs, prop)} | ${required.has(name) ? 'yes' : 'no'} | ${notes.replace(/\|/g, '\\|')} |`;
  });
  return ['| field | type | required | notes |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}

/** A field's type in words: a definition by its name (an enumeration by its values), else its JSON type. */
function typeLabel(docs: DocSchemas, schema: JsonSchema): string {
  const name = definitionName(schema);
  if (name !== undefined) {
    const definition = resolve(docs, schema);
    return Array.isArray(definition.enum) ? typeLabel(docs, definition) : name;
  }
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (Array.isArray(schema.enum)) return schema.enum.map((e) => `\`${JSON.stringify(e)}\``).join(' \\| ');
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map((s) => typeLabel(docs, s)).join(' \\| ');
  if (Array.isArray(schema.oneOf)) return (schema.oneOf as JsonSchema[]).map((s) => typeLabel(docs, s)).join(' \\| ');
  if (schema.type === 'array') {
    const item = typeLabel(docs, (schema.items ?? {}) as JsonSchema);
    return item.includes(' ') ? `(${item})[]` : `${item}[]`;
  }
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.join(' \\| ');
  return 'any';
}

function paramsSection(docs: DocSchemas, params: JsonSchema): string {
  const schema = resolve(docs, params);
  if (Array.isArray(schema.anyOf)) {
    const objectVariant = (schema.anyOf as JsonSchema[]).map((s) => resolve(docs, s)).find((s) => s.type === 'object');
    return objectVariant ? `Params (optional):\n\n${fieldsTable(docs, objectVariant)}` : 'Params: none.\n';
  }
  return `Params:\n\n${fieldsTable(docs, schema)}`;
}

/** docs/protocol.md's text. */
export function renderProtocolDoc(): string {
  const docs: DocSchemas = protocolSchemas();
  const out: string[] = [LIFECYCLE, '## Methods\n'];
  for (const [name, spec] of Object.entries(METHODS) as [string, RequestSpec | NotificationSpec][]) {
    const arrow = spec.direction === 'clientToServer' ? 'client → orchd' : 'orchd → client';
    out.push(`### \`${name}\`\n`);
    const access = spec.type === 'request' && spec.direction === 'clientToServer' ? (spec.readOnly ? ' Read-only: allowed on a read-only connection.' : '') : '';
    out.push(`${spec.type === 'request' ? 'Request' : 'Notification'}, ${arrow}. ${spec.summary}.${access}\n`);
    out.push(paramsSection(docs, docs.use(spec.params)));
    if (spec.type === 'request') {
      const used = docs.use(spec.result);
      const result = resolve(docs, used);
      out.push(result.type === 'object' ? `Result${definitionName(used) ? ` (\`${definitionName(used)}\`)` : ''}:\n\n${fieldsTable(docs, result)}` : `Result: ${typeLabel(docs, used)}.\n`);
      if (spec.emits.length) out.push(`Emits: ${spec.emits.map((k) => `\`${k}\``).join(', ')}.\n`);
      if (spec.errors.length) out.push(`Errors: ${spec.errors.map((k) => `\`${k}\``).join(', ')}.\n`);
    }
  }
  out.push('## Event kinds\n');
  out.push('Every event has the envelope below (`Event`); `data` depends on `kind`, and its type is named in schema.json (`events.<kind>.data`).\n');
  out.push(fieldsTable(docs, resolve(docs, docs.use(Event))));
  out.push('| kind | data | meaning |\n| --- | --- | --- |');
  for (const [kind, spec] of Object.entries(EVENT_KINDS)) {
    const used = docs.use(spec.data);
    const data = resolve(docs, used);
    const fields = Object.keys((data.properties ?? {}) as object).map((f) => `\`${f}\``).join(', ');
    out.push(`| \`${kind}\` | ${definitionName(used) ? `\`${definitionName(used)}\`: ` : ''}${fields} | ${spec.summary} |`);
  }
  out.push('\n## Types\n');
  out.push('protocol/schema.json defines these types under `$defs`, and every method, notification and event refers to them by `$ref`:\n');
  out.push(`${Object.keys(docs.definitions).map((n) => `\`${n}\``).join(', ')}.\n`);
  out.push('## Errors\n');
  out.push(`Application codes live in ${APPLICATION_ERROR_RANGE.min}..${APPLICATION_ERROR_RANGE.max}, outside the band JSON-RPC reserves (-32099..-32000); -32002 and -32800 are the codes LSP hosts already know.\n`);
  out.push('| `data.kind` | code | meaning |\n| --- | --- | --- |');
  for (const [kind, spec] of Object.entries(ERRORS)) out.push(`| \`${kind}\` | ${spec.code} | ${spec.summary} |`);
  return `${out.join('\n')}\n`;
}
