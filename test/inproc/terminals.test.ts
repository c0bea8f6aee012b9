// Terminals through the protocol, in-process: a real shell in a real PTY, output as events, the scrollback and its
// trimming to a snapshot, confinement of cwd, and terminals ending with their workspace.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import xtermHeadless from '@xterm/headless';
import type { Terminal as HeadlessTerminal } from '@xterm/headless';
import { startAgentFixture, stopAgentFixture, type AgentFixture } from '../support/inproc.js';
import { tempDir } from '../support/client.js';
import { processGone, waitUntil } from '../support/wait.js';

const { Terminal: Headless } = xtermHeadless as unknown as { Terminal: typeof HeadlessTerminal };

describe('terminals (in-process, real PTY)', () => {
  let fixture: AgentFixture;
  before(async () => {
    fixture = await startAgentFixture();
  });
  after(() => stopAgentFixture(fixture));

  async function workspace(title: string) {
    const { client } = fixture.orchd;
    const project = (await client.request('project/create', { name: title, repositories: [{ path: fixture.repo }] })).project;
    const task = (await client.request('task/create', { projectId: project.id, title })).task;
    return (await client.request('workspace/create', { taskId: task.id })).workspace;
  }

  const outputOf = (terminalId: string) =>
    fixture
      .events()
      .filter((e) => e.kind === 'terminal/output' && (e.data as { terminalId: string }).terminalId === terminalId)
      .map((e) => (e.data as { data: string }).data)
      .join('');

  /** The text of every line of a headless emulator's active buffer, trailing blanks trimmed. */
  async function screenOf(data: string, cols: number, rows: number): Promise<string[]> {
    const term = new Headless({ cols, rows, scrollback: 1000, allowProposedApi: true });
    await new Promise<void>((resolve) => term.write(data, resolve));
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)!.translateToString(true));
    term.dispose();
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines;
  }

  it('runs a shell: typed input echoes, resize reaches the program, exit is recorded', async () => {
    const ws = await workspace('Shell');
    const { client } = fixture.orchd;
    const { terminal } = await client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', cols: 80, rows: 24 });
    assert.equal(terminal.status, 'running');
    assert.equal(terminal.cwd, ws.repositories[0]!.path);
    assert.ok(fixture.events().some((e) => e.kind === 'terminal/created' && (e.data as any).terminal.id === terminal.id));
    await client.request('terminal/input', { terminalId: terminal.id, data: 'echo "hel""lo $ORCHD_WORKSPACE_ID"\r' });
    await waitUntil(() => outputOf(terminal.id).includes(`hello ${ws.id}`), 'the echo');
    const resized = (await client.request('terminal/resize', { terminalId: terminal.id, cols: 100, rows: 30 })).terminal;
    assert.deepEqual([resized.cols, resized.rows], [100, 30]);
    await client.request('terminal/input', { terminalId: terminal.id, data: 'stty size\r' });
    await waitUntil(() => outputOf(terminal.id).includes('30 100'), 'stty size to report the new size');
    await client.request('terminal/input', { terminalId: terminal.id, data: 'exit 7\r' });
    await waitUntil(() => fixture.events().some((e) => e.kind === 'terminal/exited' && (e.data as any).terminal.id === terminal.id), 'terminal/exited');
    const ended = (await client.request('terminal/get', { terminalId: terminal.id })).terminal;
    assert.equal(ended.status, 'exited');
    assert.equal(ended.exitCode, 7);
    assert.equal(ended.reason, null, 'it ended by itself');
    const failure = await client.failure('terminal/input', { terminalId: terminal.id, data: 'x' });
    assert.equal(failure.data.kind, 'invalidState');
  });

  it('keeps the last output of a program that exits at once, committed before terminal/exited', async () => {
    const ws = await workspace('Quick exit');
    const { client } = fixture.orchd;
    const { terminal } = await client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', args: ['-c', 'printf "quick-%s" output; exit 4'], cols: 80, rows: 24 });
    await waitUntil(() => fixture.events().some((e) => e.kind === 'terminal/exited' && (e.data as any).terminal.id === terminal.id), 'terminal/exited');
    const exitedAt = fixture.events().findIndex((e) => e.kind === 'terminal/exited' && (e.data as any).terminal.id === terminal.id);
    const before = fixture.events().slice(0, exitedAt);
    assert.ok(before.some((e) => e.kind === 'terminal/output' && (e.data as any).terminalId === terminal.id && (e.data as any).data.includes('quick-output')), 'the output precedes the exit');
    const ended = (await client.request('terminal/get', { terminalId: terminal.id })).terminal;
    assert.equal(ended.exitCode, 4);
    const replay = await client.request('terminal/output', { terminalId: terminal.id });
    assert.equal(replay.exited, true);
    assert.match(replay.data, /quick-output/);
    assert.equal(replay.toSeq, ended.outputSeq);
  });

  it('ends an interactive shell with SIGHUP, as closing its window would, and logs terminal/created before its output', async () => {
    const ws = await workspace('Hang up');
    const { client } = fixture.orchd;
    // An interactive shell ignores SIGINT and SIGTERM: only SIGHUP (or SIGKILL) ends it.
    const { terminal } = await client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', args: ['-i'], cols: 80, rows: 24 });
    await client.request('terminal/input', { terminalId: terminal.id, data: 'echo "rea""dy"\r' });
    await waitUntil(() => outputOf(terminal.id).includes('ready'), 'the shell to answer');
    const ended = (await client.request('terminal/kill', { terminalId: terminal.id })).terminal;
    assert.equal(ended.status, 'exited');
    assert.equal(ended.signal, 'SIGHUP', 'ended by the hang-up, before any escalation');
    assert.equal(ended.reason, 'killed');
    const mine = fixture.events().filter((e) => (e.data as any).terminal?.id === terminal.id || (e.data as any).terminalId === terminal.id);
    assert.equal(mine[0]!.kind, 'terminal/created', 'created comes first in the log');
    assert.equal(mine.at(-1)!.kind, 'terminal/exited');
  });

  it('interrupts a foreground program with Ctrl-C and takes a 1 MB paste intact', async () => {
    const ws = await workspace('Paste');
    const { client } = fixture.orchd;
    const { terminal } = await client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', cols: 120, rows: 40 });
    await client.request('terminal/input', { terminalId: terminal.id, data: 'sleep 100; echo "after""sleep $?"\r' });
    await waitUntil(() => outputOf(terminal.id).includes('sleep 100'), 'the command echoed');
    await client.request('terminal/input', { terminalId: terminal.id, data: '\u0003' });
    await client.request('terminal/input', { terminalId: terminal.id, data: 'echo "inter""rupted"\r' });
    await waitUntil(() => outputOf(terminal.id).includes('interrupted'), 'the shell back after Ctrl-C');
    assert.ok(!outputOf(terminal.id).includes('aftersleep 0'), 'sleep did not run to the end');

    // 1 MB of lines into `wc -c` through the terminal (each line well under the line discipline's 4 KB limit).
    const line = `${'x'.repeat(1023)}\n`;
    const paste = line.repeat(1024);
    const path = join(ws.repositories[0]!.path, 'pasted.txt');
    await client.request('terminal/input', { terminalId: terminal.id, data: `stty -echo; cat > ${path}\r` });
    await waitUntil(() => outputOf(terminal.id).includes('cat >'), 'cat to start');
    const { bytes } = await client.request('terminal/input', { terminalId: terminal.id, data: paste.replaceAll('\n', '\r') });
    assert.equal(bytes, paste.length);
    await client.request('terminal/input', { terminalId: terminal.id, data: '\u0004' });
    await client.request('terminal/input', { terminalId: terminal.id, data: `stty echo; wc -c < ${path}\r` });
    await waitUntil(() => outputOf(terminal.id).includes(String(paste.length)), `wc to count ${paste.length} bytes`);
    await client.request('terminal/kill', { terminalId: terminal.id });
  });

  it('refuses a cwd outside the workspace, also through a symlink', async () => {
    const ws = await workspace('Confined');
    const { client } = fixture.orchd;
    const outside = tempDir('orchd-outside-');
    const worktree = ws.repositories[0]!.path;
    symlinkSync(outside, join(worktree, 'escape'));
    mkdirSync(join(worktree, 'sub'));
    for (const cwd of ['../..', '/', outside, 'escape']) {
      const failure = await client.failure('terminal/create', { workspaceId: ws.id, cwd, cols: 80, rows: 24 });
      assert.equal(failure.data.kind, 'pathOutsideWorkspace', `cwd ${cwd}`);
      assert.match(failure.message, /`cwd`/);
    }
    const inside = (await client.request('terminal/create', { workspaceId: ws.id, cwd: 'sub', command: '/bin/sh', cols: 80, rows: 24 })).terminal;
    assert.equal(inside.cwd, join(worktree, 'sub'));
    await client.request('terminal/kill', { terminalId: inside.id });
  });

  it('replays the scrollback into an emulator as the live stream drew it, also after trimming to a snapshot', async () => {
    const ws = await workspace('Replay');
    const { client } = fixture.orchd;
    const cols = 60;
    const rows = 12;
    // A full-screen redraw: clear, cursor moves, colours; then enough output to pass the 64 KB bound several times;
    // then a final redraw, and nothing more (the program sleeps), so the live stream and the replay end alike.
    const script = [
      'printf "\\033[2J\\033[H\\033[31mred\\033[0m \\033[5;10Hmoved \\033[1;32mbold green\\033[0m\\n"',
      'i=0; while [ $i -lt 3000 ]; do echo "line $i of the flood with some padding to make it longer"; i=$((i+1)); done',
      'printf "\\033[2J\\033[3;3Hfinal screen\\033[7;1H\\033[44mblue\\033[0m\\n"',
      'echo done-marker',
      'sleep 100',
    ].join('; ');
    const { terminal } = await client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', args: ['-c', script], cols, rows, scrollbackBytes: 64 * 1024 });
    await waitUntil(() => outputOf(terminal.id).includes('done-marker'), 'the script to finish');
    const { terminal: now } = await client.request('terminal/get', { terminalId: terminal.id });
    const live = await screenOf(outputOf(terminal.id), cols, rows);
    const replay = await client.request('terminal/output', { terminalId: terminal.id });
    assert.equal(replay.reset, true, 'the oldest output was trimmed to a snapshot');
    assert.equal(replay.toSeq, now.outputSeq);
    const replayed = await screenOf(replay.data, cols, rows);
    assert.deepEqual(replayed.slice(-rows), live.slice(-rows), 'the same screen');
    assert.ok(fixture.events().length > 0);
    // The log keeps about twice the bound of this terminal's output, not all of it.
    const kept = replay.data.length;
    assert.ok(kept < 4 * 64 * 1024 + 200 * cols * 4, `the scrollback is bounded (${kept} characters)`);
    // A host that has drawn everything gets nothing more and no reset (the last trim may have taken every chunk, so
    // one chunk back can be older than the snapshot: then a reset is right).
    const upToDate = await client.request('terminal/output', { terminalId: terminal.id, sinceSeq: now.outputSeq });
    assert.deepEqual([upToDate.reset, upToDate.data, upToDate.toSeq], [false, '', now.outputSeq]);
    await client.request('terminal/kill', { terminalId: terminal.id });
  });

  it("ends a workspace's terminals when the workspace stops, with the reason", async () => {
    const ws = await workspace('Stop ends terminals');
    const { client } = fixture.orchd;
    const { terminal } = await client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', args: ['-c', 'sleep 100 & sleep 100'], cols: 80, rows: 24 });
    assert.ok(terminal.pid && !processGone(terminal.pid));
    await client.request('workspace/stop', { workspaceId: ws.id });
    const ended = (await client.request('terminal/get', { terminalId: terminal.id })).terminal;
    assert.equal(ended.status, 'exited');
    assert.equal(ended.reason, 'workspace stopped');
    assert.ok(processGone(terminal.pid!));
    const listed = (await client.request('terminal/list', { workspaceId: ws.id })).terminals;
    assert.deepEqual(listed.map((t) => [t.id, t.status]), [[terminal.id, 'exited']]);
  });
});
