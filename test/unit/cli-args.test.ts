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
});
