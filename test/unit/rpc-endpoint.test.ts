import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { RpcError } from '../../src/server/rpc-errors.js';
import { FrameWriter } from '../../src/server/frame-writer.js';
import { FrameReader } from '../../src/server/framing.js';
import { RpcEndpoint, type Cancellation, type EndpointHandlers } from '../../src/server/rpc-endpoint.js';
import { frame } from '../support/frames.js';

/** An endpoint over real framing on both sides: `send` writes frames to it, `received` is what it wrote back. */
function endpoint(handlers: Partial<EndpointHandlers>) {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const received: Record<string, unknown>[] = [];
  const errors: unknown[] = [];
  let closes = 0;
  new FrameReader(toClient, { onBadFrame: (bad) => assert.fail(`the endpoint wrote a bad frame: ${bad.message}`) }).listen((m) => received.push(m as Record<string, unknown>));
  const rpc = new RpcEndpoint(new FrameReader(toServer, { onBadFrame: () => undefined }), new FrameWriter(toClient), {
    request: () => null,
    notification: () => undefined,
    error: (error) => errors.push(error),
    ...handlers,
    close: () => {
      closes++;
      handlers.close?.();
    },
  });
  rpc.listen();
  // Frames go in as one 'data' event, the way a pipe delivers several requests read together.
  const send = (...messages: unknown[]) => toServer.emit('data', Buffer.concat(messages.map((m) => frame(m))));
  const until = async (count: number) => {
    while (received.length < count) await nextTurn();
    return received;
  };
  return { rpc, send, received, until, errors, closes: () => closes, end: () => toServer.end() };
}

const request = (id: number | string, method: string, params: unknown = {}) => ({ jsonrpc: '2.0', id, method, params });

describe('RpcEndpoint: orchd’s end of a JSON-RPC connection', () => {
  it('answers a synchronous handler in the call that read the request, in the order the requests came', async () => {
    let answeredBeforeNextRequest = true;
    const { send, until } = endpoint({
      request: (method) => {
        if (method === 'second') answeredBeforeNextRequest = sent.length === 1;
        sent.push(method);
        return method === 'first' ? { n: 1 } : undefined;
      },
    });
    const sent: string[] = [];
    send(request(1, 'first'), request('two', 'second'));
    const replies = await until(2);
    assert.equal(answeredBeforeNextRequest, true);
    assert.deepEqual(replies, [
      { jsonrpc: '2.0', id: 1, result: { n: 1 } },
      { jsonrpc: '2.0', id: 'two', result: null },
    ]);
  });

  it('follows a promise, and answers requests in the order they finish', async () => {
    let release!: (value: unknown) => void;
    const { send, until } = endpoint({
      request: (method) => (method === 'slow' ? new Promise((resolve) => (release = resolve)) : 'fast'),
    });
    send(request(1, 'slow'), request(2, 'quick'));
    await until(1);
    release({ done: true });
    const replies = await until(2);
    assert.deepEqual(replies.map((r) => [r.id, r.result]), [
      [2, 'fast'],
      [1, { done: true }],
    ]);
  });

  it('turns a thrown or rejected RpcError into its error, and anything else into -32603', async () => {
    const { send, until } = endpoint({
      request: (method) => {
        if (method === 'typed') throw new RpcError(-32001, 'Workspace `w` not found', { kind: 'notFound' });
        if (method === 'rejected') return Promise.reject(new RpcError(-32602, 'Invalid params', { kind: 'invalidParams' }));
        throw new Error('boom');
      },
    });
    send(request(1, 'typed'), request(2, 'rejected'), request(3, 'plain'));
    // The rejected promise is answered a moment later than the two thrown errors.
    const replies = [...(await until(3))].sort((a, b) => (a.id as number) - (b.id as number));
    assert.deepEqual(replies[0], { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'Workspace `w` not found', data: { kind: 'notFound' } } });
    assert.deepEqual(replies[1], { jsonrpc: '2.0', id: 2, error: { code: -32602, message: 'Invalid params', data: { kind: 'invalidParams' } } });
    assert.deepEqual(replies[2], { jsonrpc: '2.0', id: 3, error: { code: -32603, message: 'Internal error: boom', data: { kind: 'internal' } } });
  });

  it('a result that cannot be encoded is answered with -32603, and the connection carries on', async () => {
    const { send, until, errors } = endpoint({
      request: (method) => (method === 'cyclic' ? (() => { const o: Record<string, unknown> = {}; o.self = o; return o; })() : 'ok'),
    });
    send(request(1, 'cyclic'), request(2, 'next'));
    const replies = await until(2);
    assert.equal((replies[0]!.error as { code: number }).code, -32603);
    assert.match((replies[0]!.error as { message: string }).message, /could not be encoded/);
    assert.deepEqual(replies[1], { jsonrpc: '2.0', id: 2, result: 'ok' });
    assert.equal(errors.length, 1);
  });

  it('`$/cancelRequest` aborts the signal of the request it names, and only that one', async () => {
    const cancellations = new Map<number, Cancellation>();
    const { send, until } = endpoint({
      request: (_method, params, cancellation) => {
        const id = (params as { id: number }).id;
        cancellations.set(id, cancellation);
        const signal = cancellation.signal;
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve(`cancelled ${id}`)));
      },
    });
    send(request(1, 'wait', { id: 1 }), request(2, 'wait', { id: 2 }));
    while (cancellations.size < 2) await nextTurn();
    send({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 2 } }, { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 99 } });
    const [reply] = await until(1);
    assert.deepEqual(reply, { jsonrpc: '2.0', id: 2, result: 'cancelled 2' });
    assert.equal(cancellations.get(1)!.isRequested, false);
    assert.equal(cancellations.get(2)!.isRequested, true);
  });

  it('passes notifications on, and sends its own', async () => {
    const seen: [string, unknown][] = [];
    const { rpc, send, until } = endpoint({ notification: (method, params) => seen.push([method, params]) });
    send({ jsonrpc: '2.0', method: 'initialized', params: {} }, { jsonrpc: '2.0', method: 'exit' });
    assert.deepEqual(seen, [
      ['initialized', {}],
      ['exit', undefined],
    ]);
    await rpc.sendNotification('events/event', { n: 1 });
    assert.deepEqual(await until(1), [{ jsonrpc: '2.0', method: 'events/event', params: { n: 1 } }]);
  });

  it('sends requests of its own: resolved with the client’s result, rejected with its error, withdrawn with `$/cancelRequest`', async () => {
    const { rpc, send, until, errors } = endpoint({});
    const withdraw = new AbortController();
    const answered = rpc.sendRequest('approval/request', { n: 1 });
    const refused = rpc.sendRequest('approval/request', { n: 2 });
    const withdrawn = rpc.sendRequest('approval/request', { n: 3 }, withdraw.signal);
    const sent = await until(3);
    assert.deepEqual(sent.map((m) => [m.method, m.params]), [
      ['approval/request', { n: 1 }],
      ['approval/request', { n: 2 }],
      ['approval/request', { n: 3 }],
    ]);
    const ids = sent.map((m) => m.id as number);
    assert.equal(new Set(ids).size, 3, `distinct ids, got ${ids.join(', ')}`);
    withdraw.abort();
    assert.deepEqual((await until(4))[3], { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: ids[2] } });
    send({ jsonrpc: '2.0', id: ids[0], result: { decision: 'allow' } }, { jsonrpc: '2.0', id: ids[1], error: { code: -32800, message: 'no', data: { kind: 'cancelled' } } });
    assert.deepEqual(await answered, { decision: 'allow' });
    await assert.rejects(refused, (error: unknown) => error instanceof RpcError && error.code === -32800 && (error.data as { kind: string }).kind === 'cancelled');
    // An answer to nothing orchd asked is reported, and changes nothing.
    send({ jsonrpc: '2.0', id: 12345, result: null });
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /12345/);
    send({ jsonrpc: '2.0', id: ids[2], result: { decision: 'deny' } });
    assert.deepEqual(await withdrawn, { decision: 'deny' }, 'a withdrawn request still settles with what the client answered');
  });

  it('when the transport ends: close is called once, waiting requests of its own fail, requests in progress are cancelled', async () => {
    let inProgress!: Cancellation;
    const { rpc, send, end, closes } = endpoint({
      request: (_method, _params, cancellation) => {
        inProgress = cancellation;
        return new Promise(() => undefined);
      },
    });
    send(request(1, 'forever'));
    const pending = rpc.sendRequest('approval/request', {});
    end();
    await assert.rejects(pending, /closed before the client answered/);
    assert.equal(closes(), 1);
    assert.equal(inProgress.isRequested, true);
    rpc.dispose();
    assert.equal(closes(), 1, 'dispose after the end closes nothing twice');
    await assert.rejects(rpc.sendRequest('approval/request', {}), /the connection is closed/);
  });
});
