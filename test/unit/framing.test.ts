import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { FrameReader, messageProblem, type BadFrame } from '../../src/server/framing.js';
import { frame } from '../support/frames.js';

function read(chunks: (Buffer | string)[], maxMessageBytes?: number): { messages: unknown[]; bad: BadFrame[] } {
  const stream = new PassThrough();
  const messages: unknown[] = [];
  const bad: BadFrame[] = [];
  const reader = new FrameReader(stream, { onBadFrame: (b) => bad.push(b), ...(maxMessageBytes ? { maxMessageBytes } : {}) });
  reader.listen((m) => messages.push(m));
  for (const chunk of chunks) stream.emit('data', typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return { messages, bad };
}

const ping = (id: number) => ({ jsonrpc: '2.0', id, method: 'ping' });

describe('FrameReader', () => {
  it('reads frames split at every byte', () => {
    const bytes = Buffer.concat([frame(ping(1)), frame(ping(2))]);
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    const { messages, bad } = read(chunks);
    assert.deepEqual(messages, [ping(1), ping(2)]);
    assert.deepEqual(bad, []);
  });

  it('keeps multi-byte characters whole across reads', () => {
    const message = { jsonrpc: '2.0', method: 'note', params: { text: 'héllo — 日本 🎉' } };
    const bytes = frame(message);
    const { messages } = read([bytes.subarray(0, bytes.length - 3), bytes.subarray(bytes.length - 3)]);
    assert.deepEqual(messages, [message]);
  });

  const cases: { name: string; input: (Buffer | string)[]; kinds: BadFrame['kind'][]; ids: number[] }[] = [
    { name: 'body that is not JSON', input: [frame('{not json'), frame(ping(7))], kinds: ['parseError'], ids: [7] },
    { name: 'header without Content-Length', input: ['Content-Type: x\r\n\r\n', frame(ping(8))], kinds: ['parseError'], ids: [8] },
    { name: 'non-numeric Content-Length', input: ['Content-Length: ten\r\n\r\n', frame(ping(9))], kinds: ['parseError'], ids: [9] },
    { name: 'garbage line before a frame', input: ['hello world\r\n\r\n', frame(ping(10))], kinds: ['parseError'], ids: [10] },
    { name: 'JSON that is not a message', input: [frame('42'), frame('[1,2]'), frame(ping(11))], kinds: ['invalidRequest', 'invalidRequest'], ids: [11] },
    { name: 'wrong jsonrpc version', input: [frame({ jsonrpc: '1.0', id: 3, method: 'x' }), frame(ping(12))], kinds: ['invalidRequest'], ids: [12] },
    {
      name: 'truncated frame followed by a valid one',
      input: [Buffer.concat([Buffer.from('Content-Length: 40\r\n\r\n{"jsonrpc":"2.0","id":'), frame(ping(13))])],
      kinds: ['parseError'],
      ids: [13],
    },
    {
      name: 'truncated frame that cuts the next header in half',
      input: [Buffer.concat([Buffer.from('Content-Length: 25\r\n\r\n{"jsonrpc":"2.0",'), frame(ping(15))])],
      kinds: ['parseError'],
      ids: [15],
    },
    {
      name: 'request with a null id',
      input: [frame({ jsonrpc: '2.0', id: null, method: 'project/list', params: {} }), frame(ping(16))],
      kinds: ['invalidRequest'],
      ids: [16],
    },
    {
      name: 'pair of `$/cancelRequest` without a usable id, in one write',
      input: [Buffer.concat([frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: null } }), frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: null }), frame(ping(17))])],
      kinds: ['invalidParams', 'invalidParams'],
      ids: [17],
    },
    {
      name: 'garbage before a frame whose header is lower-case',
      input: ['garbage bytes', `content-length: ${Buffer.byteLength(JSON.stringify(ping(18)))}\r\n\r\n${JSON.stringify(ping(18))}`, frame(ping(19))],
      kinds: ['parseError'],
      ids: [18, 19],
    },
    { name: 'oversized frame is skipped without buffering', input: [`Content-Length: 2000\r\n\r\n${'x'.repeat(2000)}`, frame(ping(14))], kinds: ['invalidRequest'], ids: [14] },
  ];
  for (const c of cases) {
    it(`recovers from a ${c.name}`, () => {
      const { messages, bad } = read(c.input, 1024);
      assert.deepEqual(
        bad.map((b) => b.kind),
        c.kinds,
      );
      assert.deepEqual(
        messages.map((m) => (m as { id: number }).id),
        c.ids,
      );
      for (const b of bad) assert.match(b.message, /^Expected /);
    });
  }

  it('answers requests but not notifications it cannot serve', () => {
    const { bad } = read([frame({ jsonrpc: '2.0', id: null, method: 'x' }), frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: {} } })]);
    assert.deepEqual(
      bad.map((b) => [b.kind, b.id, b.reply]),
      [
        ['invalidRequest', null, true],
        ['invalidParams', null, false],
      ],
    );
  });

  it('passes a `$/cancelRequest` that carries an id on as a request, whatever its params', () => {
    const { messages, bad } = read([frame({ jsonrpc: '2.0', id: 16.5, method: '$/cancelRequest' }), frame({ jsonrpc: '2.0', id: 3, method: '$/cancelRequest', params: { id: null } })]);
    assert.deepEqual(bad, []);
    assert.deepEqual(
      messages.map((m) => (m as { id: number }).id),
      [16.5, 3],
    );
  });

  it('keeps reading when the connection throws on a message', () => {
    const stream = new PassThrough();
    const bad: BadFrame[] = [];
    const seen: unknown[] = [];
    const reader = new FrameReader(stream, { onBadFrame: (b) => bad.push(b) });
    reader.listen((message) => {
      seen.push(message);
      if ((message as unknown as { id: number }).id === 1) throw new Error('boom');
    });
    stream.emit('data', Buffer.concat([frame(ping(1)), frame(ping(2))]));
    assert.deepEqual(
      seen.map((m) => (m as { id: number }).id),
      [1, 2],
    );
    assert.deepEqual(
      bad.map((b) => [b.kind, b.id, b.reply]),
      [['internal', 1, true]],
    );
  });

  it('gives the id of an invalid request that has one', () => {
    const { bad } = read([frame({ jsonrpc: '1.0', id: 5, method: 'x' })]);
    assert.equal(bad[0]?.id, 5);
  });
});

describe('messageProblem', () => {
  const table: [unknown, boolean][] = [
    [{ jsonrpc: '2.0', method: 'a' }, true],
    [{ jsonrpc: '2.0', id: 1, method: 'a', params: {} }, true],
    [{ jsonrpc: '2.0', id: 1, result: null }, true],
    [{ jsonrpc: '2.0', id: null, error: { code: 1, message: 'x' } }, true],
    [{ jsonrpc: '2.0', id: {}, method: 'a' }, false],
    [{ jsonrpc: '2.0', method: 5 }, false],
    [{ jsonrpc: '2.0', method: 'a', params: 5 }, false],
    [{ jsonrpc: '2.0', id: 1 }, false],
    [{ jsonrpc: '2.0', id: null, method: 'a' }, false],
    [null, false],
    ['x', false],
  ];
  for (const [input, valid] of table) {
    it(`${JSON.stringify(input)} is ${valid ? 'valid' : 'invalid'}`, () => {
      assert.equal(messageProblem(input) === undefined, valid);
    });
  }
});
