// Content-Length framing on the way out: each message is encoded once, synchronously, into one buffer (header and
// body together) and written with one call; messages written in the same tick go out corked, as one writev.
// vscode-jsonrpc's stock writer takes a semaphore and awaits the header's write callback before writing the body,
// so every notification cost two writes and two event-loop turns; under an agent flood that throttled every host.
import type { Writable } from 'node:stream';
import { AbstractMessageWriter, type Message, type MessageWriter } from './transport.js';

/** Encode one JSON-RPC message as a complete frame: `Content-Length: N\r\n\r\n` followed by the UTF-8 body. */
export function encodeFrame(message: unknown): Buffer {
  const body = JSON.stringify(message);
  const bodyBytes = Buffer.byteLength(body, 'utf8');
  const header = `Content-Length: ${bodyBytes}\r\n\r\n`;
  const frame = Buffer.allocUnsafe(header.length + bodyBytes);
  frame.write(header, 0, 'ascii');
  frame.write(body, header.length, 'utf8');
  return frame;
}

/** A transport that takes frames built from parts: shared event bytes skip the message object and its serialization. */
export interface RawFrameOutput {
  /**
   * Write one frame whose body is `prefix`, `body` and `suffix` (ASCII) joined, in order with every other message on
   * this writer. `body` is text (encoded here, once) or bytes already encoded (copied).
   */
  writeFrameParts(prefix: Buffer, body: string | Buffer, suffix: string): void;
  /** Bytes written but not yet taken by the other side. */
  readonly bufferedBytes: number;
  /** Call `listener` whenever the buffered bytes fall to LOW_WATER_BYTES or below (not only once they are all gone). */
  onLowWater(listener: () => void): void;
}

/** Where a writer that paused on a full buffer is told to carry on: early enough that the pipe never runs dry. */
export const LOW_WATER_BYTES = 16 * 1024;

/** Frames built from parts are packed into blocks of this size: one allocation and one stream write per block. */
const BLOCK_BYTES = 64 * 1024;

export class FrameWriter extends AbstractMessageWriter implements MessageWriter, RawFrameOutput {
  private corked = false;
  // The block frames from parts go into: `block[blockStart..blockEnd]` is filled and not yet handed to the stream.
  private block: Buffer | null = null;
  private blockStart = 0;
  private blockEnd = 0;
  private readonly lowWaterListeners: (() => void)[] = [];
  /** Bytes handed to the stream, frame headers included (daemon/status). */
  bytesWritten = 0;
  /** Messages written (daemon/status). */
  messagesWritten = 0;
  // Called as the stream takes each chunk this writer gave it: the moment to tell paused writers to carry on.
  private readonly taken = (): void => {
    if (this.lowWaterListeners.length && this.bufferedBytes <= LOW_WATER_BYTES) for (const listener of this.lowWaterListeners) listener();
  };

  constructor(private readonly writable: Writable) {
    super();
    writable.on('error', (error: Error) => this.fireError(error));
    writable.on('close', () => this.fireClose());
    writable.on('drain', this.taken);
  }

  /** Resolves once the stream has taken the frame (its write callback), which is what flow control counts. */
  write(message: Message): Promise<void> {
    let frame: Buffer;
    try {
      frame = encodeFrame(message);
    } catch (error) {
      this.fireError(error);
      return Promise.reject(error);
    }
    if (this.writable.destroyed || !this.writable.writable) return Promise.reject(new Error('the output stream is closed'));
    this.bytesWritten += frame.length;
    this.messagesWritten++;
    this.corkForThisTick();
    // Frames packed before this message go first.
    this.flushBlock();
    return new Promise<void>((resolve, reject) => {
      this.writable.write(frame, (error) => {
        if (!error) return resolve();
        this.fireError(error);
        reject(error);
      });
    });
  }

  writeFrameParts(prefix: Buffer, body: string | Buffer, suffix: string): void {
    if (this.writable.destroyed || !this.writable.writable) return;
    this.corkForThisTick();
    const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
    const length = prefix.length + bodyBytes + suffix.length;
    const header = `Content-Length: ${length}\r\n\r\n`;
    const total = header.length + length;
    this.bytesWritten += total;
    this.messagesWritten++;
    let target: Buffer;
    let at: number;
    if (total > BLOCK_BYTES / 4) {
      // A large frame (an output chunk) gets a buffer of its own rather than a block.
      this.flushBlock();
      target = Buffer.allocUnsafe(total);
      at = 0;
    } else {
      if (!this.block || this.blockEnd + total > this.block.length) {
        this.flushBlock();
        this.block = Buffer.allocUnsafe(BLOCK_BYTES);
        this.blockStart = this.blockEnd = 0;
      }
      target = this.block;
      at = this.blockEnd;
    }
    at += target.write(header, at, 'latin1');
    at += prefix.copy(target, at);
    at += typeof body === 'string' ? target.write(body, at, 'utf8') : body.copy(target, at);
    at += target.write(suffix, at, 'latin1');
    if (target === this.block) this.blockEnd = at;
    // Errors reach the 'error' listener (fireError).
    else this.writable.write(target, this.taken);
  }

  get bufferedBytes(): number {
    return this.writable.writableLength + (this.blockEnd - this.blockStart);
  }

  onLowWater(listener: () => void): void {
    this.lowWaterListeners.push(listener);
  }

  /** Hand the filled part of the block to the stream; later frames continue in the rest of it. */
  private flushBlock(): void {
    if (!this.block || this.blockEnd === this.blockStart) return;
    this.writable.write(this.block.subarray(this.blockStart, this.blockEnd), this.taken);
    this.blockStart = this.blockEnd;
  }

  private corkForThisTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.writable.cork();
    process.nextTick(() => {
      this.corked = false;
      this.flushBlock();
      this.writable.uncork();
    });
  }

  end(): void {
    this.flushBlock();
    this.writable.end();
  }
}
