// End-to-end: the built binary over real stdio.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { realpathSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EXIT_MS, REQUEST_MS } from '../support/bounds.js';
import { BIN, ROOT, spawnOrchd, tempDir } from '../support/client.js';
import { frame } from '../support/frames.js';
import { makeRepo } from '../support/repo.js';
import { within } from '../support/wait.js';

describe('orchd --stdio', () => {
  it('initializes, works, and exits 0 after shutdown + exit, with only frames on stdout', async () => {
    const orchd = spawnOrchd();
    try {
      const init = await orchd.client.initialize();
      assert.equal(init.serverInfo.name, 'orchd');
      assert.equal(init.dataDir, realpathSync(orchd.dataDir));
      await orchd.client.connection.sendNotification('initialized', {});
      assert.deepEqual(await orchd.client.request('project/list', {}), { projects: [] });
      assert.equal(await orchd.client.request('shutdown'), null);
      await orchd.client.connection.sendNotification('exit');
      assert.equal(await orchd.exited, 0);
      assert.deepEqual(orchd.frames.problems, []);
      assert.equal(orchd.frames.pendingBytes(), 0);
      // stderr is JSON lines.
      const lines = orchd.stderr().trim().split('\n');
      for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
      // The old generation's growing factor is set for the daemon once `initialize` has been answered (src/server/heap.ts).
      const heap = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === 'heap growing factor');
      assert.equal(heap?.heapGrowingPercent, 50);
    } finally {
      await orchd.close();
    }
  });

  it('daemon/status over stdio names the transport and counts the bytes both ways', async () => {
    const orchd = spawnOrchd();
    try {
      await orchd.client.initialize();
      assert.equal((await orchd.client.request('daemon/ping', {})).pong, true);
      const { daemon } = await orchd.client.request('daemon/status', {});
      assert.notEqual(daemon.pid, process.pid, 'the daemon is its own process');
      assert.equal(daemon.dataDir, realpathSync(orchd.dataDir));
      assert.equal(daemon.connections.length, 1);
      const [host] = daemon.connections;
      assert.equal(host!.transport, 'stdio');
      assert.equal(host!.current, true);
      assert.ok(host!.messagesIn >= 3 && host!.bytesIn > 100, `in: ${host!.messagesIn} messages, ${host!.bytesIn} bytes`);
      assert.ok(host!.messagesOut >= 2 && host!.bytesOut > 100, `out: ${host!.messagesOut} messages, ${host!.bytesOut} bytes`);
    } finally {
      await orchd.close();
    }
  });

  it('exits 1 on exit without shutdown', async () => {
    const orchd = spawnOrchd();
    try {
      await orchd.client.initialize();
      await orchd.client.connection.sendNotification('exit');
      assert.equal(await orchd.exited, 1);
    } finally {
      await orchd.close();
    }
  });

  it('treats stdin closing as shutdown and exits 0', async () => {
    const orchd = spawnOrchd();
    try {
      await orchd.client.initialize();
      orchd.child.stdin!.end();
      assert.equal(await orchd.exited, 0);
      assert.match(orchd.stderr(), /stdin closed/);
    } finally {
      await orchd.close();
    }
  });

  it('survives garbage, truncated, non-JSON-RPC and oversized frames; every stdout byte is a valid frame', async () => {
    const orchd = spawnOrchd();
    try {
      await orchd.client.initialize();
      orchd.write(`Content-Length: ${70 * 1024 * 1024}\r\n\r\n`);
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      for (let i = 0; i < 70; i++) orchd.write(chunk);
      orchd.write('this is not a header\r\n\r\n');
      orchd.write(frame('{"jsonrpc":"2.0","id":900,"method":'));
      orchd.write(frame('[{"jsonrpc":"2.0","id":901,"method":"project/list"}]'));
      orchd.write(frame({ jsonrpc: '2.0', id: 902, method: 'project/list', params: 'nope' }));
      orchd.write('Content-Length: 30\r\n\r\n{"jsonrpc":"2.0",');
      orchd.write(Buffer.from([0xff, 0xfe, 0x00, 0x01]));
      // Still serving, in order.
      assert.deepEqual(await orchd.client.request('project/list', {}, REQUEST_MS), { projects: [] });
      const errors = orchd.frames.frames.filter((f: any) => f.error) as any[];
      assert.ok(errors.some((e) => e.error.code === -32700 && e.id === null && e.error.data.kind === 'parseError'));
      assert.ok(errors.some((e) => e.error.code === -32600 && e.error.data.kind === 'invalidRequest'));
      assert.ok(errors.some((e) => /Content-Length/.test(e.error.message) && /at most/.test(e.error.message)), 'oversized frame reported');
      assert.deepEqual(orchd.frames.problems, []);
    } finally {
      await orchd.close();
    }
  });

  it('keeps serving after `$/cancelRequest` without a usable id, and answers a null-id request with -32600', async () => {
    const orchd = spawnOrchd();
    try {
      await orchd.client.initialize();
      // Two in one write: this pair used to throw inside vscode-jsonrpc and stop the reader for good.
      orchd.write(
        Buffer.concat([
          frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: null } }),
          frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: null }),
          frame({ jsonrpc: '2.0', id: null, method: 'project/list', params: {} }),
        ]),
      );
      assert.deepEqual(await orchd.client.request('project/list', {}), { projects: [] });
      const nullIdReplies = orchd.frames.frames.filter((f: any) => f.id === null && f.error) as any[];
      assert.equal(nullIdReplies.length, 1, 'exactly one reply, to the request; none to the notifications');
      assert.equal(nullIdReplies[0].error.code, -32600);
      assert.equal(nullIdReplies[0].error.data.kind, 'invalidRequest');
      assert.match(nullIdReplies[0].error.message, /`id`.*`null`/);
      assert.doesNotMatch(orchd.stderr(), /uncaught exception/);
      assert.deepEqual(orchd.frames.problems, []);
    } finally {
      await orchd.close();
    }
  });

  it('notices that its host process died and exits', async () => {
    // A stand-in host: a sleeping process whose pid we give to initialize, then kill.
    const fakeHost = spawn('sleep', ['60'], { stdio: 'ignore' });
    const orchd = spawnOrchd();
    try {
      await orchd.client.initialize({ processId: fakeHost.pid });
      fakeHost.kill('SIGKILL');
      // It exits by itself, nothing else ends it: the deadline is for waiting, not a measure of how fast it noticed.
      const code = await within(orchd.exited, 'orchd to notice that its host died and exit', EXIT_MS);
      assert.equal(code, 0);
      assert.match(orchd.stderr(), /host process is gone/);
    } finally {
      fakeHost.kill('SIGKILL');
      await orchd.close();
    }
  });

  it('keeps events across a restart: sinceSeq returns exactly what was missed', async () => {
    const dataDir = tempDir();
    const repo = makeRepo();
    try {
      const first = spawnOrchd({ dataDir });
      await first.client.initialize();
      const project = (await first.client.request('project/create', { name: 'e2e', repositories: [{ path: repo }] })).project;
      const task = (await first.client.request('task/create', { projectId: project.id, title: 'persist me' })).task;
      await first.client.request('task/update', { taskId: task.id, status: 'inProgress' });
      first.child.kill('SIGKILL');
      await first.exited;

      const second = spawnOrchd({ dataDir });
      await second.client.initialize();
      const sub = await second.client.request('events/subscribe', { sinceSeq: 1 });
      const events = await second.client.eventsUpTo(sub.subscriptionId, 3);
      assert.deepEqual(
        events.map((e) => [e.seq, e.kind]),
        [
          [2, 'task/created'],
          [3, 'task/updated'],
        ],
      );
      assert.equal((await second.client.request('task/get', { taskId: task.id })).task.status, 'inProgress');
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('keeps console output off stdout', async () => {
    // `--version` and `--help` are the only things that print to stdout, and only outside --stdio.
    const child = spawn(process.execPath, [BIN, '--version'], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    await new Promise((r) => child.on('exit', r));
    assert.match(out, /^orchd \d+\.\d+\.\d+\n$/);
  });
});
