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

export class FrameWriter extends AbstractMessageWriter implements MessageWriter {
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
    if (!this.corked) {
      this.corked = true;
      this.writable.cork();
      process.nextTick(() => {
        this.corked = false;
        this.writable.uncork();
      });
    }
    return new Promise<void>((resolve, reject) => {
      this.writable.write(frame, (error) => {
        if (!error) return resolve();
        this.errorCount++;
        this.fireError(error, message, this.errorCount);
        reject(error);
      });
    });
  }

  end(): void {
    this.writable.end();
  }
}
