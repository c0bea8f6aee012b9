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
    [['merge', 'ws_1'], true, { command: 'merge', workspaceId: 'ws_1', strategy: undefined, cleanup: false, dataDir: undefined, logLevel: 'warn' }],
    [['merge', 'ws_1', '--cleanup'], true, { command: 'merge', workspaceId: 'ws_1', cleanup: true }],
    [['merge', 'ws_1', '--strategy', 'squash', '--data-dir', '/d'], true, { command: 'merge', workspaceId: 'ws_1', strategy: 'squash', dataDir: '/d' }],
    [['merge'], true, { command: 'error' }],
    [['merge', 'ws_1', 'ws_2'], true, { command: 'error' }],
    [['merge', 'ws_1', '--strategy', 'octopus'], true, { command: 'error' }],
    // ls: workspaces by default; singular names and `ws` are the same list
    [['ls'], true, { command: 'ls', kind: 'workspaces', all: false, json: false, dataDir: undefined, logLevel: 'warn' }],
    [['ls', 'sessions', '--all', '--json', '--data-dir', '/d'], false, { command: 'ls', kind: 'sessions', all: true, json: true, dataDir: '/d' }],
    [['ls', 'task', '-a'], true, { command: 'ls', kind: 'tasks', all: true }],
    [['ls', 'ws'], true, { command: 'ls', kind: 'workspaces' }],
    [['ls', 'project'], true, { command: 'ls', kind: 'projects' }],
    [['ls', 'everything'], true, { command: 'error', usageOf: 'ls' }],
    [['ls', 'tasks', 'more'], true, { command: 'error', usageOf: 'ls' }],
    // log: one session or workspace id, -f to follow
    [['log', 'ses_1'], true, { command: 'log', target: 'ses_1', follow: false, raw: false, json: false, noColor: false, logLevel: 'warn' }],
    [['log', '-f', 'ws_1', '--raw'], true, { command: 'log', target: 'ws_1', follow: true, raw: true }],
    [['log', 'ws_1', '--follow', '--json', '--no-color'], true, { command: 'log', follow: true, json: true, noColor: true }],
    [['log'], true, { command: 'error', usageOf: 'log' }],
    [['log', 'a', 'b'], true, { command: 'error', usageOf: 'log' }],
    [['log', 'a', '--raw', '--json'], true, { command: 'error', usageOf: 'log' }],
    // rm: one or more workspaces; --yes, --force (-f), --keep-branch
    [['rm', 'ws_1'], true, { command: 'rm', workspaceIds: ['ws_1'], yes: false, force: false, keepBranch: false, logLevel: 'warn' }],
    [['rm', 'ws_1', 'ws_2', '-y', '--keep-branch'], true, { command: 'rm', workspaceIds: ['ws_1', 'ws_2'], yes: true, keepBranch: true }],
    [['rm', '-f', 'ws_1'], true, { command: 'rm', force: true, yes: false }],
    [['rm'], true, { command: 'error', usageOf: 'rm' }],
    [['rm', ''], true, { command: 'error', usageOf: 'rm' }],
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
      return cli.command === 'error' ? `${cli.usageOf ? `${cli.usageOf}: ` : ''}${cli.message}` : `parsed as ${cli.command}`;
    };
    assert.match(message(['token']), /Expected `create`, `list` or `revoke`, got nothing/);
    assert.match(message(['token', 'mint']), /got `mint`/);
    assert.match(message(['token', 'revoke']), /Expected a token id or name/);
    assert.match(message(['token', 'revoke', 'a', 'b']), /Unexpected argument `b`/);
    assert.match(message(['token', 'list', '--read-only']), /belong to `token create`/);
    assert.match(message(['token', 'create', '--bogus']), /token: .*--bogus/);
  });
});

describe('parseCli: config', () => {
  it('parses show, validate and path with their options', () => {
    const common = { command: 'config', json: false, dataDir: undefined, logLevel: 'warn' };
    assert.deepEqual(parseCli(['config', 'show']), { ...common, action: 'show', projectId: undefined });
    assert.deepEqual(parseCli(['config', 'show', '--project', 'prj_1', '--json', '--data-dir', '/d']), { ...common, action: 'show', projectId: 'prj_1', json: true, dataDir: '/d' });
    assert.deepEqual(parseCli(['config', 'validate']), { ...common, action: 'validate', file: undefined });
    assert.deepEqual(parseCli(['config', 'validate', 'orchd.json']), { ...common, action: 'validate', file: 'orchd.json' });
    assert.deepEqual(parseCli(['config', 'path', '--json']), { ...common, action: 'path', json: true });
  });

  it('says what is wrong, naming the argument', () => {
    const message = (argv: string[]) => {
      const cli = parseCli(argv);
      return cli.command === 'error' ? `${cli.usageOf ? `${cli.usageOf}: ` : ''}${cli.message}` : `parsed as ${cli.command}`;
    };
    assert.equal(message(['config']), 'config: Expected `show`, `validate` or `path`, got nothing');
    assert.match(message(['config', 'edit']), /got `edit`/);
    assert.match(message(['config', 'validate', 'a', 'b']), /Unexpected argument `b`/);
    assert.match(message(['config', 'path', '--project', 'p']), /`--project` belongs to `config show`/);
    assert.match(message(['config', 'show', '--bogus']), /config: .*--bogus/);
  });
});

describe('parseCli: service mode', () => {
  const message = (argv: string[], stdinIsTty = true) => {
    const cli = parseCli(argv, { stdinIsTty, logLevelEnv: undefined });
    return cli.command === 'error' ? `${cli.usageOf ? `${cli.usageOf}: ` : ''}${cli.message}` : `parsed as ${cli.command}`;
  };

  it('serve listens on loopback, on any free port, with no browser origins, by default', () => {
    const cli = parseCli(['serve'], { stdinIsTty: true, logLevelEnv: 'info' });
    assert.deepEqual(cli, { command: 'serve', listen: { host: '127.0.0.1', port: 0, allowedOrigins: [] }, dataDir: undefined, logLevel: 'info' });
    // With no terminal on stdin it is still serve, not the stdio daemon.
    assert.equal(parseCli(['serve'], { stdinIsTty: false }).command, 'serve');
  });

  it('serve takes a port, a host, repeated origins, a data directory and a log level', () => {
    const cli = parseCli(
      ['serve', '--port', '7777', '--host', '0.0.0.0', '--allow-origin', 'http://localhost:5173', '--allow-origin', 'https://ide.example.com', '--data-dir', '/d', '--log-level', 'debug'],
      { stdinIsTty: true },
    );
    assert.deepEqual(cli, {
      command: 'serve',
      listen: { host: '0.0.0.0', port: 7777, allowedOrigins: ['http://localhost:5173', 'https://ide.example.com'] },
      dataDir: '/d',
      logLevel: 'debug',
    });
    assert.deepEqual((parseCli(['--data-dir', '/d', 'serve', '--port', '65535'], { stdinIsTty: true }) as { listen: unknown }).listen, { host: '127.0.0.1', port: 65535, allowedOrigins: [] });
  });

  it('serve names the flag and the value it cannot use', () => {
    assert.match(message(['serve', '--port', '70000']), /^serve: .*`--port`.*`70000`/);
    assert.match(message(['serve', '--port', 'http']), /`--port`.*`http`/);
    assert.match(message(['serve', '--allow-origin', 'notaurl']), /^serve: .*`--allow-origin`.*`notaurl`/);
    assert.match(message(['serve', '--allow-origin', 'http://localhost:5173/app']), /`--allow-origin`.*`http:\/\/localhost:5173\/app`/);
    assert.match(message(['serve', '--host', '']), /`--host`/);
    assert.match(message(['serve', 'now']), /Unexpected argument `now`/);
    assert.match(message(['serve', '--listen', '0']), /^serve: .*--listen/);
  });

  it('--stdio --listen serves WebSocket clients beside the host', () => {
    assert.deepEqual(parseCli(['--stdio', '--listen', '0', '--host', '::1'], { stdinIsTty: true, logLevelEnv: 'info' }), {
      command: 'stdio',
      logLevel: 'info',
      dataDir: undefined,
      listen: { host: '::1', port: 0, allowedOrigins: [] },
    });
    assert.deepEqual((parseCli(['--stdio', '--listen', '7777', '--allow-origin', 'http://localhost:5173'], { stdinIsTty: true }) as { listen: unknown }).listen, {
      host: '127.0.0.1',
      port: 7777,
      allowedOrigins: ['http://localhost:5173'],
    });
    // A host spawning `orchd --listen 0` with piped stdin gets the stdio daemon too.
    assert.deepEqual((parseCli(['--listen', '0'], { stdinIsTty: false }) as { command: string; listen: unknown }).listen, { host: '127.0.0.1', port: 0, allowedOrigins: [] });
    assert.equal(parseCli(['--stdio'], { stdinIsTty: true }).command, 'stdio');
    assert.equal((parseCli(['--stdio'], { stdinIsTty: true }) as { listen: unknown }).listen, undefined);
  });

  it('--listen, --host and --allow-origin belong to --stdio', () => {
    assert.match(message(['--listen', '0'], true), /`--listen`.*`--stdio`/);
    assert.match(message(['--listen', '0', 'status'], true), /`--listen`.*`--stdio`/);
    assert.match(message(['--stdio', '--host', '::1']), /Expected `--listen PORT`/);
    assert.match(message(['--stdio', '--listen', '70000']), /`--listen`.*`70000`/);
    assert.match(message(['--stdio', '--listen', '0', '--allow-origin', 'notaurl']), /`--allow-origin`.*`notaurl`/);
  });

  it('status, in words or as JSON', () => {
    assert.deepEqual(parseCli(['status'], { stdinIsTty: true }), { command: 'status', json: false, dataDir: undefined });
    assert.deepEqual(parseCli(['status', '--json'], { stdinIsTty: true }), { command: 'status', json: true, dataDir: undefined });
    assert.deepEqual(parseCli(['status', '--json', '--data-dir', '/d'], { stdinIsTty: false }), { command: 'status', json: true, dataDir: '/d' });
    assert.match(message(['status', 'now']), /Unexpected argument `now`/);
  });
});

describe('parseCli: shell', () => {
  const message = (argv: string[]) => {
    const cli = parseCli(argv, { stdinIsTty: true, logLevelEnv: undefined });
    // The command a usage error belongs to is its help page (`Run 'orchd shell --help' for usage.`).
    return cli.command === 'error' ? `${cli.usageOf ? `${cli.usageOf}: ` : ''}${cli.message}` : `parsed as ${cli.command}`;
  };

  it('opens the login shell by default, logging warnings only (ORCHD_LOG_LEVEL is not consulted)', () => {
    assert.deepEqual(parseCli(['shell', 'ws_1'], { stdinIsTty: true, logLevelEnv: 'debug' }), {
      command: 'shell',
      workspaceId: 'ws_1',
      cwd: undefined,
      program: undefined,
      args: [],
      dataDir: undefined,
      logLevel: 'warn',
    });
    // With no terminal on stdin it is still shell, not the stdio daemon.
    assert.equal(parseCli(['shell', 'ws_1'], { stdinIsTty: false }).command, 'shell');
  });

  it('takes --cwd, --data-dir (also before the command) and --log-level in any order', () => {
    assert.deepEqual(parseCli(['--data-dir', '/d', 'shell', '--cwd', 'sub/dir', 'ws_1', '--log-level', 'debug'], { stdinIsTty: true }), {
      command: 'shell',
      workspaceId: 'ws_1',
      cwd: 'sub/dir',
      program: undefined,
      args: [],
      dataDir: '/d',
      logLevel: 'debug',
    });
  });

  it('runs what follows `--` as given, options and further `--` included', () => {
    const cli = parseCli(['shell', 'ws_1', '--cwd', '/w', '--', 'vim', '-O', '--cwd', 'x', '--', 'a b'], { stdinIsTty: true });
    assert.deepEqual(cli, { command: 'shell', workspaceId: 'ws_1', cwd: '/w', program: 'vim', args: ['-O', '--cwd', 'x', '--', 'a b'], dataDir: undefined, logLevel: 'warn' });
    assert.deepEqual((parseCli(['shell', 'ws_1', '--', 'sh', '-c', 'exit 3']) as { program: string; args: string[] }).args, ['-c', 'exit 3']);
  });

  it('says what is wrong, naming the argument', () => {
    assert.match(message(['shell']), /^shell: Expected a workspace id \(`orchd shell ws_…`\), got none$/);
    assert.match(message(['shell', '--cwd', 'x']), /Expected a workspace id/);
    assert.match(message(['shell', 'ws_1', 'ls']), /^shell: Unexpected argument `ls` \(put the program to run after `--`: `orchd shell ws_1 -- ls`\)$/);
    assert.match(message(['shell', 'ws_1', '--']), /^shell: Expected a program after `--`, got none$/);
    assert.match(message(['shell', 'ws_1', '--', '']), /Expected a program after `--`/);
    assert.match(message(['shell', 'ws_1', '--cwd', '']), /`--cwd` to be non-empty/);
    assert.match(message(['shell', 'ws_1', '--data-dir', ' ']), /`--data-dir` to be non-empty/);
    assert.match(message(['shell', 'ws_1', '-la']), /^shell: .*-l/);
    assert.match(message(['shell', 'ws_1', '--log-level', 'loud']), /`--log-level`.*`loud`/);
    assert.equal(parseCli(['shell', '--help']).command, 'help');
  });
});
