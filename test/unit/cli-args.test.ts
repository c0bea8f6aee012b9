import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCli } from '../../src/cli/args.js';

describe('parseCli', () => {
  const table: [string[], boolean, Record<string, unknown>][] = [
    [['--stdio'], true, { command: 'stdio', logLevel: 'info', dataDir: undefined }],
    [[], false, { command: 'stdio' }],
    [[], true, { command: 'help' }],
    [['--version'], true, { command: 'version' }],
    [['-h'], true, { command: 'help' }],
    [['doctor', '--json'], true, { command: 'doctor', json: true }],
    [['--stdio', '--data-dir', '/tmp/x', '--log-level', 'debug'], true, { command: 'stdio', dataDir: '/tmp/x', logLevel: 'debug' }],
    [['--log-level', 'loud'], false, { command: 'error' }],
    [['frobnicate'], true, { command: 'error' }],
    [['--nope'], true, { command: 'error' }],
    // run: the prompt is every positional argument joined with spaces; logs default to warn.
    [
      ['run', '--agent', 'scripted-agent', 'Say', 'hi'],
      true,
      { command: 'run', agent: 'scripted-agent', prompt: 'Say hi', repo: undefined, base: undefined, json: false, yes: false, noColor: false, logLevel: 'warn', dataDir: undefined },
    ],
    [
      ['run', '--repo', '/r', '--agent', 'a', '--base', 'dev', '--model', 'm', '--permission-mode', 'default', '--json', '-y', '--no-color', '--data-dir', '/d', '--log-level', 'debug', 'Fix it'],
      false,
      { command: 'run', repo: '/r', agent: 'a', base: 'dev', model: 'm', permissionMode: 'default', json: true, yes: true, noColor: true, dataDir: '/d', logLevel: 'debug', prompt: 'Fix it' },
    ],
    [['--data-dir', '/d', 'run', '--agent', 'a', 'go'], true, { command: 'run', dataDir: '/d', agent: 'a', prompt: 'go' }],
    [['run', '--profile', 'fast', 'go'], true, { command: 'run', agent: undefined, profile: 'fast', prompt: 'go' }],
    [['run', '--agent', 'a', '-'], false, { command: 'run', prompt: '-' }],
    [['run', '--agent', 'a', '--', '--not-an-option'], true, { command: 'run', prompt: '--not-an-option' }],
    [['run', '--agent', 'a', 'line one\n@edit f.txt x'], true, { command: 'run', prompt: 'line one\n@edit f.txt x' }],
    [['run', 'go'], true, { command: 'error' }],
    [['run', '--agent', 'a'], true, { command: 'error' }],
    [['run', '--agent', 'a', '   '], true, { command: 'error' }],
    [['run', '--agent', '', 'go'], true, { command: 'error' }],
    [['run', '--agent', 'a', '--frobnicate', 'go'], true, { command: 'error' }],
    [['run', '--agent', 'a', '--log-level', 'loud', 'go'], true, { command: 'error' }],
    [['run', '--help'], true, { command: 'help' }],
    // merge
    [['merge', 'ws_1'], true, { command: 'merge', workspaceId: 'ws_1', strategy: undefined, dataDir: undefined, logLevel: 'warn' }],
    [['merge', 'ws_1', '--strategy', 'squash', '--data-dir', '/d'], true, { command: 'merge', workspaceId: 'ws_1', strategy: 'squash', dataDir: '/d' }],
    [['merge'], true, { command: 'error' }],
    [['merge', 'ws_1', 'ws_2'], true, { command: 'error' }],
    [['merge', 'ws_1', '--strategy', 'octopus'], true, { command: 'error' }],
  ];
  for (const [argv, tty, expected] of table) {
    it(`${JSON.stringify(argv)} (tty=${tty})`, () => {
      const cli = parseCli(argv, { stdinIsTty: tty, logLevelEnv: undefined });
      for (const [key, value] of Object.entries(expected)) assert.deepEqual((cli as Record<string, unknown>)[key], value, key);
    });
  }
  it('names the bad log level', () => {
    const cli = parseCli(['--log-level', 'loud'], { stdinIsTty: true });
    assert.equal(cli.command, 'error');
    assert.match((cli as { message: string }).message, /`--log-level`.*`loud`/);
  });
  it('says what run is missing, and names a bad merge strategy', () => {
    const noAgent = parseCli(['run', 'go'], { stdinIsTty: true });
    assert.match((noAgent as { message: string }).message, /`--agent ID`/);
    const noPrompt = parseCli(['run', '--agent', 'a'], { stdinIsTty: true });
    assert.match((noPrompt as { message: string }).message, /Expected a prompt/);
    const strategy = parseCli(['merge', 'ws_1', '--strategy', 'octopus'], { stdinIsTty: true });
    assert.match((strategy as { message: string }).message, /`--strategy`.*`octopus`/);
  });
  it('run ignores ORCHD_LOG_LEVEL so the live view stays readable', () => {
    const cli = parseCli(['run', '--agent', 'a', 'go'], { stdinIsTty: true, logLevelEnv: 'debug' });
    assert.equal((cli as { logLevel: string }).logLevel, 'warn');
  });
});

describe('parseCli: token', () => {
  it('parses create, list and revoke with their options', () => {
    assert.deepEqual(parseCli(['token', 'create']), { command: 'token', action: 'create', name: undefined, readOnly: false, json: false, dataDir: undefined });
    assert.deepEqual(parseCli(['token', 'create', '--read-only', '--name', 'ci', '--json', '--data-dir', '/d']), {
      command: 'token',
      action: 'create',
      name: 'ci',
      readOnly: true,
      json: true,
      dataDir: '/d',
    });
    assert.deepEqual(parseCli(['token', 'list', '--json']), { command: 'token', action: 'list', json: true, dataDir: undefined });
    assert.deepEqual(parseCli(['token', 'revoke', 'ci']), { command: 'token', action: 'revoke', target: 'ci', json: false, dataDir: undefined });
  });

  it('says what is wrong, naming the argument', () => {
    const message = (argv: string[]) => {
      const cli = parseCli(argv);
      return cli.command === 'error' ? cli.message : `parsed as ${cli.command}`;
    };
    assert.match(message(['token']), /Expected `create`, `list` or `revoke`, got nothing/);
    assert.match(message(['token', 'mint']), /got `mint`/);
    assert.match(message(['token', 'revoke']), /Expected a token id or name/);
    assert.match(message(['token', 'revoke', 'a', 'b']), /Unexpected argument `b`/);
    assert.match(message(['token', 'list', '--read-only']), /belong to `token create`/);
    assert.match(message(['token', 'create', '--bogus']), /token: .*--bogus/);
  });
});
