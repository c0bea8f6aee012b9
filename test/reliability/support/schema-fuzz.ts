// Params from protocol/schema.json: a plausible value for a JSON Schema (the subset the generator emits), and
// mutations of it (wrong types, missing required, extra fields, huge strings, negative numbers, unicode, `-` and
// `..` strings). The method list and every params schema are read from schema.json, never written out here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../support/client.js';
import type { Rng } from './prng.js';

export type JsonSchema = Record<string, any>;

export interface MethodInfo {
  name: string;
  type: 'request' | 'notification';
  direction: 'clientToServer' | 'serverToClient';
  params: JsonSchema | undefined;
}

/** Every method declared in protocol/schema.json, in file order. */
export function loadMethods(): MethodInfo[] {
  const schema = JSON.parse(readFileSync(join(ROOT, 'protocol', 'schema.json'), 'utf8')) as { methods: Record<string, any> };
  return Object.entries(schema.methods).map(([name, spec]) => ({ name, type: spec.type, direction: spec.direction, params: spec.params }));
}

/** What the generator may draw from: ids and paths that exist, learnt while fuzzing. */
export interface FuzzPools {
  /** Real entity ids (`prj_…`, `tsk_…`, …) seen in results. */
  ids: string[];
  /** A real git repository the daemon may open. */
  repoPath: string;
}

export const DASH_STRINGS = ['-rf', '--help', '--dangerously-skip-permissions', '-', '--', '-c', '--version', '--output=/tmp/x'];
export const DOTDOT_STRINGS = ['..', '../..', '../../../../../../etc/passwd', '/..', '.', '.git', 'a/../../b', '/', './..', '..\\..', '%2e%2e/%2e%2e'];
export const UNICODE_STRINGS = [
  '\u0000',
  'nul\u0000inside',
  '\ud800',
  '\udfff\ud800',
  '😀'.repeat(40),
  '\u202eevil\u202c',
  '\ufeffbom',
  'é́́́́',
  'Ω≈ç√∫',
  'line\nbreak\r\nand\ttab',
  '\u2028\u2029',
  'ＡＢＣ',
  '𝕳𝖊𝖑𝖑𝖔',
  'Content-Type: x',
];
const WRONG_TYPE_VALUES: unknown[] = [0, 1, -1, 1.5, -0.5, 2 ** 53, -(2 ** 63), 1e308, true, false, null, '', 'str', [], [1, 'a', null], {}, { a: 1 }, [[[[[]]]]]];
const EXTRA_KEYS = ['extra', '__proto__', 'constructor', 'hasOwnProperty', 'toString', '', ' ', '$ref', 'id'];
const HUGE_SIZES = [5_000, 70_000, 140_000, 1_100_000];

function idPrefixFor(field: string): string {
  const known: Record<string, string> = { projectId: 'prj', taskId: 'tsk', workspaceId: 'ws', sessionId: 'ses', executionId: 'exe', approvalId: 'apr', subscriptionId: 'sub', repositoryId: 'repo' };
  return known[field] ?? 'xxx';
}

/** A value for a string field: ids, paths and names that mean something when the name suggests it. */
function stringFor(schema: JsonSchema, field: string, rng: Rng, pools: FuzzPools): string {
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return rng.pick(schema.enum);
  const candidates: string[] = [];
  if (/Id$/.test(field) || field === 'id') {
    const prefix = idPrefixFor(field);
    const matching = pools.ids.filter((id) => id.startsWith(`${prefix}_`));
    if (matching.length && rng.chance(0.7)) candidates.push(rng.pick(matching));
    else if (pools.ids.length && rng.chance(0.3)) candidates.push(rng.pick(pools.ids));
    else candidates.push(`${prefix}_${rng.int(0, 1e9).toString(36)}`);
  }
  if (field === 'path' || field === 'sourcePath' || field === 'cwd') candidates.push(rng.chance(0.7) ? pools.repoPath : rng.pick(DOTDOT_STRINGS));
  if (field === 'executor') candidates.push(rng.pick(['scripted-agent', 'claude-code', 'codex', 'nope']));
  if (field === 'prompt') candidates.push(rng.pick(['hello', 'say hi', 'two\nlines']));
  if (field === 'ref' || field === 'baseBranch' || field === 'onto' || field === 'branch' || field === 'from' || field === 'to' || field === 'against') candidates.push(rng.pick(['main', 'HEAD', 'HEAD~1', 'nope']));
  if (field === 'dataDir') candidates.push('fuzz-data-dir');
  if (field === 'kinds' || field === 'kind') candidates.push(rng.pick(['task/updated', 'task/*', 'execution/output', 'session/*']));
  candidates.push(`${field || 's'}-${rng.int(0, 9999)}`, 'a', 'main', 'x.y_z-1', 'dir/sub');
  const pattern = typeof schema.pattern === 'string' ? safeRegExp(schema.pattern) : undefined;
  const fits = (s: string) =>
    (!pattern || pattern.test(s)) && (schema.minLength === undefined || [...s].length >= schema.minLength) && (schema.maxLength === undefined || [...s].length <= schema.maxLength);
  return candidates.find(fits) ?? candidates[0]!;
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

/** A value that should satisfy `schema` (best effort: patterns and cross-field rules may still reject it). */
export function generate(schema: JsonSchema | undefined, rng: Rng, pools: FuzzPools, field = '', depth = 0): unknown {
  if (!schema || depth > 6) return undefined;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return rng.pick(schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) return generate(rng.pick(alternatives), rng, pools, field, depth + 1);
  const type = Array.isArray(schema.type) ? rng.pick(schema.type) : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set<string>(schema.required ?? []);
      for (const [key, sub] of Object.entries<JsonSchema>(schema.properties ?? {})) {
        if (required.has(key) || rng.chance(0.35)) {
          const value = generate(sub, rng, pools, key, depth + 1);
          if (value !== undefined) out[key] = value;
        }
      }
      if (!schema.properties && schema.additionalProperties && typeof schema.additionalProperties === 'object' && rng.chance(0.5)) {
        out[`K${rng.int(0, 99)}`] = generate(schema.additionalProperties, rng, pools, 'value', depth + 1);
      }
      return out;
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      const max = Math.min(schema.maxItems ?? min + 2, min + 2);
      const length = rng.int(min, max);
      return Array.from({ length }, () => generate(schema.items, rng, pools, field, depth + 1));
    }
    case 'string':
      return stringFor(schema, field, rng, pools);
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? 0;
      const max = schema.maximum ?? min + 50;
      return rng.int(min, max);
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    default:
      return rng.chance(0.5) ? {} : 'x';
  }
}

type Path = (string | number)[];

/** Every path to a value inside `value` (objects and arrays), the root excluded. */
function pathsOf(value: unknown, prefix: Path = [], out: Path[] = [], depth = 0): Path[] {
  if (depth > 8 || value === null || typeof value !== 'object') return out;
  for (const [key, child] of Object.entries(value)) {
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    out.push(path);
    pathsOf(child, path, out, depth + 1);
  }
  return out;
}

function setAt(root: any, path: Path, value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path.at(-1)!] = value;
}

function deleteAt(root: any, path: Path): void {
  let node = root;
  for (const key of path.slice(0, -1)) node = node[key];
  if (Array.isArray(node)) node.splice(Number(path.at(-1)), 1);
  else delete node[path.at(-1)!];
}

function getAt(root: any, path: Path): unknown {
  let node = root;
  for (const key of path) node = node?.[key];
  return node;
}

export const MUTATIONS = ['wrongType', 'deleteField', 'extraField', 'hugeString', 'negativeNumber', 'unicode', 'dashString', 'dotdot', 'emptyString', 'nullField', 'hugeArray', 'deepNesting', 'wholeParams'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** Mutate a deep copy of `params`; returns the new params (possibly not an object at all) and what was done. */
export function mutate(params: unknown, rng: Rng): { params: unknown; mutation: string } {
  const copy: any = params === undefined ? {} : structuredClone(params);
  const mutation = rng.pick(MUTATIONS);
  const paths = pathsOf(copy);
  const leafPaths = paths.filter((p) => {
    const v = getAt(copy, p);
    return v === null || typeof v !== 'object';
  });
  const stringPaths = paths.filter((p) => typeof getAt(copy, p) === 'string');
  const anyPath = (): Path | undefined => (paths.length ? rng.pick(paths) : undefined);
  const replaceSome = (value: () => unknown, preferred: Path[]): string => {
    const path = preferred.length && rng.chance(0.8) ? rng.pick(preferred) : anyPath();
    if (!path) {
      if (copy && typeof copy === 'object' && !Array.isArray(copy)) copy[rng.pick(['name', 'path', 'prompt', 'x'])] = value();
      return 'root';
    }
    setAt(copy, path, value());
    return path.join('.');
  };
  switch (mutation) {
    case 'wrongType':
      return { params: copy, mutation: `wrongType@${replaceSome(() => structuredClone(rng.pick(WRONG_TYPE_VALUES)), leafPaths)}` };
    case 'deleteField': {
      const path = anyPath();
      if (path) deleteAt(copy, path);
      return { params: copy, mutation: `deleteField@${path?.join('.') ?? 'none'}` };
    }
    case 'extraField': {
      const objects = [[] as Path, ...paths].filter((p) => {
        const v = p.length ? getAt(copy, p) : copy;
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      });
      if (!objects.length) return { params: { extra: rng.pick(WRONG_TYPE_VALUES) }, mutation: 'extraField@root' };
      const path = rng.pick(objects);
      const target: any = path.length ? getAt(copy, path) : copy;
      const key = rng.pick(EXTRA_KEYS);
      Object.defineProperty(target, key, { value: rng.pick(WRONG_TYPE_VALUES), enumerable: true, writable: true, configurable: true });
      return { params: copy, mutation: `extraField@${[...path, key].join('.')}` };
    }
    case 'hugeString': {
      const size = rng.pick(HUGE_SIZES);
      const unit = rng.pick(['A', 'é', '😀', '../', '-']);
      return { params: copy, mutation: `hugeString(${size})@${replaceSome(() => unit.repeat(Math.ceil(size / unit.length)), stringPaths)}` };
    }
    case 'negativeNumber':
      return { params: copy, mutation: `negativeNumber@${replaceSome(() => rng.pick([-1, -0.5, -(2 ** 31), -(2 ** 53), -1e308]), leafPaths)}` };
    case 'unicode':
      return { params: copy, mutation: `unicode@${replaceSome(() => rng.pick(UNICODE_STRINGS), stringPaths)}` };
    case 'dashString':
      return { params: copy, mutation: `dashString@${replaceSome(() => rng.pick(DASH_STRINGS), stringPaths)}` };
    case 'dotdot':
      return { params: copy, mutation: `dotdot@${replaceSome(() => rng.pick(DOTDOT_STRINGS), stringPaths)}` };
    case 'emptyString':
      return { params: copy, mutation: `emptyString@${replaceSome(() => '', stringPaths)}` };
    case 'nullField':
      return { params: copy, mutation: `nullField@${replaceSome(() => null, leafPaths)}` };
    case 'hugeArray':
      return { params: copy, mutation: `hugeArray@${replaceSome(() => Array.from({ length: 5000 }, (_, i) => (i % 2 ? 'a' : i)), paths)}` };
    case 'deepNesting': {
      let deep: unknown = 'bottom';
      const depth = rng.pick([50, 900]);
      for (let i = 0; i < depth; i++) deep = rng.chance(0.5) ? [deep] : { a: deep };
      return { params: copy, mutation: `deepNesting@${replaceSome(() => deep, paths)}` };
    }
    case 'wholeParams':
      return { params: structuredClone(rng.pick<unknown>([null, [], [copy], 'params', 42, true, {}, { '': '' }])), mutation: 'wholeParams' };
  }
}

/** Harvest entity ids (`prj_…`) from a result, so later params can name things that exist. */
export function harvestIds(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 5 || into.size > 2000) return;
  if (typeof value === 'string') {
    if (/^[a-z]{2,4}_[0-9A-Za-z]{6,40}$/.test(value)) into.add(value);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const entries = Array.isArray(value) ? value.slice(0, 20) : Object.values(value);
  for (const child of entries) harvestIds(child, into, depth + 1);
}
