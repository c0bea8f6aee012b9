import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createLineCutter, createOutputCapture, type OutputChunk } from '../../src/executions/output.js';
import { parseStat } from '../../src/supervisor/process-group.js';
import { waitUntil } from '../support/wait.js';
import { silentLogger } from '../../src/log/logger.js';

async function capture(writes: { stream: 'stdout' | 'stderr'; bytes: Buffer }[], maxLineBytes?: number) {
  const chunks: OutputChunk[] = [];
  const lines: string[] = [];
  const out = createOutputCapture({ persist: async (batch) => void chunks.push(...batch), onLine: (l, stream) => void (stream === 'stdout' && lines.push(l)), logger: silentLogger, ...(maxLineBytes ? { maxLineBytes } : {}) });
  const streams = { stdout: new PassThrough(), stderr: new PassThrough() };
  out.attach(streams.stdout, 'stdout');
  out.attach(streams.stderr, 'stderr');
  for (const w of writes) streams[w.stream].write(w.bytes);
  streams.stdout.end();
  streams.stderr.end();
  await out.closed();
  return { chunks, lines, stats: out.stats };
}

describe('output capture', () => {
  it('never splits a multi-byte character, whatever the read boundaries', async () => {
    const text = 'héllo 日本語 🎉 done\n';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { chunks } = await capture([
        { stream: 'stdout', bytes: bytes.subarray(0, cut) },
        { stream: 'stdout', bytes: bytes.subarray(cut) },
      ]);
      assert.equal(chunks.map((c) => c.text).join(''), text, `cut at byte ${cut}`);
    }
  });

  it('decodes any bytes, split anywhere, as the WHATWG decoder does the whole, and reports the same lines', async () => {
    // Valid and invalid UTF-8 alike: truncated sequences, stray continuation bytes, overlongs, surrogates, 0xff.
    const byte = fc.constantFrom(0x61, 0x0a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xbf, 0xff, 0xc0, 0xed, 0xa0, 0xf4, 0x90);
    const property = fc.asyncProperty(fc.array(fc.array(byte, { minLength: 1, maxLength: 10 }), { maxLength: 6 }), async (pieces) => {
      const { chunks, lines } = await capture(pieces.map((p) => ({ stream: 'stdout' as const, bytes: Buffer.from(p) })));
      const expected = new TextDecoder('utf-8').decode(Buffer.concat(pieces.map((p) => Buffer.from(p))));
      assert.equal(chunks.map((c) => c.text).join(''), expected);
      assert.deepEqual(lines, expected === '' ? [] : expected.replace(/\n$/, '').split('\n'));
    });
    await fc.assert(property, { numRuns: 300 });
  });

  it('numbers chunks across both streams in arrival order and reports whole stdout lines', async () => {
    const { chunks, lines } = await capture([
      { stream: 'stdout', bytes: Buffer.from('a\nb') },
      { stream: 'stderr', bytes: Buffer.from('oops\n') },
      { stream: 'stdout', bytes: Buffer.from('c\n') },
    ]);
    assert.deepEqual(
      chunks.map((c) => [c.seq, c.stream, c.text]),
      [
        [1, 'stdout', 'a\nb'],
        [2, 'stderr', 'oops\n'],
        [3, 'stdout', 'c\n'],
      ],
    );
    assert.deepEqual(lines, ['a', 'bc']);
  });

  it('takes a big chunk of lines a slice at a time, with other work running between slices', async () => {
    const lines: string[] = [];
    const chunks: OutputChunk[] = [];
    const out = createOutputCapture({ persist: async (batch) => void chunks.push(...batch), onLine: (line) => void lines.push(line), logger: silentLogger });
    const stream = new PassThrough({ highWaterMark: 8 * 1024 * 1024 });
    out.attach(stream, 'stdout');
    const text = `${Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'x'.repeat(30)}`).join('\n')}\n`;
    stream.end(text); // one 2 MB chunk
    let done = false;
    const closed = out.closed().then(() => (done = true));
    let turns = 0;
    while (!done) {
      turns++;
      await nextTurn();
    }
    await closed;
    assert.ok(turns > 1, 'the chunk was not taken in one turn');
    assert.equal(lines.length, 50_000);
    assert.equal(lines[0], `line 0 ${'x'.repeat(30)}`);
    assert.equal(lines[49_999], `line 49999 ${'x'.repeat(30)}`);
    assert.equal(chunks.map((c) => c.text).join(''), text, 'every byte persisted, in order');
  });

  it('cuts a line longer than the limit, keeping its start and a marker, with memory bounded', async () => {
    const writes = Array.from({ length: 100 }, () => ({ stream: 'stdout' as const, bytes: Buffer.alloc(10_000, 0x61) }));
    writes.push({ stream: 'stdout', bytes: Buffer.from('\nnext line\n') });
    const { chunks, stats } = await capture(writes, 50_000);
    const text = chunks.map((c) => c.text).join('');
    assert.equal(stats.cutLines, 1);
    assert.match(text, /^a{50000}…\[orchd: line cut, 950000 bytes dropped\]\nnext line\n$/);
    assert.equal(stats.retainedBytes(), 0);
  });
});

describe('line cutter', () => {
  const table: [string[], number, string][] = [
    [['short\n'], 10, 'short\n'],
    [['abcdefghij', 'klm\n'], 5, 'abcde…[orchd: line cut, 8 bytes dropped]\n'],
    [['abc\ndefghijkl\nxy\n'], 4, 'abc\ndefg…[orchd: line cut, 5 bytes dropped]\nxy\n'],
  ];
  for (const [pieces, max, expected] of table) {
    it(`${JSON.stringify(pieces)} with limit ${max}`, () => {
      const cut = createLineCutter(max);
      assert.equal(pieces.map((p) => cut(p).text).join(''), expected);
    });
  }

  it('cuts the same however the text is split into pieces (the fast path for short pieces agrees with the line walk)', () => {
    // Characters of 1, 2 and 3 UTF-8 bytes and newlines; a piece boundary never splits a character.
    const char = fc.constantFrom('a', 'b', 'é', '€', '\n');
    const property = fc.property(fc.array(fc.array(char, { maxLength: 12 }).map((cs) => cs.join('')), { maxLength: 12 }), fc.integer({ min: 1, max: 40 }), (pieces, max) => {
      const piecewise = createLineCutter(max);
      const results = pieces.map((piece) => piecewise(piece));
      const whole = createLineCutter(max)(pieces.join(''));
      assert.equal(results.map((r) => r.text).join(''), whole.text);
      assert.equal(results.reduce((sum, r) => sum + r.cut, 0), whole.cut);
    });
    fc.assert(property, { numRuns: 500 });
  });
});

describe('/proc/<pid>/stat parsing', () => {
  it('reads pgrp and start time even when the command name has spaces and parentheses', () => {
    const stat = '4242 (we(ird) name) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100';
    assert.deepEqual(parseStat(stat), { state: 'S', pgrp: 4240, startTicks: '987654' });
  });
  it('rejects garbage', () => assert.equal(parseStat('nonsense'), null));

  it('does not take a zombie (exited, not yet reaped) for the live process it was', async () => {
    const { spawn } = await import('node:child_process');
    const { processIdentity, isSameProcess } = await import('../../src/supervisor/process-group.js');
    // `sleep 0.2` is backgrounded by a shell that then becomes `sleep 60`, which never reaps it.
    const parent = spawn('/bin/sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()))));
      const identity = processIdentity(pid)!;
      assert.ok(identity, 'the child is alive at first');
      assert.equal(isSameProcess(identity), true);
      const { readFileSync } = await import('node:fs');
      await waitUntil(() => parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state === 'Z', 'the child to become a zombie');
      assert.equal(isSameProcess(identity), false, 'a zombie is gone for every purpose of orchd');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
