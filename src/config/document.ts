// One configuration document (the user's file, a repository's orchd.json, the project's settings): parsed, migrated
// from older format versions, checked against protocol/config.ts, and every problem said precisely: the file, the
// JSON path (`$.profiles.fast.model`), what was found there, and what was expected.
import * as v from 'valibot';
import { CONFIG_VERSION, ConfigDocument, type ConfigProblem } from '../../protocol/config.js';
import { SECRET_ENV_NAME } from '../../protocol/executors.js';
import { OrchdError } from '../errors.js';

/** What a layer contributes: the document without its bookkeeping (`$schema`, `version`). */
export type ConfigValues = Omit<ConfigDocument, '$schema' | 'version'>;

/** One step of the format: turns a document of version N into one of version N + 1 (plain JSON in, plain JSON out). */
export type ConfigMigration = (document: Record<string, unknown>) => Record<string, unknown>;

/**
 * Migrations by the version they start from. Empty while the format is at version 1; when version 2 comes, its
 * migration is `1: (doc) => ...`, and files of version 1 keep loading (test/unit/config-document.test.ts checks the
 * mechanism with a synthetic migration).
 */
export const CONFIG_MIGRATIONS: Readonly<Record<number, ConfigMigration>> = {};

export interface DocumentOptions {
  /** The file the document came from; null for the project's settings in the database. */
  file: string | null;
  migrations?: Readonly<Record<number, ConfigMigration>>;
  currentVersion?: number;
  /** Refuse plain values under secret-looking names in profile `env` (default: true). Off only for what is already stored. */
  refusePlainSecrets?: boolean;
}

export type DocumentResult = { ok: true; document: ConfigDocument } | { ok: false; problems: ConfigProblem[] };

/** Where a problem is, in words: the file in double quotes, or the project settings. */
export function describeWhere(file: string | null): string {
  return file === null ? 'the project settings' : JSON.stringify(file);
}

/** Parse a file's text: JSON (syntax errors with line and column), then the document checks. */
export function parseConfigText(text: string, options: DocumentOptions): DocumentResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [jsonSyntaxProblem(text, error as Error, options.file)] };
  }
  return checkConfigDocument(value, options);
}

/** Check a parsed document: its version (migrating older ones), the schema, and the secret rule. */
export function checkConfigDocument(value: unknown, options: DocumentOptions): DocumentResult {
  const where = describeWhere(options.file);
  const problem = (jsonPath: string, received: string, message: string): DocumentResult => ({ ok: false, problems: [{ file: options.file, jsonPath, received, message }] });
  if (!isPlainObject(value)) return problem('$', brief(value), `Expected $ in ${where} to be a JSON object, got ${brief(value)}`);
  const migrated = migrate(value, options);
  if ('problem' in migrated) return problem(...migrated.problem);
  const parsed = v.safeParse(ConfigDocument, migrated.document, { abortEarly: false });
  if (!parsed.success) return { ok: false, problems: parsed.issues.map((issue) => problemFromIssue(issue, options.file)) };
  const secrets = options.refusePlainSecrets === false ? [] : plainSecretProblems(parsed.output, options.file);
  if (secrets.length) return { ok: false, problems: secrets };
  return { ok: true, document: parsed.output };
}

/** The document's version brought up to the current one, or why it cannot be. */
function migrate(document: Record<string, unknown>, options: DocumentOptions): { document: Record<string, unknown> } | { problem: [string, string, string] } {
  const current = options.currentVersion ?? CONFIG_VERSION;
  const migrations = options.migrations ?? CONFIG_MIGRATIONS;
  const where = describeWhere(options.file);
  const version = document.version ?? 1;
  // Not a positive integer: the schema says so with the usual message.
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return { document };
  if (version > current) {
    return { problem: ['$.version', String(version), `Expected $.version in ${where} to be at most ${current}, got ${version}: the file was written by a newer orchd`] };
  }
  let migrated = document;
  for (let from = version; from < current; from++) {
    const step = migrations[from];
    if (!step) return { problem: ['$.version', String(version), `Expected $.version in ${where} to be a version this orchd can migrate, got ${version} (no migration from ${from})`] };
    migrated = step(structuredClone(migrated));
  }
  return { document: version === current ? migrated : { ...migrated, version: current } };
}

/** A JSON path from valibot's issue path: `$.profiles.fast.model`, `$.scripts.setup[2].command`, `$.profiles["a b"]`. */
export function jsonPathOf(path: readonly { key: unknown }[] | undefined): string {
  let out = '$';
  for (const item of path ?? []) {
    const key = item.key;
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** One valibot issue as a problem a person can act on. */
function problemFromIssue(issue: v.BaseIssue<unknown>, file: string | null): ConfigProblem {
  const jsonPath = jsonPathOf(issue.path);
  const where = describeWhere(file);
  const unknownKey = issue.type === 'strict_object' && issue.expected === 'never';
  // The value found (as JSON), except for an unknown key, where the key itself is what is wrong.
  const received = unknownKey ? shorten(issue.received) : brief(issue.input);
  let message: string;
  if (unknownKey) {
    message = `Expected no key ${jsonPath} in ${where} (orchd knows no such setting), got ${received}`;
  } else if (issue.input === undefined) {
    message = `Expected ${jsonPath} in ${where} to be set, got nothing`;
  } else {
    message = `Expected ${jsonPath} in ${where} to ${expectation(issue)}, got ${received}`;
  }
  return { file, jsonPath, received, message };
}

const TYPE_WORDS: Record<string, string> = { string: 'a string', number: 'a number', boolean: 'true or false', Object: 'an object', Array: 'an array', null: 'null' };

/** What an issue expected, in words. */
function expectation(issue: v.BaseIssue<unknown>): string {
  const expected = issue.expected ?? 'something else';
  switch (issue.type) {
    case 'regex':
      return `match ${expected}`;
    case 'min_length':
    case 'max_length':
      return `have a length ${expected}`;
    case 'integer':
      return 'be an integer';
    case 'union':
      if (expected === '(Object | string)') return 'be a string or {"env": "NAME"}';
      return `be ${expected.replace(/^\((.*)\)$/, '$1').split(' | ').map((part) => TYPE_WORDS[part] ?? part).join(' or ')}`;
    case 'picklist':
      return `be one of ${expected.replace(/^\((.*)\)$/, '$1').split(' | ').join(', ')}`;
    default:
      return `be ${TYPE_WORDS[expected] ?? expected}`;
  }
}

/** Plain values under secret-looking names in profile `env`: each one a problem that never shows the value. */
function plainSecretProblems(document: ConfigDocument, file: string | null): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, profile] of Object.entries(document.profiles ?? {})) {
    for (const [variable, value] of Object.entries(profile.env)) {
      if (typeof value !== 'string' || value === '' || !SECRET_ENV_NAME.test(variable)) continue;
      const jsonPath = jsonPathOf([{ key: 'profiles' }, { key: name }, { key: 'env' }, { key: variable }]);
      problems.push({
        file,
        jsonPath,
        received: 'a plain string',
        message: `Expected ${jsonPath} in ${describeWhere(file)} to refer to orchd's environment, like {"env": ${JSON.stringify(variable)}}, got a plain string: secrets are never kept in configuration`,
      });
    }
  }
  return problems;
}

/** A JSON syntax error with line and column, and the line it is on. */
function jsonSyntaxProblem(text: string, error: Error, file: string | null): ConfigProblem {
  const where = describeWhere(file);
  const position = /at position (\d+)/.exec(error.message);
  const offset = position ? Number(position[1]) : text.length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const reason = error.message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'the text ended early');
  const lineText = text.split('\n')[line - 1] ?? '';
  const received = text.trim() === '' ? 'an empty file' : shorten(JSON.stringify(lineText.trim()));
  return { file, jsonPath: '$', received, message: `Expected ${where} to be valid JSON, got ${reason} at line ${line} column ${column}` };
}

/** The error a request fails with when a document it wrote or names is invalid: the first problem's message. */
export function invalidConfigError(problems: readonly ConfigProblem[]): OrchdError {
  const first = problems[0]!;
  return new OrchdError('invalidConfig', first.message, { file: first.file, jsonPath: first.jsonPath, received: first.received, problems: [...problems] });
}

/** The values a layer contributes, without `$schema` and `version`. */
export function layerValues(document: ConfigDocument): ConfigValues {
  const { $schema: _schema, version: _version, ...values } = document;
  return values;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function brief(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return shorten(JSON.stringify(value));
}

function shorten(text: string | undefined): string {
  if (text === undefined) return 'nothing';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
