import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PROTOCOL_VERSION } from '../../protocol/version.js';
import { frame } from '../support/frames.js';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { waitUntil } from '../support/wait.js';

describe('lifecycle (in-process)', () => {
  let orchd: InProcessOrchd;
  before(() => {
    orchd = inProcessOrchd();
  });
  after(() => orchd.close());

  it('refuses requests before initialize with notInitialized', async () => {
    const failure = await orchd.client.failure('project/list', {});
    assert.equal(failure.code, -32002);
    assert.equal(failure.data.kind, 'notInitialized');
    assert.match(failure.message, /`initialize` before `project\/list`/);
  });

  it('refuses an unsupported protocol version with the supported range', async () => {
    const failure = await orchd.client.failure('initialize', { processId: null, protocolVersion: PROTOCOL_VERSION + 5 });
    assert.equal(failure.data.kind, 'protocolVersionUnsupported');
    assert.deepEqual(failure.data.supported, { min: 1, max: PROTOCOL_VERSION });
  });

  it('validates initialize params, naming the field', async () => {
    const failure = await orchd.client.failure('initialize', { processId: 'me', protocolVersion: 1 });
    assert.equal(failure.code, -32602);
    assert.equal(failure.data.kind, 'invalidParams');
    assert.match(failure.message, /`processId`/);
    assert.ok(failure.data.issues, 'flattened issues in data');
  });

  it('initializes once and reports the server', async () => {
    const result = await orchd.client.initialize();
    assert.equal(result.serverInfo.name, 'orchd');
    assert.equal(result.protocolVersion, PROTOCOL_VERSION);
    assert.equal(result.dataDir, orchd.dataDir);
    assert.equal(result.capabilities.events.subscribe, true);
    const again = await orchd.client.failure('initialize', { processId: null, protocolVersion: PROTOCOL_VERSION });
    assert.equal(again.data.kind, 'alreadyInitialized');
  });

  it('takes a second connection naming the same data directory through a symlink; refuses another directory', async () => {
    const { symlinkSync, mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { attachExtraClient } = await import('../support/multi-client.js');
    const scratch = mkdtempSync(join(tmpdir(), 'orchd-link-'));
    try {
      const link = join(scratch, 'link');
      symlinkSync(orchd.dataDir, link);
      const viaLink = attachExtraClient(orchd.host, 'via-link', { owner: false });
      const result = await viaLink.request('initialize', { processId: null, protocolVersion: PROTOCOL_VERSION, dataDir: link } as never);
      assert.equal(result.dataDir, orchd.dataDir, 'the directory already open');
      const elsewhere = attachExtraClient(orchd.host, 'elsewhere', { owner: false });
      await assert.rejects(elsewhere.request('initialize', { processId: null, protocolVersion: PROTOCOL_VERSION, dataDir: scratch } as never), (error: any) => {
        assert.equal(error.data?.kind, 'invalidState');
        assert.match(error.message, /`dataDir`/);
        return true;
      });
      viaLink.dispose();
      elsewhere.dispose();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('answers unknown methods with -32601 and data.kind', async () => {
    const failure = await orchd.client.failure('nope/nothing', {});
    assert.equal(failure.code, -32601);
    assert.equal(failure.data.kind, 'methodNotFound');
    assert.match(failure.message, /`nope\/nothing`/);
  });

  it('rejects unknown keys and wrong types with every problem listed', async () => {
    const failure = await orchd.client.failure('task/create', { projectId: 42, title: '', extra: true });
    assert.equal(failure.code, -32602);
    const problems = failure.data.problems as { path: string; message: string }[];
    assert.deepEqual(problems.map((p) => p.path).sort(), ['extra', 'projectId', 'title']);
    assert.match(failure.message, /Expected `projectId` to be string, got 42/);
  });

  it('rejects positional params', async () => {
    const failure = await orchd.client.failure('task/get', ['tsk_x']);
    assert.equal(failure.data.kind, 'invalidParams');
  });

  it('answers a garbage frame with -32700 and serves the next one', async () => {
    orchd.write(frame('{"jsonrpc": "2.0", "id": 1, oops'));
    const result = await orchd.client.request('project/list', {});
    assert.deepEqual(result, { projects: [] });
    const parseError = orchd.frames.frames.find((f: any) => f.error?.code === -32700) as any;
    assert.ok(parseError, 'a parse error response was written');
    assert.equal(parseError.id, null);
    assert.equal(parseError.error.data.kind, 'parseError');
    assert.deepEqual(orchd.frames.problems, []);
  });

  it('after shutdown accepts only exit, and exit then yields code 0', async () => {
    assert.equal(await orchd.client.request('shutdown'), null);
    const failure = await orchd.client.failure('project/list', {});
    assert.equal(failure.data.kind, 'shuttingDown');
    await orchd.client.connection.sendNotification('exit');
    await waitUntil(() => orchd.exitCodes.length > 0, 'the exit code');
    assert.deepEqual(orchd.exitCodes, [0]);
  });
});

describe('exit without shutdown', () => {
  it('yields exit code 1', async () => {
    const orchd = inProcessOrchd();
    try {
      await orchd.client.initialize();
      await orchd.client.connection.sendNotification('exit');
      await waitUntil(() => orchd.exitCodes.length > 0, 'the exit code');
      assert.deepEqual(orchd.exitCodes, [1]);
    } finally {
      await orchd.close();
    }
  });
});
