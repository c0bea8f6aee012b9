import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { METHODS, type RequestSpec } from '../../protocol/methods.js';
import { PROTOCOL_VERSION } from '../../protocol/version.js';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { attachExtraClient } from '../support/multi-client.js';
import { START_BYTES } from '../../src/store/wal-checkpointer.js';
import { waitUntil } from '../support/wait.js';

describe('daemon/ping and daemon/status (in-process)', () => {
  let orchd: InProcessOrchd;
  before(() => {
    orchd = inProcessOrchd();
  });
  after(() => orchd.close());

  it('needs initialize, like every other method', async () => {
    const failure = await orchd.client.failure('daemon/status', {});
    assert.equal(failure.data.kind, 'notInitialized');
  });

  it('answers ping with the uptime', async () => {
    await orchd.client.initialize();
    const pong = await orchd.client.request('daemon/ping', {});
    assert.equal(pong.pong, true);
    assert.ok(pong.uptimeMs >= 0);
  });

  it('reports the process, the database and this connection with its traffic', async () => {
    const { daemon } = await orchd.client.request('daemon/status', {});
    assert.equal(daemon.version, '0.0.0-test');
    assert.equal(daemon.protocolVersion, PROTOCOL_VERSION);
    assert.equal(daemon.pid, process.pid);
    assert.equal(daemon.dataDir, orchd.dataDir);
    assert.equal(typeof daemon.currentSeq, 'number');
    assert.ok(daemon.database && daemon.database.bytes > 0, 'the database has pages');
    assert.deepEqual(daemon.processes, { executions: 0, sessions: 0, terminals: 0 });
    assert.ok(daemon.rssBytes > 0);
    assert.equal(daemon.connections.length, 1);
    const [me] = daemon.connections;
    assert.equal(me!.current, true);
    assert.equal(me!.transport, 'inProcess');
    assert.equal(me!.phase, 'ready');
    assert.match(me!.connectionId, /^con_/);
    // initialize, daemon/ping and this request came in; two replies went out before this one.
    assert.ok(me!.messagesIn >= 3, `messagesIn ${me!.messagesIn}`);
    assert.ok(me!.messagesOut >= 2, `messagesOut ${me!.messagesOut}`);
    assert.ok(me!.bytesIn > 0 && me!.bytesOut > 0);
    assert.deepEqual(me!.subscriptions, []);
  });

  it('reports the WAL checkpoint thread: idle until a megabyte of events is committed, then running and checkpointing', async () => {
    const engine = orchd.host.engine!;
    const before = (await orchd.client.request('daemon/status', {})).daemon.database!.checkpoints;
    assert.deepEqual(before, { thread: 'idle', count: 0, walResets: 0, lastMs: null }, 'an idle daemon has no checkpoint thread');
    const note = (body: string) => ({ level: 'info', title: 'checkpointed', body, sessionId: null }) as never;
    await engine.writer.write((emit) => emit('notification', note(''), {}));
    assert.equal(engine.checkpointer.stats.state, 'idle', 'one small commit starts nothing');
    await engine.writer.write((emit) => emit('notification', note('x'.repeat(START_BYTES)), {}));
    assert.equal(await engine.checkpointer.settled(), 'running');
    const checkpointed = engine.checkpointer.nextCheckpoint();
    await engine.writer.write((emit) => emit('notification', note(''), {}));
    assert.ok(await checkpointed, 'a checkpoint ran on the thread');
    const { checkpoints } = (await orchd.client.request('daemon/status', {})).daemon.database!;
    assert.equal(checkpoints.thread, 'running');
    assert.ok(checkpoints.count >= 1, `count ${checkpoints.count}`);
    assert.equal(typeof checkpoints.lastMs, 'number');
    assert.equal(checkpoints.walResets, 0, 'a few megabytes never make the WAL big enough to hold commits');
  });

  it('lists every connection with its client and subscriptions; a closed one disappears', async () => {
    const other = attachExtraClient(orchd.host, 'second-client');
    try {
      await other.initialize();
      const { subscriptionId } = await other.subscribe({ filter: { kinds: ['task/updated'] } });
      const { daemon } = await orchd.client.request('daemon/status', {});
      assert.equal(daemon.connections.length, 2);
      const second = daemon.connections.find((c) => c.clientName === 'second-client');
      assert.ok(second, 'the second connection is listed by its client name');
      assert.equal(second.current, false);
      assert.deepEqual(
        second.subscriptions.map((s) => [s.subscriptionId, s.filter.kinds, s.paused]),
        [[subscriptionId, ['task/updated'], false]],
      );
      assert.equal(daemon.connections.filter((c) => c.current).length, 1, 'only the asking connection is current');
    } finally {
      other.dispose();
    }
    const { daemon } = await orchd.client.request('daemon/status', {});
    assert.deepEqual(
      daemon.connections.map((c) => c.current),
      [true],
    );
  });
});

describe('per-connection lifecycle: only the owner stops the daemon (in-process)', () => {
  let orchd: InProcessOrchd;
  before(async () => {
    orchd = inProcessOrchd();
    await orchd.client.initialize();
  });
  after(() => orchd.close());

  it("a connection that is not the owner ends only itself with shutdown and exit; the owner's work goes on", async () => {
    const other = attachExtraClient(orchd.host, 'service-client', { owner: false });
    await other.initialize();
    await other.subscribe({ filter: {} });
    assert.equal(await other.request('shutdown'), null);
    await assert.rejects(other.request('project/list', {}), /shutdown/, 'after shutdown only exit is accepted on that connection');

    let { daemon } = await orchd.client.request('daemon/status', {});
    const ended = daemon.connections.find((c) => c.clientName === 'service-client');
    assert.ok(ended, 'still attached until exit');
    assert.equal(ended.owner, false);
    assert.equal(ended.phase, 'shutdown');
    assert.deepEqual(ended.subscriptions, [], 'its subscriptions ended with its shutdown');

    await other.notify('exit');
    await other.closed;
    ({ daemon } = await orchd.client.request('daemon/status', {}));
    assert.deepEqual(
      daemon.connections.map((c) => [c.owner, c.current]),
      [[true, true]],
      'only the owner is left',
    );
    assert.deepEqual(orchd.exitCodes, [], 'the daemon did not exit');
    const project = await orchd.client.request('project/list', {});
    assert.ok(Array.isArray(project.projects), 'the owner still works');
  });

  it('daemon/stop from any connection stops the daemon: reply first, then exit 0', async () => {
    const other = attachExtraClient(orchd.host, 'stopper', { owner: false });
    await other.initialize();
    assert.equal(await other.request('daemon/stop'), null);
    await waitUntil(() => orchd.exitCodes.length > 0, 'the daemon to exit after daemon/stop');
    assert.deepEqual(orchd.exitCodes, [0]);
    assert.equal(orchd.host.isShuttingDown, true);
  });
});

describe('read-only connections (in-process)', () => {
  let orchd: InProcessOrchd;
  before(async () => {
    orchd = inProcessOrchd();
    await orchd.client.initialize();
  });
  after(() => orchd.close());

  it('may call exactly the methods marked readOnly; every other one is forbidden, naming the method', async () => {
    const reader = attachExtraClient(orchd.host, 'dashboard', { owner: false, access: 'readOnly' });
    try {
      await reader.initialize();
      const requests = Object.entries(METHODS).filter(
        ([name, spec]) => spec.type === 'request' && spec.direction === 'clientToServer' && name !== 'initialize' && name !== 'shutdown',
      ) as [string, RequestSpec][];
      assert.ok(requests.length > 40);
      for (const [name, spec] of requests) {
        const kind = await reader.request(name as never, {} as never).then(
          () => 'ok',
          (error: { code: number; message: string; data?: { kind: string; method?: string } }) => {
            if (error.data?.kind === 'forbidden') {
              assert.equal(error.code, -33003);
              assert.equal(error.data.method, name);
              assert.match(error.message, new RegExp(`read-only connection, got \`${name.replace('/', '\\/')}\``));
            }
            return error.data?.kind ?? 'unknown';
          },
        );
        if (spec.readOnly) assert.notEqual(kind, 'forbidden', `${name} changes nothing and must be allowed`);
        else assert.equal(kind, 'forbidden', `${name} changes state and must be forbidden`);
      }
    } finally {
      reader.dispose();
    }
  });

  it('is never asked approvals, and daemon/status shows its access', async () => {
    const askers = orchd.host.engine!.approvals.askerCount;
    const reader = attachExtraClient(orchd.host, 'watcher', { owner: false, access: 'readOnly' });
    try {
      await reader.initialize({ approvals: true });
      assert.equal(orchd.host.engine!.approvals.askerCount, askers, 'it could not answer, so it is not asked');
      const { daemon } = await reader.request('daemon/status', {});
      const me = daemon.connections.find((c) => c.current)!;
      assert.deepEqual([me.clientName, me.access, me.owner], ['watcher', 'readOnly', false]);
      assert.equal(daemon.connections.find((c) => c.owner)!.access, 'full');
    } finally {
      reader.dispose();
    }
  });
});
