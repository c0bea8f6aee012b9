// One JSON-RPC message per WebSocket text message, as a vscode-jsonrpc MessageReader and MessageWriter pair, so a
// WebSocket attaches to the same dispatcher as stdio (attachConnection). The writer takes event frames built from
// shared parts (RawFrameOutput), like the stdio writer, and reports the socket's queue for flow control.
import { AbstractMessageReader, AbstractMessageWriter, type DataCallback, type Disposable, type Message, type MessageWriter } from '../transport.js';
import type { RawData, WebSocket } from 'ws';
import { WS_CLOSE_CODES } from '../../../protocol/service.js';
import { LOW_WATER_BYTES, type RawFrameOutput } from '../frame-writer.js';
import { deliverMessage, type BadFrame } from '../framing.js';

export class WsMessageReader extends AbstractMessageReader {
  /** Bytes of the messages read (daemon/status). */
  bytesRead = 0;
  /** Messages handed on (daemon/status). */
  messagesRead = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly onBadFrame: (bad: BadFrame) => void,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    const onMessage = (data: RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.bytesRead += bytes.length;
      if (isBinary) {
        this.onBadFrame({ kind: 'invalidRequest', message: `Expected a text message holding one JSON-RPC message, got a binary message of ${bytes.length} bytes`, id: null, reply: true });
        this.socket.close(WS_CLOSE_CODES.unsupportedData, 'binary messages are not part of the protocol');
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        this.onBadFrame({ kind: 'parseError', message: `Expected the message to be JSON, got ${bytes.length} bytes that do not parse`, id: null, reply: true });
        return;
      }
      deliverMessage(parsed, this.onBadFrame, callback, this);
    };
    const onClose = () => this.fireClose();
    const onError = (error: Error) => this.fireError(error);
    this.socket.on('message', onMessage);
    this.socket.on('close', onClose);
    this.socket.on('error', onError);
    return {
      dispose: () => {
        this.socket.off('message', onMessage);
        this.socket.off('close', onClose);
        this.socket.off('error', onError);
      },
    };
  }
}

export interface WsWriterOptions {
  /** Past this many queued bytes the connection is closed with `sendQueueOverflow` (4000). */
  maxQueueBytes: number;
  /**
   * The TCP socket under the WebSocket (the server has it from the upgrade). When given, it is corked for the rest
   * of the turn on the first message, so the messages of one turn (a delivery loop's events, a reply) leave in one
   * writev; ws corks around each message only, which cost one syscall and one packet per event.
   */
  rawSocket?: { cork(): void; uncork(): void };
  /** Called once when the writer closes the socket itself (overflow). */
  onOverflow: (queuedBytes: number) => void;
}

export class WsMessageWriter extends AbstractMessageWriter implements MessageWriter, RawFrameOutput {
  private readonly lowWaterListeners: (() => void)[] = [];
  private overflowed = false;
  private corked = false;
  /** Bytes handed to the socket (daemon/status). */
  bytesWritten = 0;
  /** Messages written (daemon/status). */
  messagesWritten = 0;
  // Called as the socket takes each message: the moment to tell paused subscriptions to carry on.
  private readonly taken = (error?: Error): void => {
    if (error) return;
    if (this.lowWaterListeners.length && this.bufferedBytes <= LOW_WATER_BYTES) for (const listener of this.lowWaterListeners) listener();
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly options: WsWriterOptions,
  ) {
    super();
    socket.on('close', () => this.fireClose());
  }

  get bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  write(message: Message): Promise<void> {
    let text: Buffer;
    try {
      text = Buffer.from(JSON.stringify(message), 'utf8');
    } catch (error) {
      this.fireError(error);
      return Promise.reject(error);
    }
    if (!this.open) return Promise.reject(new Error('the WebSocket is closed'));
    return new Promise<void>((resolve, reject) => {
      this.send(text, (error) => {
        this.taken(error);
        if (error) reject(error);
        else resolve();
      });
    });
  }

  writeFrameParts(prefix: Buffer, body: string | Buffer, suffix: string): void {
    if (!this.open) return;
    const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
    const message = Buffer.allocUnsafe(prefix.length + bodyBytes + suffix.length);
    let at = prefix.copy(message, 0);
    at += typeof body === 'string' ? message.write(body, at, 'utf8') : body.copy(message, at);
    message.write(suffix, at, 'latin1');
    this.send(message, this.taken);
  }

  onLowWater(listener: () => void): void {
    this.lowWaterListeners.push(listener);
  }

  end(): void {
    if (this.open) this.socket.close(WS_CLOSE_CODES.normal, 'exit');
  }

  private get open(): boolean {
    return this.socket.readyState === this.socket.OPEN && !this.overflowed;
  }

  private send(message: Buffer, done: (error?: Error) => void): void {
    const raw = this.options.rawSocket;
    if (raw && !this.corked) {
      this.corked = true;
      raw.cork();
      process.nextTick(() => {
        this.corked = false;
        raw.uncork();
      });
    }
    this.bytesWritten += message.length;
    this.messagesWritten++;
    // A Buffer sent with `binary: false` goes out as a text frame without being copied or re-encoded.
    this.socket.send(message, { binary: false }, done);
    const queued = this.socket.bufferedAmount;
    if (queued > this.options.maxQueueBytes && !this.overflowed) {
      // Nothing more is sent from now on; the connection is dropped on the next turn, outside whatever delivery
      // loop this send was part of.
      this.overflowed = true;
      setImmediate(() => this.options.onOverflow(queued));
    }
  }
}
