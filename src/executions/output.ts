// Capture a child's stdout and stderr as ordered UTF-8 chunks: multi-byte characters are never split, a line longer
// than 10 MB is cut with a marker, chunks are persisted in batches, and the child is paused while persistence lags so
// a flood of output cannot grow the daemon's memory without bound.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from '../log/logger.js';
import { TurnSlicer } from '../util/turn-slicer.js';

export const MAX_LINE_BYTES = 10 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
/**
 * Output waiting this long while an earlier batch is still being written is cut into a batch of its own. A batch
 * commits whole, so this bounds one piece of the group commit (a chunk of chat lines and the entries made from them);
 * at 256 KB one piece took about 20 ms, and a host request arriving then waited for all of it.
 */
const FLUSH_BYTES = CHUNK_BYTES;
/** Text is taken in slices of about this many characters, cut after a newline. */
const SLICE_CHARS = 8 * 1024;

/** Where the next slice of `text` ends: after the last newline within SLICE_CHARS, else after the first one. */
function sliceEnd(text: string): number {
  if (text.length <= SLICE_CHARS) return text.length;
  const last = text.lastIndexOf('\n', SLICE_CHARS);
  if (last >= 0) return last + 1;
  const first = text.indexOf('\n', SLICE_CHARS);
  return first >= 0 ? first + 1 : text.length;
}

/**
 * Bytes decoded but not yet persisted before the child's streams are paused (they resume at half). 256 KB rather than
 * 1 MB: text waiting here outlives young-generation collections and is copied by each, and eight agents each holding
 * up to 1 MB kept the slicer and the group commit busy every turn. Under eight flooding agents the no-op p50 fell from
 * 1.5 to 0.2 ms, peak RSS by 13 MB, at the same or more events per second; one agent's 256 MB flood ran as fast
 * (docs/benchmarks.md, sixth pass). 128 KB began to cost one agent throughput.
 */
const HIGH_WATER_BYTES = 256 * 1024;

export type OutputStream = 'stdout' | 'stderr' | 'stdin';

export interface OutputChunk {
  seq: number;
  stream: OutputStream;
  text: string;
}

export interface OutputCaptureOptions {
  /** Persist one batch; `derived` is what `cutBatch` returned when the batch was cut. */
  persist: (chunks: OutputChunk[], derived: unknown) => Promise<unknown>;
  /** Called synchronously when a batch is cut, after every line in it was observed: state derived from exactly
   * those lines (normalized entries) travels with them. */
  cutBatch?: () => unknown;
  /** Every complete line of every stream, in capture order, before its chunk is persisted. */
  onLine?: ((line: string, stream: OutputStream) => void) | undefined;
  logger: Logger;
  maxLineBytes?: number;
  /** Where line work is sliced, shared by every capture of the engine (a capture of its own otherwise). */
  slicer?: TurnSlicer;
}

export interface OutputCapture {
  attach(stream: Readable, name: 'stdout' | 'stderr'): void;
  /** Record text orchd wrote to the child's stdin (whole lines), so the raw log holds both sides. */
  recordInput(text: string): void;
  /** Resolves when every attached stream ended and everything is persisted. */
  closed(): Promise<void>;
  readonly stats: { bytes: number; cutLines: number; retainedBytes: () => number };
}

/** Cuts over-long lines: keeps the first `max` bytes of a line, drops the rest, and marks the cut. */
export function createLineCutter(max: number): (text: string) => { text: string; cut: number } {
  let lineBytes = 0;
  let dropped = 0;
  return (text) => {
    // Fast path (nearly every slice): no line in `text` can pass `max`, since a UTF-16 unit is at most 3 UTF-8 bytes.
    // The text is returned as it is, not rebuilt line by line; only the open line's byte count is kept.
    if (dropped === 0 && lineBytes + text.length * 3 <= max) {
      const lastNewline = text.lastIndexOf('\n');
      lineBytes = lastNewline < 0 ? lineBytes + Buffer.byteLength(text) : Buffer.byteLength(text.slice(lastNewline + 1));
      return { text, cut: 0 };
    }
    let out = '';
    let cuts = 0;
    let start = 0;
    while (start < text.length) {
      const newline = text.indexOf('\n', start);
      const end = newline < 0 ? text.length : newline;
      const content = text.slice(start, end);
      const contentBytes = Buffer.byteLength(content);
      if (dropped > 0 || lineBytes + contentBytes > max) {
        const keep = Math.min(Math.max(0, max - lineBytes), contentBytes);
        if (keep > 0) out += Buffer.from(content).subarray(0, keep).toString('utf8').replace(/\uFFFD$/, '');
        dropped += contentBytes - keep;
        lineBytes += keep;
        if (newline >= 0) {
          out += `…[orchd: line cut, ${dropped} bytes dropped]\n`;
          cuts++;
          dropped = 0;
          lineBytes = 0;
        }
      } else {
        out += newline >= 0 ? `${content}\n` : content;
        lineBytes = newline >= 0 ? 0 : lineBytes + contentBytes;
      }
      start = newline >= 0 ? newline + 1 : text.length;
    }
    return { text: out, cut: cuts };
  };
}

/** Create a capture; attach the child's streams to it. */
export function createOutputCapture(options: OutputCaptureOptions): OutputCapture {
  const maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
  const slicer = options.slicer ?? new TurnSlicer();
  let seq = 0;
  let pending: OutputChunk[] = [];
  let pendingBytes = 0;
  /** UTF-8 bytes of the last pending chunk (counted as text is appended: measuring the joined text would flatten it). */
  let lastChunkBytes = 0;
  let inFlightBytes = 0;
  let flushing: Promise<void> = Promise.resolve();
  // Group commit: output is persisted on the next turn of the event loop when nothing is being written, and
  // whatever arrives while a write is in progress goes into the next one. Latency stays one write, not a timer.
  let scheduled = false;
  let writing = 0;
  const streams = new Set<Readable>();
  const ends: Promise<void>[] = [];
  const stats = { bytes: 0, cutLines: 0, retainedBytes: () => pendingBytes + inFlightBytes };

  const flush = () => {
    if (!pending.length) return flushing;
    const batch = pending;
    const derived = options.cutBatch?.();
    const bytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    inFlightBytes += bytes;
    writing++;
    flushing = flushing
      .then(() => options.persist(batch, derived))
      .then(
        () => undefined,
        (error) => options.logger.error('could not persist output', { error }),
      )
      .finally(() => {
        inFlightBytes -= bytes;
        writing--;
        if (writing === 0 && pending.length) schedule();
        if (inFlightBytes + pendingBytes < HIGH_WATER_BYTES / 2) for (const s of streams) if (s.isPaused()) s.resume();
      });
    return flushing;
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void flush();
    });
  };

  const push = (stream: OutputStream, text: string) => {
    if (!text) return;
    const last = pending[pending.length - 1];
    const bytes = Buffer.byteLength(text);
    if (last && last.stream === stream && lastChunkBytes < CHUNK_BYTES) {
      last.text += text;
      lastChunkBytes += bytes;
    } else {
      pending.push({ seq: ++seq, stream, text });
      lastChunkBytes = bytes;
    }
    pendingBytes += bytes;
    if (pendingBytes >= FLUSH_BYTES) void flush();
    else if (writing === 0) schedule();
    if (pendingBytes + inFlightBytes > HIGH_WATER_BYTES) for (const s of streams) s.pause();
  };

  const notify = (line: string, stream: OutputStream) => {
    try {
      options.onLine?.(line, stream);
    } catch (error) {
      options.logger.warn('line observer failed', { error, stream });
    }
  };

  return {
    stats,
    recordInput(text) {
      if (!text) return;
      stats.bytes += Buffer.byteLength(text);
      if (options.onLine) for (const line of text.replace(/\n$/, '').split('\n')) notify(line, 'stdin');
      push('stdin', text.endsWith('\n') ? text : `${text}\n`);
    },
    attach(readable, name) {
      streams.add(readable);
      // StringDecoder rather than TextDecoder: the same replacement of invalid bytes and the same care for a character
      // split across reads, about 7x less CPU per 64 KB read (TextDecoder's streaming mode goes through ICU).
      const decoder = new StringDecoder('utf8');
      const cut = createLineCutter(maxLine);
      let lineBuffer = '';
      const observe = (text: string) => {
        if (!options.onLine) return;
        let newline = text.indexOf('\n');
        if (newline < 0) {
          lineBuffer += text;
          return;
        }
        // Lines are cut out of `text` by index: the rest is not copied again after every line.
        notify(lineBuffer ? lineBuffer + text.slice(0, newline) : text.slice(0, newline), name);
        let start = newline + 1;
        while ((newline = text.indexOf('\n', start)) >= 0) {
          notify(text.slice(start, newline), name);
          start = newline + 1;
        }
        lineBuffer = text.slice(start);
      };
      const take = (text: string) => {
        const result = cut(text);
        stats.cutLines += result.cut;
        observe(result.text);
        push(name, result.text);
      };
      ends.push(
        new Promise<void>((resolve) => {
          // Line work is sliced. libuv reads a readable pipe up to 32 times (2 MB) in one go, and parsing all of it
          // before anything else ran kept a host's request waiting 20-40 ms behind one flooding agent; one 64 KB
          // chunk of chat lines is still a few ms of parsing. So the stream pauses at each chunk, its text is taken a
          // slice (whole lines) at a time through the slicer (a time budget per turn shared by every stream), and
          // reading resumes once the chunk is done.
          const backlog: string[] = [];
          let draining = false;
          let closed = false;
          const finish = () => {
            take(decoder.end());
            if (lineBuffer) notify(lineBuffer, name);
            streams.delete(readable);
            resolve();
          };
          const slice = (): boolean => {
            const text = backlog[0]!;
            const end = sliceEnd(text);
            try {
              take(end === text.length ? text : text.slice(0, end));
            } catch (error) {
              // A bug, never input: the stream must still end, or its execution never finishes.
              options.logger.error('output slice failed', { error, stream: name });
            }
            if (end === text.length) backlog.shift();
            else backlog[0] = text.slice(end);
            if (backlog.length > 0) return true;
            draining = false;
            if (closed) finish();
            else if (pendingBytes + inFlightBytes <= HIGH_WATER_BYTES) readable.resume();
            return false;
          };
          readable.on('data', (bytes: Buffer) => {
            stats.bytes += bytes.length;
            const text = decoder.write(bytes);
            // A read of only part of a character decodes to nothing yet: its text comes with the next read. (Taking
            // it as a slice found an empty backlog, threw, and left the stream paused for good: the execution hung.)
            if (!text) return;
            backlog.push(text);
            readable.pause();
            if (draining) return;
            draining = true;
            slicer.add(slice);
          });
          readable.once('close', () => {
            closed = true;
            if (!draining) finish();
          });
        }),
      );
    },
    async closed() {
      await Promise.all(ends);
      await flush();
      await flushing;
    },
  };
}
