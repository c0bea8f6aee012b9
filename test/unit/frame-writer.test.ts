import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { encodeFrame, FrameWriter } from '../../src/server/frame-writer.js';
import { FrameReader } from '../../src/server/framing.js';

describe('FrameWriter', () => {
  it('encodes a message as one buffer: header with the byte length, then the UTF-8 body', () => {
    const message = { jsonrpc: '2.0', method: 'note', params: { text: 'héllo — 日本 🎉' } };
    const frame = encodeFrame(message);
    const body = JSON.stringify(message);
    assert.equal(frame.toString('utf8'), `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });

  it('writes each message with one write call, and frames written in one tick leave together, in order', async () => {
    const stream = new PassThrough();
    const writes: Buffer[] = [];
    const original = stream.write.bind(stream);
    stream.write = ((chunk: Buffer, ...rest: unknown[]) => {
      writes.push(chunk);
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    const received: unknown[] = [];
    const reader = new FrameReader(stream, { onBadFrame: (bad) => assert.fail(bad.message) });
    reader.listen((message) => received.push(message));
    const writer = new FrameWriter(stream);
    const messages = Array.from({ length: 50 }, (_, i) => ({ jsonrpc: '2.0' as const, method: 'events/event', params: { n: i, text: 'x'.repeat(i * 37) } }));
    await Promise.all(messages.map((m) => writer.write(m)));
    assert.equal(writes.length, messages.length, 'one write per message');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(received, messages);
  });

  it('rejects a write to a closed stream and reports a failed encoding without writing', async () => {
    const stream = new PassThrough();
    const writer = new FrameWriter(stream);
    const errors: Error[] = [];
    writer.onError((error) => errors.push(error));
    const cyclic: Record<string, unknown> = { jsonrpc: '2.0', method: 'x' };
    cyclic.params = cyclic;
    await assert.rejects(writer.write(cyclic as never), /circular/i);
    assert.equal(errors.length, 1);
    stream.destroy();
    await assert.rejects(writer.write({ jsonrpc: '2.0', method: 'late' } as never), /closed/);
  });

  it('packs frames built from parts into blocks, in order with whole messages, text and bytes alike', async () => {
    const stream = new PassThrough();
    let writes = 0;
    const original = stream.write.bind(stream);
    stream.write = ((...args: unknown[]) => (writes++, (original as (...a: unknown[]) => boolean)(...args))) as typeof stream.write;
    const received: unknown[] = [];
    const reader = new FrameReader(stream, { onBadFrame: (bad) => assert.fail(bad.message) });
    reader.listen((message) => received.push(message));
    const writer = new FrameWriter(stream);
    const prefix = Buffer.from('{"jsonrpc":"2.0","method":"events/event","params":{"subscriptionId":"sub_1","event":');
    const expected: unknown[] = [];
    for (let i = 0; i < 2000; i++) {
      // Small and large bodies, multi-byte text, as a string or as bytes already encoded.
      const event = { seq: i + 1, text: i % 100 === 7 ? 'é'.repeat(40_000) : `héllo 日本 🎉 ${i}` };
      const json = JSON.stringify(event);
      writer.writeFrameParts(prefix, i % 2 ? Buffer.from(json) : json, '}}');
      expected.push({ jsonrpc: '2.0', method: 'events/event', params: { subscriptionId: 'sub_1', event } });
      if (i % 500 === 250) {
        const reply = { jsonrpc: '2.0' as const, id: i, result: { ok: true } };
        void writer.write(reply);
        expected.push(reply);
      }
    }
    assert.ok(writer.bufferedBytes > 0, 'packed frames count as buffered before the stream takes them');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(received, expected);
    assert.ok(writes < 500, `2,000 small frames should go out in blocks, got ${writes} stream writes`);
  });
});
