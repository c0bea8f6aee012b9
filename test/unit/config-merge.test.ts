// Precedence: for every key, which layer wins when any combination of layers sets it; `sources` says so; sections
// merge key by key, profiles by name (replaced whole), lists replace; and RFC 7396 merge patches.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigLayerName } from '../../protocol/config.js';
import { builtInDefaults } from '../../src/config/defaults.js';
import type { ConfigValues } from '../../src/config/document.js';
import { applyMergePatch, mergeLayers, type LayerInput } from '../../src/config/merge.js';

type FileLayer = Exclude<ConfigLayerName, 'default'>;
const FILE_LAYERS: FileLayer[] = ['user', 'repository', 'project'];
const RANK = { user: 1, repository: 2, project: 3 } as const;

/** Per dotted path: a value each layer sets there (distinct per layer), and how to read it back. */
const KEYS: Record<string, { value: (layer: FileLayer) => unknown; defaultValue: unknown }> = {
  'scripts.setup': { value: (l) => [{ command: `echo setup-${l}` }], defaultValue: [] },
  'scripts.setupMode': { value: (l) => (RANK[l] % 2 ? 'parallel' : 'sequential'), defaultValue: 'sequential' },
  'scripts.cleanup': { value: (l) => [{ command: `echo cleanup-${l}` }], defaultValue: [] },
  'scripts.archive': { value: (l) => [{ command: `echo archive-${l}` }], defaultValue: [] },
  'scripts.devServer': { value: (l) => ({ command: `serve-${l}` }), defaultValue: null },
  copyFiles: { value: (l) => [`.env.${l}`], defaultValue: [] },
  autoCommit: { value: (l) => RANK[l] % 2 === 0, defaultValue: true },
  branchPrefix: { value: (l) => `prefix-${l}`, defaultValue: 'orchd' },
  'approvals.rules': { value: (l) => [{ tool: `tool-${l}`, action: 'allow' }], defaultValue: [] },
  'approvals.defaultRules': { value: (l) => RANK[l] % 2 === 0, defaultValue: true },
  'approvals.timeoutSeconds': { value: (l) => RANK[l] * 10, defaultValue: null },
  'approvals.onTimeout': { value: (l) => (RANK[l] % 2 ? 'allow' : 'deny'), defaultValue: 'deny' },
  'profiles.fast': { value: (l) => ({ executor: `exec-${l}`, extraArgs: [], env: {} }), defaultValue: undefined },
  'retention.maxAgeDays': { value: (l) => RANK[l], defaultValue: undefined },
  'retention.maxBytes': { value: (l) => RANK[l] * 1000, defaultValue: undefined },
  'terminal.scrollbackBytes': { value: (l) => RANK[l] * 65536, defaultValue: 4 * 1024 * 1024 },
  'terminal.shell': { value: (l) => `/bin/${l}-sh`, defaultValue: '/bin/default-sh' },
};

function at(object: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

function setAt(object: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let target = object;
  for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
  target[keys.at(-1)!] = value;
}

/** Every subset of the file layers: which of them set the key. */
const SUBSETS: FileLayer[][] = [[], ['user'], ['repository'], ['project'], ['user', 'repository'], ['user', 'project'], ['repository', 'project'], ['user', 'repository', 'project']];

describe('config precedence: defaults < user < repository < project, for every key', () => {
  const defaults = builtInDefaults({ SHELL: '/bin/default-sh' });
  for (const [path, key] of Object.entries(KEYS)) {
    for (const setting of SUBSETS) {
      const winner: ConfigLayerName | undefined = setting.at(-1) ?? (key.defaultValue === undefined ? undefined : 'default');
      it(`${path} set by [${setting.join(', ') || 'none'}] comes from ${winner ?? 'nowhere'}`, () => {
        const layers: LayerInput[] = [{ layer: 'default', values: defaults }];
        for (const layer of FILE_LAYERS) {
          const values: Record<string, unknown> = {};
          if (setting.includes(layer)) setAt(values, path, key.value(layer));
          layers.push({ layer, values: values as ConfigValues });
        }
        const { config, sources } = mergeLayers(layers);
        assert.equal(sources[path], winner);
        const expected = winner === undefined ? undefined : winner === 'default' ? key.defaultValue : key.value(winner);
        assert.deepEqual(at(config as unknown as Record<string, unknown>, path), expected);
      });
    }
  }
});

describe('config merge', () => {
  const defaults = builtInDefaults({ SHELL: '/bin/sh' });

  it('merges sections key by key and keeps each value\'s source', () => {
    const { config, sources } = mergeLayers([
      { layer: 'default', values: defaults },
      { layer: 'user', values: { scripts: { setup: [{ command: 'npm ci' }] }, approvals: { timeoutSeconds: 30 } } },
      { layer: 'repository', values: { scripts: { cleanup: [{ command: 'npm test' }] }, approvals: { rules: [{ tool: 'Bash', action: 'deny' }] } } },
    ]);
    assert.deepEqual(config.scripts, { setup: [{ command: 'npm ci' }], setupMode: 'sequential', cleanup: [{ command: 'npm test' }], archive: [], devServer: null });
    assert.deepEqual(config.approvals, { rules: [{ tool: 'Bash', action: 'deny' }], defaultRules: true, timeoutSeconds: 30, onTimeout: 'deny' });
    assert.equal(sources['scripts.setup'], 'user');
    assert.equal(sources['scripts.cleanup'], 'repository');
    assert.equal(sources['scripts.archive'], 'default');
    assert.equal(sources['approvals.timeoutSeconds'], 'user');
    assert.equal(sources['approvals.rules'], 'repository');
  });

  it('replaces lists whole', () => {
    const { config } = mergeLayers([
      { layer: 'default', values: defaults },
      { layer: 'user', values: { copyFiles: ['.env', '.env.local'] } },
      { layer: 'project', values: { copyFiles: ['.npmrc'] } },
    ]);
    assert.deepEqual(config.copyFiles, ['.npmrc']);
  });

  it('merges profiles by name, a higher layer replacing a profile whole', () => {
    const { config, sources } = mergeLayers([
      { layer: 'default', values: defaults },
      {
        layer: 'user',
        values: {
          profiles: {
            fast: { executor: 'claude-code', model: 'haiku', extraArgs: ['--verbose'], env: { ANTHROPIC_API_KEY: { env: 'MY_KEY' } } },
            deep: { executor: 'codex', extraArgs: [], env: {} },
          },
        },
      },
      { layer: 'project', values: { profiles: { fast: { executor: 'claude-code', permissionMode: 'plan', extraArgs: [], env: {} } } } },
    ]);
    // Nothing of the user's `fast` survives: no model, no extraArgs, no env.
    assert.deepEqual(config.profiles.fast, { executor: 'claude-code', permissionMode: 'plan', extraArgs: [], env: {} });
    assert.deepEqual(config.profiles.deep, { executor: 'codex', extraArgs: [], env: {} });
    assert.equal(sources['profiles.fast'], 'project');
    assert.equal(sources['profiles.deep'], 'user');
  });

  it('lets a later repository file win over an earlier one (repository order)', () => {
    const { config, sources } = mergeLayers([
      { layer: 'default', values: defaults },
      { layer: 'repository', values: { scripts: { setup: [{ command: 'a', repository: 'api' }] }, branchPrefix: 'api' } },
      { layer: 'repository', values: { scripts: { cleanup: [{ command: 'b', repository: 'web' }] }, branchPrefix: 'web' } },
    ]);
    assert.equal(config.branchPrefix, 'web');
    assert.deepEqual(config.scripts.setup, [{ command: 'a', repository: 'api' }]);
    assert.deepEqual(config.scripts.cleanup, [{ command: 'b', repository: 'web' }]);
    assert.equal(sources.branchPrefix, 'repository');
  });

  it('never shares values with its inputs', () => {
    const user = { copyFiles: ['.env'] };
    const { config } = mergeLayers([
      { layer: 'default', values: defaults },
      { layer: 'user', values: user },
    ]);
    config.copyFiles.push('.other');
    assert.deepEqual(user.copyFiles, ['.env']);
  });
});

describe('JSON merge patch (RFC 7396)', () => {
  const cases: [string, unknown, unknown, unknown][] = [
    ['sets a key', { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
    ['replaces a value', { a: 1 }, { a: 2 }, { a: 2 }],
    ['removes a key with null', { a: 1, b: 2 }, { a: null }, { b: 2 }],
    ['removes a nested key with null', { scripts: { setup: [{ command: 'x' }], cleanup: [] } }, { scripts: { setup: null } }, { scripts: { cleanup: [] } }],
    ['merges nested objects', { profiles: { fast: { executor: 'codex', model: 'a' } } }, { profiles: { fast: { model: 'b' }, slow: { executor: 'x' } } }, { profiles: { fast: { executor: 'codex', model: 'b' }, slow: { executor: 'x' } } }],
    ['replaces lists whole', { copyFiles: ['a', 'b'] }, { copyFiles: ['c'] }, { copyFiles: ['c'] }],
    ['replaces an object with a scalar', { a: { b: 1 } }, { a: 'x' }, { a: 'x' }],
    ['replaces a scalar with an object', { a: 'x' }, { a: { b: 1 } }, { a: { b: 1 } }],
    ['ignores null for an absent key', { a: 1 }, { b: null }, { a: 1 }],
    ['drops nulls inside new objects', {}, { a: { b: null, c: 1 } }, { a: { c: 1 } }],
    ['a non-object patch replaces the target', { a: 1 }, ['x'], ['x']],
    ['an empty patch changes nothing', { a: { b: 1 } }, {}, { a: { b: 1 } }],
  ];
  for (const [name, target, patch, expected] of cases) {
    it(name, () => {
      const before = structuredClone(target);
      assert.deepEqual(applyMergePatch(target, patch), expected);
      assert.deepEqual(target, before, 'the target is left unchanged');
    });
  }
});
