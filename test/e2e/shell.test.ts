// End-to-end: `orchd shell WORKSPACE_ID` as a person uses it, with the built binary in a real pseudo-terminal (node-pty):
// a workspace terminal (a real shell in a PTY inside orchd) shown in the outer terminal, typed into, resized with the
// window, and ended by the program (its exit code is the CLI's) or by a signal to the CLI (the terminal is stopped).
// The workspace is made beforehand in the same data directory by a short-lived `orchd --stdio`. Then the same attached
// to `orchd serve`, and the output pump's ordering and gap filling on its own (no daemon).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import * as pty from 'node-pty';
import type { Event } from '../../protocol/events.js';
import type { Terminal } from '../../protocol/terminal.js';
import { stripAnsi } from '../../src/cli/run/style.js';
import { exitCodeOf, TerminalOutputPump } from '../../src/cli/shell.js';
import { CLI_MS, EVENT_MS, EXIT_MS } from '../support/bounds.js';
import { cliEnvironment, runCli } from '../support/cli.js';
import { BIN, ROOT, spawnOrchd, tempDir } from '../support/client.js';
import { makeRepo } from '../support/repo.js';
import { processGone, waitUntil, within } from '../support/wait.js';
import { connectWs } from '../support/ws-client.js';

/** The CLI's environment: no ORCHD_* from this process, and /bin/sh as the login shell (no personal bash or zsh set-up). */
const environment = () => cliEnvironment({ SHELL: '/bin/sh', TERM: 'xterm' });

/** `orchd shell …` in a pseudo-terminal of `cols` x `rows`: what it shows, typing into it, its exit. */
function shellInTerminal(args: string[], size = { cols: 100, rows: 30 }) {
  const term = pty.spawn(process.execPath, [BIN, 'shell', ...args], { name: 'xterm', ...size, cwd: ROOT, env: environment() });
  running.add(term);
  let output = '';
  term.onData((data) => (output += data));
  const exited = new Promise<{ exitCode: number; signal?: number | undefined }>((resolve) =>
    term.onExit((exit) => {
      running.delete(term);
      resolve(exit);
    }),
  );
  /** What it showed, ANSI codes and carriage returns removed. */
  const text = () => stripAnsi(output).replaceAll('\r', '');
  const waitFor = async (check: () => boolean, what: string, timeoutMs = EVENT_MS) => {
    try {
      await waitUntil(check, what, timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the terminal shows:\n${text()}`);
    }
  };
  return {
    term,
    exited,
    text,
    /** Exactly the bytes the CLI wrote. */
    raw: () => output,
    waitFor,
    /** Wait until the terminal's program has written something: the CLI then has its stdin in raw mode (so typing is
     * not echoed by the outer terminal, and the prompt is not raced by typed-ahead input). */
    ready: () => waitFor(() => output.length > 0, 'the first output of the terminal'),
    /** Every `rows cols` that `stty size` printed so far (at a line's end, after the prompt or on a line of its own). */
    sizes: () => [...text().matchAll(/(?:^|\D)(\d+) (\d+)$/gm)].map((m) => `${m[1]} ${m[2]}`),
  };
}

/** CLIs still running in a pseudo-terminal: a failed test kills them, so the file's process can end. */
const running = new Set<pty.IPty>();
afterEach(() => {
  for (const term of running) term.kill('SIGKILL');
  running.clear();
});

describe('orchd shell (built binary in a pseudo-terminal)', () => {
  let dataDir: string;
  let repo: string;
  let workspaceId: string;
  let worktree: string;

  /** The workspace's terminals as a second orchd sees them afterwards. */
  async function terminals(): Promise<Terminal[]> {
    const orchd = spawnOrchd({ dataDir });
    try {
      await orchd.client.initialize();
      return (await orchd.client.request('terminal/list', { workspaceId })).terminals;
    } finally {
      await orchd.close();
    }
  }

  before(async () => {
    dataDir = tempDir('orchd-shell-data-');
    repo = makeRepo({ 'README.md': '# shell\n', 'sub/keep.txt': 'keep\n' });
    const orchd = spawnOrchd({ dataDir });
    try {
      await orchd.client.initialize();
      const project = (await orchd.client.request('project/create', { name: 'shell', repositories: [{ path: repo }] })).project;
      const task = (await orchd.client.request('task/create', { projectId: project.id, title: 'A shell' })).task;
      const workspace = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
      workspaceId = workspace.id;
      worktree = realpathSync(workspace.repositories[0]!.path);
    } finally {
      await orchd.close();
    }
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  it('types into a workspace shell, reports the window size and follows resizes, and exits with the shell', async () => {
    const shell = shellInTerminal([workspaceId, '--data-dir', dataDir]);
    await shell.ready();
    shell.term.write('echo hi-$((1+1))\r');
    // The typed line is echoed as `echo hi-$((1+1))`; only the shell's answer ends with hi-2.
    await shell.waitFor(() => /hi-2$/m.test(shell.text()), '`hi-2`');

    shell.term.write('stty size\r');
    await shell.waitFor(() => shell.sizes().length === 1, 'stty size to print the size');
    assert.equal(shell.sizes()[0], '30 100', 'the terminal is created with the window size');

    // The window grows: SIGWINCH reaches the CLI, which resizes the terminal. Ask until the shell sees it (each
    // `stty size` is waited for, so this never guesses how long the resize takes).
    shell.term.resize(120, 40);
    for (let asked = 2; !shell.sizes().includes('40 120'); asked++) {
      shell.term.write('stty size\r');
      await shell.waitFor(() => shell.sizes().length >= asked, `stty size number ${asked}`);
    }
    assert.ok(shell.sizes().every((size) => size === '30 100' || size === '40 120'), shell.sizes().join(', '));

    // Bytes pass through unchanged: a bare line feed (the program turned output processing off) stays one.
    shell.term.write("stty -opost; printf 'bare\\nlf\\n'; stty opost\r");
    await shell.waitFor(() => shell.raw().includes('bare\nlf\n'), 'a bare line feed');

    shell.term.write('pwd\r');
    await shell.waitFor(() => shell.text().split('\n').some((line) => line.endsWith(worktree)), `the worktree ${worktree} from pwd`);
    shell.term.write('exit 3\r');
    const { exitCode } = await within(shell.exited, 'orchd shell to exit', CLI_MS);
    assert.equal(exitCode, 3, shell.text());

    const [terminal] = await terminals();
    assert.equal(terminal?.status, 'exited');
    assert.equal(terminal?.exitCode, 3);
    assert.equal(terminal?.reason, null, 'the shell ended by itself');
    assert.deepEqual([terminal?.cols, terminal?.rows], [120, 40]);
  });

  it('runs the program after `--` in `--cwd`; a program killed by a signal gives 128 + its number', async () => {
    const shell = shellInTerminal([workspaceId, '--data-dir', dataDir, '--cwd', 'sub', '--', '/bin/sh', '-c', 'echo "in $(pwd)"; kill -USR1 $$']);
    const { exitCode } = await within(shell.exited, 'orchd shell to exit', CLI_MS);
    assert.equal(exitCode, 128 + 10, shell.text());
    assert.match(shell.text(), new RegExp(`^in ${join(worktree, 'sub')}$`, 'm'));
  });

  it('SIGTERM to the CLI stops the terminal and exits with 143', async () => {
    const before = (await terminals()).length;
    const shell = shellInTerminal([workspaceId, '--data-dir', dataDir, '--', '/bin/sh']);
    await shell.ready();
    shell.term.write('echo ready-$((2+3))\r');
    await shell.waitFor(() => /ready-5$/m.test(shell.text()), '`ready-5`');
    shell.term.kill('SIGTERM');
    const { exitCode } = await within(shell.exited, 'orchd shell to exit after SIGTERM', CLI_MS);
    assert.equal(exitCode, 143, shell.text());
    const all = await terminals();
    assert.equal(all.length, before + 1);
    const stopped = all.at(-1)!;
    assert.equal(stopped.status, 'exited');
    assert.ok(stopped.signal === 'SIGHUP' || stopped.reason === 'killed', `the CLI hung up on its terminal (signal ${stopped.signal}, reason ${stopped.reason})`);
  });

  it('without a terminal: 80x24, all the output, the end of stdin ends the input, the exit code passes through', async () => {
    const result = await runCli(['shell', workspaceId, '--data-dir', dataDir, '--', '/bin/sh', '-c', 'stty size; cat; echo "after-cat"; exit 4'], environment());
    assert.equal(result.code, 4, result.stderr);
    assert.equal(result.stdout.replaceAll('\r', ''), '24 80\nafter-cat\n');
    assert.equal(result.stderr, '');
  });

  it('mistakes are one clear line: an unknown workspace (exit 1), bad arguments (exit 2)', async () => {
    const missing = await runCli(['shell', 'ws_doesnotexist', '--data-dir', dataDir], environment());
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'orchd: No workspace matches `ws_doesnotexist` (`orchd ls --all` lists them)\n');
    assert.equal(missing.stdout, '');
    const outside = await runCli(['shell', workspaceId, '--data-dir', dataDir, '--cwd', '/'], environment());
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /^orchd: .*`--cwd`.*\n$/);
    const usage = await runCli(['shell', '--data-dir', dataDir], environment());
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr, "orchd: Expected a workspace id (`orchd shell ws_…`), got none\nRun 'orchd shell --help' for usage.\n");
  });
});

describe('orchd shell attached to orchd serve', () => {
  it('opens the terminal in the service, and a SIGTERM to the CLI stops it there while the service runs on', async () => {
    const dataDir = realpathSync(tempDir('orchd-shell-service-'));
    const repo = makeRepo({ 'README.md': '# served\n' });
    let workspaceId: string;
    const setup = spawnOrchd({ dataDir });
    try {
      await setup.client.initialize();
      const project = (await setup.client.request('project/create', { name: 'served', repositories: [{ path: repo }] })).project;
      const task = (await setup.client.request('task/create', { projectId: project.id, title: 'Served' })).task;
      workspaceId = (await setup.client.request('workspace/create', { taskId: task.id })).workspace.id;
    } finally {
      await setup.close();
    }

    // The service's terminals get its environment: /bin/sh as the login shell there too.
    const served = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir], { cwd: ROOT, env: environment(), stdio: ['ignore', 'ignore', 'pipe'] });
    let servedStderr = '';
    served.stderr!.on('data', (chunk) => (servedStderr += chunk));
    const servedExited = new Promise((resolve) => served.once('exit', resolve));
    try {
      let url = '';
      await waitUntil(() => {
        try {
          const info = JSON.parse(readFileSync(join(dataDir, 'service.json'), 'utf8')) as { pid: number; url: string };
          url = info.pid === served.pid ? info.url : '';
        } catch {
          // not written yet
        }
        return url !== '';
      }, `service.json to name orchd serve (pid ${served.pid})`);
      const token = readFileSync(join(dataDir, 'service-token'), 'utf8').trim();

      const shell = shellInTerminal([workspaceId, '--data-dir', dataDir]);
      await shell.ready();
      shell.term.write('echo served-$((3+4))\r');
      await shell.waitFor(() => /served-7$/m.test(shell.text()), '`served-7`');

      const watcher = await connectWs(url, 'watcher', { token });
      try {
        await watcher.initialize();
        const [running] = (await watcher.request('terminal/list', { workspaceId })).terminals;
        assert.equal(running?.status, 'running', 'the terminal runs in the service');
        const { daemon } = await watcher.request('daemon/status', {});
        assert.ok(
          daemon.connections.some((c) => c.clientName === 'orchd-shell' && c.transport === 'websocket'),
          `orchd shell is a WebSocket client of the service: ${JSON.stringify(daemon.connections.map((c) => [c.clientName, c.transport]))}`,
        );

        shell.term.kill('SIGTERM');
        const { exitCode } = await within(shell.exited, 'orchd shell to exit after SIGTERM', CLI_MS);
        assert.equal(exitCode, 143, shell.text());
        const [stopped] = (await watcher.request('terminal/list', { workspaceId })).terminals;
        assert.equal(stopped?.status, 'exited', 'the CLI stopped its terminal before it exited');
        assert.ok(processGone(running!.pid!), `the shell (pid ${running!.pid}) is gone`);
        assert.equal(served.exitCode, null, 'the service runs on');
        await watcher.request('daemon/stop', {});
      } finally {
        watcher.dispose();
      }
      await within(servedExited, 'orchd serve to exit after daemon/stop', EXIT_MS);
    } finally {
      if (served.exitCode === null && served.signalCode === null) served.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
    assert.doesNotMatch(servedStderr, /"level":"error"/, servedStderr.slice(-4000));
  });
});

describe('orchd shell: the output pump (no daemon)', () => {
  const terminalId = 'trm_1';
  const output = (seq: number, data: string, id = terminalId): Event => ({ seq: 100 + seq, kind: 'terminal/output', data: { terminalId: id, seq, data } }) as unknown as Event;
  const exited = (outputSeq: number, end: Partial<Terminal> = {}): Event =>
    ({ seq: 1000, kind: 'terminal/exited', data: { terminal: { id: terminalId, outputSeq, exitCode: 0, signal: null, reason: null, ...end } } }) as unknown as Event;

  function pump(scrollback: Record<number, { reset?: boolean; data: string; toSeq: number }> = {}) {
    const written: string[] = [];
    const fetched: number[] = [];
    const ends: Terminal[] = [];
    const pumped = new TerminalOutputPump(
      async (id, sinceSeq) => {
        assert.equal(id, terminalId);
        fetched.push(sinceSeq);
        const answer = scrollback[sinceSeq];
        assert.ok(answer, `no scrollback prepared after chunk ${sinceSeq}`);
        return { reset: false, ...answer };
      },
      (data) => written.push(data),
      (terminal) => ends.push(terminal),
    );
    return { pumped, written, fetched, ends };
  }

  it('writes chunks in order, holding events that came before the terminal was named, skipping other terminals and repeats', async () => {
    const { pumped, written, fetched, ends } = pump();
    pumped.event(output(1, 'a'));
    pumped.event(output(1, 'other', 'trm_2'));
    pumped.attach(terminalId);
    pumped.event(output(2, 'b'));
    pumped.event(output(2, 'b again'));
    pumped.event(exited(2, { exitCode: 5 }));
    pumped.event(output(3, 'after the end'));
    await pumped.settled();
    assert.deepEqual(written, ['a', 'b']);
    assert.deepEqual(fetched, []);
    assert.equal(ends.length, 1);
    assert.equal(pumped.exited, true);
  });

  it('fills a gap from the scrollback; a reset clears the screen first; an exit past the last chunk fetches the rest', async () => {
    const { pumped, written, fetched, ends } = pump({ 1: { data: 'bc', toSeq: 3 }, 4: { reset: true, data: 'SNAPSHOT', toSeq: 9 }, 10: { data: 'k', toSeq: 11 } });
    pumped.attach(terminalId);
    pumped.event(output(1, 'a'));
    pumped.event(output(3, 'c'));
    pumped.event(output(4, 'd'));
    pumped.event(output(8, 'h'));
    pumped.event(output(10, 'j'));
    pumped.event(exited(11));
    await pumped.settled();
    assert.deepEqual(written, ['a', 'bc', 'd', '\x1b[H\x1b[2JSNAPSHOT', 'j', 'k']);
    assert.deepEqual(fetched, [1, 4, 10]);
    assert.equal(ends.length, 1);
  });

  it('exits with the program: its code, 128 + the number of the signal that ended it', () => {
    assert.equal(exitCodeOf({ exitCode: 3, signal: null }), 3);
    assert.equal(exitCodeOf({ exitCode: null, signal: 'SIGKILL' }), 137);
    assert.equal(exitCodeOf({ exitCode: null, signal: 'SIGHUP' }), 129);
    assert.equal(exitCodeOf({ exitCode: null, signal: null }), 1);
  });
});
