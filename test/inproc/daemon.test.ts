import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PROTOCOL_VERSION } from '../../protocol/version.js';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { attachExtraClient } from '../support/multi-client.js';

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
    assert.deepEqual(daemon.processes, { executions: 0, sessions: 0 });
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
