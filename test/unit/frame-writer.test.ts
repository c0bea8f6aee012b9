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
    writer.onError(([error]) => errors.push(error));
    const cyclic: Record<string, unknown> = { jsonrpc: '2.0', method: 'x' };
    cyclic.params = cyclic;
    await assert.rejects(writer.write(cyclic as never), /circular/i);
    assert.equal(errors.length, 1);
    stream.destroy();
    await assert.rejects(writer.write({ jsonrpc: '2.0', method: 'late' } as never), /closed/);
  });
});
