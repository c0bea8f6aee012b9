// The process supervisor on its own: real processes in their own groups, real signals, a real PTY.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/log/logger.js';
import { killLeftoverGroup, processIdentity, isSameProcess } from '../../src/supervisor/process-group.js';
import { ProcessSupervisor, type PipeProcess, type ProcessOwner } from '../../src/supervisor/supervisor.js';
import { EXIT_MS } from '../support/bounds.js';
import { processGone, waitForProcessExit, waitUntil, within } from '../support/wait.js';

const logger = createLogger({ level: 'error', write: () => {} });
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const owner = (id: string, workspaceId: string | null = 'ws_a'): ProcessOwner => ({ kind: 'execution', id, workspaceId });

/** Spawn `script` with sh and collect its stdout. */
async function shell(supervisor: ProcessSupervisor, id: string, script: string, hooks = {}, workspaceId: string | null = 'ws_a'): Promise<{ proc: PipeProcess; out: () => string }> {
  const proc = await supervisor.spawnPipes(owner(id, workspaceId), { file: '/bin/sh', args: ['-c', script], cwd: '/', env, stdin: 'pipe' }, hooks);
  let text = '';
  proc.stdout.on('data', (chunk: Buffer) => void (text += chunk.toString()));
  proc.stderr.resume();
  return { proc, out: () => text };
}

/** The pids a script printed, one per line, once it has printed `count` of them. */
async function printedPids(out: () => string, count: number): Promise<number[]> {
  await waitUntil(() => out().trim().split('\n').filter(Boolean).length >= count, `${count} pids to be printed`);
  return out().trim().split('\n').slice(0, count).map(Number);
}

describe('process supervisor', () => {
  it('starts each process in its own group and records its identity', async () => {
    const supervisor = new ProcessSupervisor(logger);
    const { proc } = await shell(supervisor, 'e1', 'exec sleep 60');
    // Stop it once it is `sleep` (which SIGINT ends), not while the shell is still starting.
    await waitUntil(() => readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').startsWith('sleep\0'), 'the shell to exec sleep');
    const pgrp = Number(readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
    assert.equal(pgrp, proc.pid, 'the leader leads its own group');
    assert.notEqual(pgrp, Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2]), "not the daemon's group");
    assert.ok(proc.identity && isSameProcess(proc.identity));
    assert.deepEqual(supervisor.list().map((p) => p.owner.id), ['e1']);
    assert.equal(await proc.stop('test over'), 'SIGINT');
    assert.deepEqual(supervisor.list(), [], 'gone from the table once done');
    assert.equal(proc.stopReason, 'test over');
  });

  it('escalates SIGINT → SIGTERM → SIGKILL over a group that ignores the first two', async () => {
    const supervisor = new ProcessSupervisor(logger);
    const { proc, out } = await shell(supervisor, 'stubborn', `trap '' INT TERM; sleep 60 & echo $!; while :; do sleep 0.05; done`);
    const [child] = await printedPids(out, 1);
    const step = await proc.stop('stubborn test');
    assert.equal(step, 'SIGKILL');
    assert.equal((await proc.exited).signal, 'SIGKILL');
    assert.ok(processGone(child!), 'its child went with it');
  });

  it('asks politely first when the owner can, and stops there when the process listens', async () => {
    const supervisor = new ProcessSupervisor(logger);
    let proc!: PipeProcess;
    ({ proc } = await shell(supervisor, 'polite', 'read line; exit 0', { graceful: () => (proc.stdin!.write('quit\n'), true) }));
    assert.equal(await proc.stop('asked nicely'), 'graceful');
    assert.deepEqual(await proc.exited, { code: 0, signal: null });
  });

  it('kills grandchildren that outlive their leader once the leader exits, before the owner hears of it', async () => {
    const supervisor = new ProcessSupervisor(logger);
    let grandchildAliveAtAfterExit: boolean | undefined;
    let grandchild = 0;
    const { proc, out } = await shell(supervisor, 'leaves-orphans', 'sleep 60 & echo $!; sleep 60 & echo $!; exit 3', {
      afterExit: async () => void (grandchildAliveAtAfterExit = !processGone(grandchild)),
    });
    const pids = await printedPids(out, 2);
    grandchild = pids[0]!;
    assert.deepEqual(await proc.exited, { code: 3, signal: null });
    await within(proc.done, 'the supervisor to finish with the group', EXIT_MS);
    assert.equal(grandchildAliveAtAfterExit, false, 'the group was cleared before afterExit ran');
    for (const pid of pids) assert.ok(processGone(pid), `grandchild ${pid} is gone`);
    assert.equal(proc.stopReason, null, 'nobody stopped it');
  });

  it('stops only the selected workspace, and everything at shutdown', async () => {
    const supervisor = new ProcessSupervisor(logger);
    const a = await shell(supervisor, 'a', 'sleep 60', {}, 'ws_a');
    const b = await shell(supervisor, 'b', 'sleep 60', {}, 'ws_b');
    await supervisor.stopWhere({ workspaceId: 'ws_a' }, 'workspace stopped');
    assert.ok(processGone(a.proc.pid));
    assert.ok(!processGone(b.proc.pid), 'the other workspace runs on');
    assert.deepEqual(supervisor.list().map((p) => p.owner.id), ['b']);
    await supervisor.stopAll('shutdown');
    assert.ok(processGone(b.proc.pid));
    assert.equal(b.proc.stopReason, 'shutdown');
  });

  it('runs a PTY in its own session and group: output, input, resize, stop', async () => {
    const supervisor = new ProcessSupervisor(logger);
    const proc = await supervisor.spawnPty(
      { kind: 'terminal', id: 'trm1', workspaceId: 'ws_a' },
      { file: '/bin/sh', args: ['-c', 'stty size; read line; echo "got:$line"; stty size; sleep 60'], cwd: '/', env: { ...env, TERM: 'xterm' }, cols: 80, rows: 24 },
    );
    let screen = '';
    proc.onData((data) => void (screen += data));
    await waitUntil(() => screen.includes('24 80'), 'the initial size');
    proc.resize(100, 30);
    proc.write('hello\r');
    await waitUntil(() => screen.includes('got:hello') && screen.includes('30 100'), 'the echo and the new size');
    const pgrp = Number(readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
    assert.equal(pgrp, proc.pid, 'a PTY child leads its own group');
    await proc.stop('terminal killed');
    await waitForProcessExit(proc.pid, 'the PTY shell');
  });

  it('recovery refuses a group whose pid now belongs to another process (a reused pid)', async () => {
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const identity = processIdentity(stranger.pid!)!;
      // The record says the pid started at another time: it is not the process orchd started.
      const recorded = { pid: stranger.pid!, startTicks: String(BigInt(identity.startTicks) - 1n), bootId: identity.bootId };
      assert.equal(isSameProcess(recorded), false);
      assert.equal(await killLeftoverGroup(recorded), 'refused');
      assert.ok(!processGone(stranger.pid!), 'the stranger was left alone');
      assert.equal(await killLeftoverGroup({ ...recorded, bootId: 'another-boot' }), 'gone', 'a record from another boot names nothing alive');
    } finally {
      stranger.kill('SIGKILL');
    }
  });
});
