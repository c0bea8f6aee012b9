import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { APPLICATION_ERROR_RANGE, ERRORS } from '../../protocol/errors.js';
import { EVENT_KINDS } from '../../protocol/events.js';
import { METHODS } from '../../protocol/methods.js';
import { DEFINITION_MODULES, renderConfigSchemaJson, renderProtocolDoc, renderSchemaJson } from '../../src/devtools/protocol-artifacts.js';
import { HANDLERS } from '../../src/server/handlers/index.js';
import { ROOT } from '../support/client.js';

describe('protocol artifacts', () => {
  it('protocol/schema.json is up to date (run `npm run generate`)', () => {
    assert.equal(readFileSync(join(ROOT, 'protocol', 'schema.json'), 'utf8'), renderSchemaJson());
  });
  it('docs/protocol.md is up to date (run `npm run generate`)', () => {
    assert.equal(readFileSync(join(ROOT, 'docs', 'protocol.md'), 'utf8'), renderProtocolDoc());
  });
  it('protocol/config.schema.json is up to date (run `npm run generate`)', () => {
    assert.equal(readFileSync(join(ROOT, 'protocol', 'config.schema.json'), 'utf8'), renderConfigSchemaJson());
  });
});

type Json = Record<string, unknown>;

/** Every object schema in a document with its JSON Pointer, and every `$ref`. */
function walk(node: unknown, path: string, visit: (schema: Json, path: string) => void): void {
  if (Array.isArray(node)) node.forEach((item, index) => walk(item, `${path}/${index}`, visit));
  else if (typeof node === 'object' && node !== null) {
    visit(node as Json, path);
    for (const [key, value] of Object.entries(node)) walk(value, `${path}/${key}`, visit);
  }
}

describe('named definitions (hosts generate their types from them)', () => {
  const schema = JSON.parse(renderSchemaJson()) as Json & { $defs: Record<string, Json> };

  it('come from every protocol module that declares schemas', () => {
    const withoutSchemas = new Set(['index.ts', 'methods.ts', 'errors.ts', 'version.ts']);
    const modules = readdirSync(join(ROOT, 'protocol')).filter((file) => file.endsWith('.ts') && !withoutSchemas.has(file));
    assert.deepEqual(Object.keys(DEFINITION_MODULES).sort(), modules.sort());
  });

  it('name the main shapes, and every method, event and the envelope refers to them', () => {
    for (const name of ['Project', 'Repository', 'Task', 'Workspace', 'WorkspaceRepository', 'Session', 'Execution', 'Approval', 'NormalizedEntry', 'ToolCallEntry', 'Event', 'Terminal', 'FileStat', 'SearchMatch', 'ConfigDocument', 'DiffStats', 'ScriptSpec', 'Profile']) {
      assert.ok(name in schema.$defs, `$defs.${name}`);
    }
    assert.deepEqual(schema.eventEnvelope, { $ref: '#/$defs/Event' });
    const methods = schema.methods as Record<string, { params: Json; result?: Json }>;
    assert.deepEqual(methods['project/get']!.result, { $ref: '#/$defs/ProjectResult' });
    assert.deepEqual((schema.events as Record<string, { data: Json }>)['session/entryUpserted']!.data, { $ref: '#/$defs/SessionEntryUpsertedData' });
    for (const [name, spec] of Object.entries(methods)) {
      for (const used of [spec.params, spec.result]) if (used && used.type === 'object') assert.fail(`${name} writes an object schema inline`);
    }
  });

  it('resolve every $ref, and leave no reference beside other keywords (draft-07 ignores them)', () => {
    walk(schema, '#', (node, path) => {
      if (typeof node.$ref !== 'string') return;
      assert.equal(Object.keys(node).length, 1, `${path} has keywords beside $ref`);
      assert.ok(node.$ref.replace('#/$defs/', '') in schema.$defs, `${path}: ${node.$ref}`);
    });
  });

  it('are never copied inline where they are used', () => {
    const definitions = new Map(Object.entries(schema.$defs).map(([name, definition]) => [JSON.stringify(definition), name]));
    walk(schema, '#', (node, path) => {
      if (/^#\/\$defs\/[^/]+$/.test(path) || node.type !== 'object') return;
      const copied = definitions.get(JSON.stringify(node));
      assert.equal(copied, undefined, `${path} is a copy of $defs.${copied}`);
    });
  });

  it('keep protocol/config.schema.json self-contained', () => {
    const config = JSON.parse(renderConfigSchemaJson()) as Json;
    walk(config, '#', (node, path) => {
      if (typeof node.$ref === 'string') assert.ok(node.$ref.startsWith('#/'), `${path}: ${node.$ref} points outside the file`);
    });
  });
});

describe('protocol table', () => {
  it('names methods noun/verb in lowerCamel, or $/plumbing', () => {
    for (const name of Object.keys(METHODS)) {
      assert.match(name, /^(\$\/[a-z][A-Za-z]*|[a-z][A-Za-z]*(\/[a-z][A-Za-z]*)*)$/, name);
    }
  });
  it('has exactly one handler per client request, and none for anything else', () => {
    const requests = Object.entries(METHODS)
      .filter(([, spec]) => spec.type === 'request' && spec.direction === 'clientToServer')
      .map(([name]) => name)
      .sort();
    assert.deepEqual(Object.keys(HANDLERS).sort(), requests);
  });
  it('emits only declared event kinds and past-tense names', () => {
    for (const [name, spec] of Object.entries(METHODS)) {
      if (spec.type !== 'request') continue;
      for (const kind of spec.emits) assert.ok(kind in EVENT_KINDS, `${name} emits undeclared ${kind}`);
    }
    // Names the issues fix: the raw output streams (of processes and of terminals) and host-facing notifications.
    const nouns = new Set(['execution/output', 'terminal/output', 'notification']);
    for (const kind of Object.keys(EVENT_KINDS)) if (!nouns.has(kind)) assert.match(kind, /\/[a-z][A-Za-z]*ed$/, kind);
  });
  it('keeps error codes unique, application codes in the declared range', () => {
    const codes = Object.values(ERRORS).map((e) => e.code);
    assert.equal(new Set(codes).size, codes.length);
    const standard = new Set([-32700, -32600, -32601, -32602, -32603, -32002, -32800]);
    for (const [kind, { code }] of Object.entries(ERRORS)) {
      if (standard.has(code)) continue;
      assert.ok(code >= APPLICATION_ERROR_RANGE.min && code <= APPLICATION_ERROR_RANGE.max, `${kind} (${code}) is outside the application range`);
    }
  });
});
