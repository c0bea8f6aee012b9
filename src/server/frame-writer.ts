// Content-Length framing on the way out: each message is encoded once, synchronously, into one buffer (header and
// body together) and written with one call; messages written in the same tick go out corked, as one writev.
// vscode-jsonrpc's stock writer takes a semaphore and awaits the header's write callback before writing the body,
// so every notification cost two writes and two event-loop turns; under an agent flood that throttled every host.
import type { Writable } from 'node:stream';
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc/node';

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

/** A transport that takes ready-made frames: shared event bytes skip the message object and its serialization. */
export interface RawFrameOutput {
  /** Write one complete frame (header included), in order with every other message on this writer. */
  writeFrame(frame: Buffer): void;
  /** Bytes written but not yet taken by the other side. */
  readonly bufferedBytes: number;
  /** Call `listener` each time the buffered bytes drain. */
  onDrain(listener: () => void): void;
}

export class FrameWriter extends AbstractMessageWriter implements MessageWriter, RawFrameOutput {
  private corked = false;
  private errorCount = 0;

  constructor(private readonly writable: Writable) {
    super();
    writable.on('error', (error: Error) => this.fireError(error));
    writable.on('close', () => this.fireClose());
  }

  /** Resolves once the stream has taken the frame (its write callback), which is what flow control counts. */
  write(message: Message): Promise<void> {
    let frame: Buffer;
    try {
      frame = encodeFrame(message);
    } catch (error) {
      this.errorCount++;
      this.fireError(error as Error, message, this.errorCount);
      return Promise.reject(error);
    }
    if (this.writable.destroyed || !this.writable.writable) return Promise.reject(new Error('the output stream is closed'));
    this.corkForThisTick();
    return new Promise<void>((resolve, reject) => {
      this.writable.write(frame, (error) => {
        if (!error) return resolve();
        this.errorCount++;
        this.fireError(error, message, this.errorCount);
        reject(error);
      });
    });
  }

  writeFrame(frame: Buffer): void {
    if (this.writable.destroyed || !this.writable.writable) return;
    this.corkForThisTick();
    // Errors reach the 'error' listener (fireError); a frame needs no callback of its own.
    this.writable.write(frame);
  }

  get bufferedBytes(): number {
    return this.writable.writableLength;
  }

  onDrain(listener: () => void): void {
    this.writable.on('drain', listener);
  }

  private corkForThisTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.writable.cork();
    process.nextTick(() => {
      this.corked = false;
      this.writable.uncork();
    });
  }

  end(): void {
    this.writable.end();
  }
}
