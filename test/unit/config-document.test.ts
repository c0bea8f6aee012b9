// One configuration document: every problem names the file, the JSON path and what was found there; the version is
// checked and older ones migrated; plain secrets are refused without ever being echoed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkConfigDocument, jsonPathOf, parseConfigText, type DocumentResult } from '../../src/config/document.js';

const FILE = '/x/orchd.json';

function problems(result: DocumentResult) {
  assert.equal(result.ok, false, 'expected the document to be refused');
  return result.ok ? [] : result.problems;
}

describe('config document: problems with exact JSON paths and received values', () => {
  const cases: [string, unknown, { jsonPath: string; received: string; message: string }][] = [
    [
      'a model that is not a string',
      { profiles: { fast: { executor: 'claude-code', model: 42 } } },
      { jsonPath: '$.profiles.fast.model', received: '42', message: 'Expected $.profiles.fast.model in "/x/orchd.json" to be a string, got 42' },
    ],
    ['a key orchd does not know', { scripts: {}, bogus: true }, { jsonPath: '$.bogus', received: '"bogus"', message: 'Expected no key $.bogus in "/x/orchd.json" (orchd knows no such setting), got "bogus"' }],
    [
      'an empty command in the third setup script',
      { scripts: { setup: [{ command: 'a' }, { command: 'b' }, { command: '' }] } },
      { jsonPath: '$.scripts.setup[2].command', received: '""', message: 'Expected $.scripts.setup[2].command in "/x/orchd.json" to have a length >=1, got ""' },
    ],
    ['a command that is missing', { scripts: { devServer: { name: 'web' } } }, { jsonPath: '$.scripts.devServer.command', received: 'nothing', message: 'Expected $.scripts.devServer.command in "/x/orchd.json" to be set, got nothing' }],
    ['a setup mode orchd does not have', { scripts: { setupMode: 'random' } }, { jsonPath: '$.scripts.setupMode', received: '"random"', message: 'Expected $.scripts.setupMode in "/x/orchd.json" to be one of "sequential", "parallel", got "random"' }],
    [
      'a scrollback below the minimum',
      { terminal: { scrollbackBytes: 5 } },
      { jsonPath: '$.terminal.scrollbackBytes', received: '5', message: 'Expected $.terminal.scrollbackBytes in "/x/orchd.json" to be >=65536, got 5' },
    ],
    [
      'a profile name with a space',
      { profiles: { 'my fast': { executor: 'codex' } } },
      { jsonPath: '$.profiles["my fast"]', received: '"my fast"', message: 'Expected $.profiles["my fast"] in "/x/orchd.json" to match /^[A-Za-z0-9._-]+$/, got "my fast"' },
    ],
    [
      'an env value that is a number',
      { profiles: { fast: { executor: 'codex', env: { LEVEL: 3 } } } },
      { jsonPath: '$.profiles.fast.env.LEVEL', received: '3', message: 'Expected $.profiles.fast.env.LEVEL in "/x/orchd.json" to be a string or {"env": "NAME"}, got 3' },
    ],
    ['autoCommit as a string', { autoCommit: 'yes' }, { jsonPath: '$.autoCommit', received: '"yes"', message: 'Expected $.autoCommit in "/x/orchd.json" to be true or false, got "yes"' }],
    ['a list that is an object', { copyFiles: { a: 1 } }, { jsonPath: '$.copyFiles', received: '{"a":1}', message: 'Expected $.copyFiles in "/x/orchd.json" to be an array, got {"a":1}' }],
    ['a document that is a list', [1, 2], { jsonPath: '$', received: 'an array', message: 'Expected $ in "/x/orchd.json" to be a JSON object, got an array' }],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => {
      const [first] = problems(checkConfigDocument(input, { file: FILE }));
      assert.deepEqual(first, { file: FILE, ...expected });
    });
  }

  it('reports every problem at once, and names the project settings when there is no file', () => {
    const found = problems(checkConfigDocument({ autoCommit: 1, branchPrefix: '-bad' }, { file: null }));
    assert.deepEqual(
      found.map((p) => p.jsonPath),
      ['$.autoCommit', '$.branchPrefix'],
    );
    assert.match(found[0]!.message, /^Expected \$\.autoCommit in the project settings to be true or false, got 1$/);
    assert.equal(found[0]!.file, null);
  });

  it('builds JSON paths from issue paths', () => {
    assert.equal(jsonPathOf([]), '$');
    assert.equal(jsonPathOf([{ key: 'a' }, { key: 'b' }, { key: 2 }]), '$.a.b[2]');
    assert.equal(jsonPathOf([{ key: 'profiles' }, { key: 'a.b' }]), '$.profiles["a.b"]');
  });

  it('accepts a full document with $schema and a version', () => {
    const result = checkConfigDocument(
      {
        $schema: './node_modules/orchd/protocol/config.schema.json',
        version: 1,
        scripts: { setup: [{ command: 'npm ci' }], devServer: { command: 'npm run dev', name: 'web' } },
        copyFiles: ['.env'],
        autoCommit: false,
        branchPrefix: 'team/agents',
        approvals: { timeoutSeconds: 60 },
        profiles: { fast: { executor: 'claude-code', model: 'haiku', env: { ANTHROPIC_API_KEY: { env: 'MY_KEY' }, LOG_LEVEL: 'debug', EMPTY_TOKEN: '' } } },
        retention: { maxAgeDays: 30 },
        terminal: { shell: '/bin/zsh' },
      },
      { file: FILE },
    );
    assert.equal(result.ok, true, JSON.stringify(result));
    // Sparse: a layer that sets only `timeoutSeconds` does not also set the rules below it to their defaults.
    assert.deepEqual(result.ok && result.document.approvals, { timeoutSeconds: 60 });
  });
});

describe('config document: invalid JSON', () => {
  it('names the line and column and shows the line', () => {
    const [problem] = problems(parseConfigText('{\n  "autoCommit": true,\n}\n', { file: FILE }));
    assert.equal(problem!.jsonPath, '$');
    assert.equal(problem!.received, '"}"');
    assert.match(problem!.message, /^Expected "\/x\/orchd\.json" to be valid JSON, got .+ at line 3 column 1$/);
  });
  it('says an empty file is empty', () => {
    const [problem] = problems(parseConfigText('', { file: FILE }));
    assert.equal(problem!.received, 'an empty file');
    assert.match(problem!.message, /the text ended early at line 1 column 1$/);
  });
});

describe('config document: version', () => {
  it('takes a missing version as 1', () => {
    assert.equal(checkConfigDocument({ autoCommit: true }, { file: FILE }).ok, true);
  });
  it('refuses a file written by a newer orchd', () => {
    const [problem] = problems(checkConfigDocument({ version: 7, autoCommit: true }, { file: FILE }));
    assert.deepEqual(problem, {
      file: FILE,
      jsonPath: '$.version',
      received: '7',
      message: 'Expected $.version in "/x/orchd.json" to be at most 1, got 7: the file was written by a newer orchd',
    });
  });
  it('refuses a version that is not a positive integer', () => {
    const [problem] = problems(checkConfigDocument({ version: 0 }, { file: FILE }));
    assert.equal(problem!.jsonPath, '$.version');
  });

  // The mechanism, with synthetic later versions (the real table has no entries while the format is at version 1):
  // in the synthetic version 1, `autoCommit` was called `legacyFlag`.
  const migrations = {
    1: (doc: Record<string, unknown>) => {
      const { legacyFlag, ...rest } = doc as Record<string, unknown> & { legacyFlag?: unknown };
      return legacyFlag === undefined ? rest : { ...rest, autoCommit: legacyFlag };
    },
  };
  it('migrates an older document step by step to the current version', () => {
    const steps = {
      1: (doc: Record<string, unknown>) => ({ ...doc, trail: 'one' }),
      2: (doc: Record<string, unknown>) => {
        const { trail, ...rest } = doc;
        return { ...rest, branchPrefix: `${String(trail)}-two` };
      },
    };
    const result = checkConfigDocument({ version: 1 }, { file: FILE, migrations: steps, currentVersion: 3 });
    assert.deepEqual(result.ok && result.document, { version: 3, branchPrefix: 'one-two' });
  });
  it('runs the migration for a document without a version (version 1) and stamps the current version', () => {
    const seen: unknown[] = [];
    const result = checkConfigDocument(
      { legacyFlag: false },
      { file: FILE, migrations: { 1: (doc) => (seen.push(doc), migrations[1](doc)) }, currentVersion: 2 },
    );
    assert.deepEqual(seen, [{ legacyFlag: false }]);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(result.ok && result.document, { version: 2, autoCommit: false });
  });
  it('leaves a current document alone', () => {
    const result = checkConfigDocument({ version: 2, autoCommit: true }, { file: FILE, migrations, currentVersion: 2 });
    assert.deepEqual(result.ok && result.document, { version: 2, autoCommit: true });
  });
  it('says when a step is missing', () => {
    const [problem] = problems(checkConfigDocument({ version: 1 }, { file: FILE, migrations: {}, currentVersion: 3 }));
    assert.equal(problem!.message, 'Expected $.version in "/x/orchd.json" to be a version this orchd can migrate, got 1 (no migration from 1)');
  });
});

describe('config document: secrets', () => {
  const SECRET = 'sk-ant-not-for-files-123';
  for (const name of ['ANTHROPIC_API_KEY', 'GITHUB_TOKEN', 'my_secret', 'DB_PASSWORD', 'AWS_CREDENTIALS']) {
    it(`refuses a plain value for ${name}, naming the path and never the value`, () => {
      const [problem] = problems(checkConfigDocument({ profiles: { fast: { executor: 'codex', env: { [name]: SECRET } } } }, { file: FILE }));
      assert.equal(problem!.jsonPath, `$.profiles.fast.env.${name}`);
      assert.equal(problem!.received, 'a plain string');
      assert.match(problem!.message, new RegExp(`refer to orchd's environment, like \\{"env": "${name}"\\}`));
      assert.ok(!JSON.stringify(problem).includes(SECRET));
    });
  }
  it('accepts references, empty values and plain values under ordinary names', () => {
    const result = checkConfigDocument({ profiles: { fast: { executor: 'codex', env: { OPENAI_API_KEY: { env: 'OPENAI_API_KEY' }, GITHUB_TOKEN: '', RUST_LOG: 'debug' } } } }, { file: FILE });
    assert.equal(result.ok, true, JSON.stringify(result));
  });
  it('keeps plain values already stored when asked to (the project settings before the rule)', () => {
    assert.equal(checkConfigDocument({ profiles: { fast: { executor: 'codex', env: { API_KEY: SECRET } } } }, { file: null, refusePlainSecrets: false }).ok, true);
  });
});
