import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { APPLICATION_ERROR_RANGE, ERRORS } from '../../protocol/errors.js';
import { EVENT_KINDS } from '../../protocol/events.js';
import { METHODS } from '../../protocol/methods.js';
import { renderConfigSchemaJson, renderProtocolDoc, renderSchemaJson } from '../../src/devtools/protocol-artifacts.js';
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
