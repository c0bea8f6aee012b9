// Every normalizer is total: whatever one line of a raw log holds, pushing it never throws, every entry it yields is
// valid against protocol/entries.ts, and the well-formed lines around it keep their entries. Property-based (fast-check)
// over every line of every capture in fixtures/captures, each read by the normalizer(s) of its format: the line is
// damaged (a value's type changed, a value nulled, a field dropped, an unknown field added, the line truncated,
// replaced with garbage, or given invalid UTF-8 bytes) and the log replayed.
//
// "Keep their entries": the damaged line's own entries may change (it may be read in part, or kept raw). A line whose
// entries do not depend on the damaged line (it yields the same entries in the undamaged log and in the log without that
// line) is independent: every entry that only independent lines wrote must end exactly as in the undamaged log. A line
// that does depend on it (a tool result after a damaged tool call, the usage that sums every message, an id counted
// after it) may yield other entries, but never more lines it does not understand than in one of the two references.
// Raw entries are compared by their line, without their ids (those count the raw lines before them).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as v from 'valibot';
import { NormalizedEntry } from '../../protocol/entries.js';
import { createAmpNormalizer } from '../../src/executors/amp.js';
import { normalizerForFormat } from '../../src/normalizers/formats.js';
import { guardNormalizer } from '../../src/normalizers/guard.js';
import type { EntryDraft, Normalizer, RawStream } from '../../src/normalizers/types.js';
import { ROOT } from '../support/client.js';
import { captureLines } from '../support/captures.js';

const CAPTURES = join(ROOT, 'fixtures', 'captures');
/** Fixed, so a failure reproduces; each line gets RUNS damaged variants per normalizer that reads it. Explore more with
 * ORCHD_TOTALITY_SEED=<n> ORCHD_TOTALITY_RUNS=<n> (500 runs take about a minute). */
const SEED = Number(process.env.ORCHD_TOTALITY_SEED ?? 20_261_203);
const RUNS = Number(process.env.ORCHD_TOTALITY_RUNS ?? 6);

type Line = { line: string; stream: RawStream };
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Which normalizer reads which captures (the same pairing as the capture suites of each format). */
const SUITES: { name: string; create: () => Normalizer; files: RegExp }[] = [
  { name: 'claude-stream-json', create: normalizerForFormat('claude-stream-json'), files: /^(claude\/[^/]+|qwen\/stream-json-[^/]+|qwen\/orchd-stream-json\/[^/]+)\.jsonl$/ },
  { name: 'amp (Claude-compatible)', create: createAmpNormalizer, files: /^amp\/[^/]+\.jsonl$/ },
  { name: 'codex', create: normalizerForFormat('codex'), files: /^codex\/[^/]+\.jsonl$/ },
  { name: 'acp', create: normalizerForFormat('acp'), files: /^(gemini\/(acp|orchd)-[^/]+|qwen\/acp-[^/]+|opencode\/orchd-(?!run-)[^/]+)\.jsonl$/ },
  { name: 'gemini (either format)', create: normalizerForFormat('gemini'), files: /^gemini\/[^/]+\.jsonl$/ },
  { name: 'gemini-stream-json', create: normalizerForFormat('gemini-stream-json'), files: /^gemini\/(written-)?stream-json-[^/]+\.jsonl$/ },
  { name: 'opencode-run', create: normalizerForFormat('opencode-run'), files: /^opencode\/(orchd-)?run-[^/]+\.jsonl$/ },
  { name: 'cursor-stream-json', create: normalizerForFormat('cursor-stream-json'), files: /^cursor\/[^/]+\.jsonl$/ },
  { name: 'droid-stream-json', create: normalizerForFormat('droid-stream-json'), files: /^droid\/[^/]+\.jsonl$/ },
];

/** Every capture file, relative to fixtures/captures. */
function captureFiles(dir = CAPTURES, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return captureFiles(join(dir, entry.name), `${prefix}${entry.name}/`);
    return entry.name.endsWith('.jsonl') ? [`${prefix}${entry.name}`] : [];
  });
}

interface Run {
  /** The entries each line yielded, in order (null: the line was left out). */
  perLine: EntryDraft[][];
  /** Every entry yielded, in order. */
  yielded: EntryDraft[];
}

function run(create: () => Normalizer, lines: (Line | null)[]): Run {
  const normalizer = create();
  const perLine: EntryDraft[][] = [];
  const yielded: EntryDraft[] = [];
  for (const item of lines) {
    const entries = item ? normalizer.push(item.line, item.stream) : [];
    perLine.push(entries);
    yielded.push(...entries);
  }
  return { perLine, yielded };
}

/** The key an entry is compared under: its id, or for a raw entry its stream and line. */
const keyOf = (entry: EntryDraft) => (entry.type === 'raw' ? `raw|${entry.stream}|${entry.kind ?? 'unknown'}|${entry.line}` : entry.id);
/** Entries as compared: raw entries without their ids. */
const comparable = (entries: EntryDraft[]) => entries.map((entry) => (entry.type === 'raw' ? { ...entry, id: 'raw' } : entry));
/** Lines not understood among `entries`, the damaged line itself not counted (a normalizer may hold it back and yield
 * it later, as Amp's does with a continued thread's history). */
const unknownCount = (entries: EntryDraft[], damaged?: string) => entries.filter((entry) => entry.type === 'raw' && entry.kind !== 'diagnostic' && !(damaged ?? '').includes(entry.line)).length;

/** Each entry's final state, and the lines that wrote it. */
function finalStates(runResult: Run): Map<string, { entry: EntryDraft; writers: number[] }> {
  const states = new Map<string, { entry: EntryDraft; writers: number[] }>();
  runResult.perLine.forEach((entries, line) => {
    for (const entry of comparable(entries)) {
      const state = states.get(keyOf(entry));
      if (state) {
        state.entry = entry;
        state.writers.push(line);
      } else states.set(keyOf(entry), { entry, writers: [line] });
    }
  });
  return states;
}

// Damage -----------------------------------------------------------------------------------------------------------

type Mutation =
  | { kind: 'retype' | 'null' | 'drop'; node: number; value: Json }
  | { kind: 'add'; node: number; key: string; value: Json }
  | { kind: 'truncate'; at: number }
  | { kind: 'garbage'; text: string }
  | { kind: 'utf8'; at: number; bytes: number[] };

/** Values that trip careless code: keys of Object.prototype, objects String() cannot convert. */
const nasty = fc.constantFrom<Json>(
  'constructor',
  '__proto__',
  'toString',
  '',
  -1,
  1e308,
  JSON.parse('{"toString":null}') as Json,
  JSON.parse('{"__proto__":{"x":1},"valueOf":null,"toString":null}') as Json,
  [null],
  { type: null },
);
const jsonValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, nasty);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('retype' as const, 'null' as const, 'drop' as const), node: fc.nat(), value: jsonValue }),
  fc.record({ kind: fc.constant('add' as const), node: fc.nat(), key: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('constructor', '__proto__', 'toString')), value: jsonValue }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('garbage' as const), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('{', '}', 'null', '[]', '{"type":null}', '{"jsonrpc":"2.0"}', '\u0000', '\uFFFD{')) }),
  fc.record({ kind: fc.constant('utf8' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.array(fc.constantFrom(0xff, 0xfe, 0xc3, 0xe2, 0x80, 0xbf, 0xf0), { minLength: 1, maxLength: 3 }) }),
);

type Path = (string | number)[];

/** Every value's path in a JSON value (the root excluded), parents before children. */
function paths(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(value)) value.forEach((child, index) => (out.push([...prefix, index]), paths(child, [...prefix, index], out)));
  else if (value && typeof value === 'object') for (const [key, child] of Object.entries(value)) (out.push([...prefix, key]), paths(child, [...prefix, key], out));
  return out;
}

function parentOf(root: Json, path: Path): Json {
  let node = root;
  for (const step of path.slice(0, -1)) node = (node as Record<string | number, Json>)[step]!;
  return node;
}

/** A value of another JSON type than `value`. */
function retyped(value: Json, replacement: Json): Json {
  const type = (x: Json) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
  if (type(replacement) !== type(value)) return replacement;
  return typeof value === 'string' ? 42 : typeof value === 'number' ? String(value) : Array.isArray(value) ? {} : value && typeof value === 'object' ? [] : 'x';
}

function damage(line: string, m: Mutation): string {
  let parsed: Json | undefined;
  const start = line.indexOf('{');
  try {
    parsed = start >= 0 ? (JSON.parse(line.slice(start)) as Json) : undefined;
  } catch {
    parsed = undefined;
  }
  const structural = m.kind === 'retype' || m.kind === 'null' || m.kind === 'drop' || m.kind === 'add';
  if (structural && parsed !== undefined && parsed !== null && typeof parsed === 'object') {
    const all = paths(parsed);
    if (m.kind === 'add') {
      const objects = [[], ...all].filter((p) => {
        const node = p.length ? (parentOf(parsed!, [...p, 0]) as Json) : parsed;
        return node !== null && typeof node === 'object' && !Array.isArray(node);
      });
      const target = objects[m.node % objects.length]!;
      const node = (target.length ? parentOf(parsed, [...target, 0]) : parsed) as Record<string, Json>;
      Object.defineProperty(node, m.key.startsWith('_') || ['constructor', 'toString'].includes(m.key) ? m.key : `x_${m.key}`, { value: m.value, enumerable: true, writable: true, configurable: true });
    } else if (all.length) {
      const path = all[m.node % all.length]!;
      const parent = parentOf(parsed, path) as Record<string | number, Json>;
      const key = path[path.length - 1]!;
      if (m.kind === 'null') parent[key] = null;
      else if (m.kind === 'retype') parent[key] = retyped(parent[key]!, m.value);
      else if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    }
    return line.slice(0, start) + JSON.stringify(parsed);
  }
  switch (m.kind) {
    case 'truncate':
      return line.slice(0, Math.floor(m.at * line.length));
    case 'garbage':
      return m.text;
    case 'utf8': {
      const bytes = Buffer.from(line);
      const at = Math.floor(m.at * bytes.length);
      return new TextDecoder().decode(Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]));
    }
    default:
      return line.slice(0, Math.floor(line.length / 2)); // a structural change of a line that is not JSON: truncate it
  }
}

// The property -----------------------------------------------------------------------------------------------------

function assertValid(entries: EntryDraft[], context: string): void {
  for (const entry of entries) {
    const result = v.safeParse(NormalizedEntry, { ...entry, executionId: 'exe_totality' });
    assert.ok(result.success, `${context}: invalid entry ${JSON.stringify(entry).slice(0, 400)}: ${result.issues?.map((i) => `${i.path?.map((p) => p.key).join('.')}: ${i.message}`).join('; ')}`);
  }
}

function checkLine(suite: (typeof SUITES)[number], file: string, lines: Line[], index: number, undamaged: Run, before: ReturnType<typeof finalStates>): void {
  const withoutLine = run(suite.create, lines.map((l, i) => (i === index ? null : l)));
  const independent = undamaged.perLine.map((entries, j) => j !== index && isDeepEqual(comparable(entries), comparable(withoutLine.perLine[j]!)));
  fc.assert(
    fc.property(mutation, (m) => {
      const damaged = { ...lines[index]!, line: damage(lines[index]!.line, m) };
      const context = `${suite.name} ${file} line ${index + 1} ${JSON.stringify(m).slice(0, 200)}`;
      let result: Run;
      try {
        result = run(suite.create, lines.map((l, i) => (i === index ? damaged : l)));
      } catch (error) {
        assert.fail(`${context}: the normalizer threw ${(error as Error).stack}`);
      }
      assertValid(result.yielded.slice(-200), context);
      const after = finalStates(result);
      for (const [key, { entry, writers }] of before) {
        if (!writers.every((line) => independent[line])) continue;
        const now = after.get(key);
        if (now && !now.writers.every((line) => independent[line])) continue; // the damaged line or a line that depends on it wrote it
        assert.deepStrictEqual(now?.entry, entry, `${context}: entry ${key}, written only by lines that do not depend on the damaged one, changed`);
      }
      for (let j = 0; j < lines.length; j++) {
        if (j === index || independent[j]) continue;
        const most = Math.max(unknownCount(undamaged.perLine[j]!), unknownCount(withoutLine.perLine[j]!));
        assert.ok(unknownCount(result.perLine[j]!, damaged.line) <= most, `${context}: line ${j + 1} is no longer understood: ${JSON.stringify(comparable(result.perLine[j]!)).slice(0, 400)}`);
      }
    }),
    { seed: SEED + index, numRuns: RUNS, includeErrorInReport: true },
  );
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

const FILES = captureFiles();

describe('normalizers are total on damaged captures', () => {
  for (const suite of SUITES) {
    const files = FILES.filter((f) => suite.files.test(f));
    it(`${suite.name}: ${files.length} captures, every line damaged ${RUNS} ways`, () => {
      assert.ok(files.length > 0, `no captures for ${suite.name}`);
      for (const file of files) {
        const lines = captureLines(join(CAPTURES, file));
        const undamaged = run(suite.create, lines);
        assertValid(undamaged.yielded, `${suite.name} ${file} (undamaged)`);
        const before = finalStates(undamaged);
        for (let index = 0; index < lines.length; index++) checkLine(suite, file, lines, index, undamaged, before);
      }
    });
  }

  it('the guard keeps a throwing normalizer going: the line is a raw entry, the state is kept', () => {
    let seen = 0;
    const throwing: Normalizer = {
      unknownLines: 0,
      push(line) {
        if (line === 'boom') throw new Error('boom');
        seen++;
        return [{ id: 'count', type: 'assistantMessage', text: `${seen} lines` }];
      },
    };
    const guarded = guardNormalizer(throwing);
    assert.deepEqual(guarded.push('a', 'stdout'), [{ id: 'count', type: 'assistantMessage', text: '1 lines' }]);
    assert.deepEqual(guarded.push('boom', 'stdout'), [{ id: 'unparsed-1', type: 'raw', stream: 'stdout', line: 'boom' }]);
    assert.deepEqual(guarded.push('b', 'stdout'), [{ id: 'count', type: 'assistantMessage', text: '2 lines' }]);
    assert.equal(guarded.unknownLines, 1);
  });
});
