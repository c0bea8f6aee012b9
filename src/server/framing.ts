// Content-Length framing that survives bad input. vscode-jsonrpc's stock reader loses its place after a header
// without Content-Length and buffers frames of any size; this reader replies to each bad frame, finds the next
// header, and skips oversized bodies without holding them in memory.
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from './transport.js';

const HEADER_END = Buffer.from('\r\n\r\n');
/** Header names are case-insensitive: resynchronisation looks for this in an ASCII-lowercased copy. */
const CONTENT_LENGTH = Buffer.from('content-length:');
const MAX_HEADER_BYTES = 8192;
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface BadFrame {
  kind: 'parseError' | 'invalidRequest' | 'invalidParams' | 'internal';
  message: string;
  /** The request id when the body parsed far enough to have one. */
  id: string | number | null;
  /** False for a notification: JSON-RPC answers no notification, so the frame is only logged. */
  reply: boolean;
}

export interface FrameReaderOptions {
  maxMessageBytes?: number;
  /** Called for each frame that cannot be served; the server answers it with an error response. */
  onBadFrame: (bad: BadFrame) => void;
}

/** A growable byte queue: append at the end, consume from the front, amortized O(n). */
class ByteQueue {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(chunk: Buffer): void {
    if (this.end + chunk.length > this.buffer.length) {
      const live = this.length;
      const capacity = Math.max(this.buffer.length, (live + chunk.length) * 2);
      const next = capacity > this.buffer.length ? Buffer.allocUnsafe(capacity) : this.buffer;
      this.buffer.copy(next, 0, this.start, this.end);
      this.buffer = next;
      this.start = 0;
      this.end = live;
    }
    chunk.copy(this.buffer, this.end);
    this.end += chunk.length;
  }

  indexOf(needle: Buffer, from = 0): number {
    const at = this.buffer.subarray(this.start, this.end).indexOf(needle, from);
    return at;
  }

  /** Where a `Content-Length:` header name starts at or after `from`, in any letter case; -1 when none. */
  indexOfContentLength(from: number): number {
    return indexOfContentLength(this.buffer.subarray(this.start, this.end), from);
  }

  peek(length: number): Buffer {
    return this.buffer.subarray(this.start, this.start + length);
  }

  consume(length: number): void {
    this.start += Math.min(length, this.length);
    if (this.start === this.end) this.start = this.end = 0;
  }
}

export class FrameReader extends AbstractMessageReader {
  private readonly queue = new ByteQueue();
  private bodyLength = -1;
  private skipRemaining = 0;
  private callback: DataCallback | undefined;
  private readonly maxMessageBytes: number;
  /** Bytes read from the stream, frame headers included (daemon/status). */
  bytesRead = 0;
  /** Messages handed on (daemon/status). */
  messagesRead = 0;

  constructor(
    private readonly readable: NodeJS.ReadableStream,
    private readonly options: FrameReaderOptions,
  ) {
    super();
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer | string) => this.onData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const onError = (error: Error) => this.fireError(error);
    const onEnd = () => this.fireClose();
    this.readable.on('data', onData);
    this.readable.on('error', onError);
    this.readable.on('end', onEnd);
    this.readable.on('close', onEnd);
    return {
      dispose: () => {
        this.readable.off('data', onData);
        this.readable.off('error', onError);
        this.readable.off('end', onEnd);
        this.readable.off('close', onEnd);
      },
    };
  }

  private onData(chunk: Buffer): void {
    this.bytesRead += chunk.length;
    if (this.skipRemaining > 0) {
      const skipped = Math.min(this.skipRemaining, chunk.length);
      this.skipRemaining -= skipped;
      chunk = chunk.subarray(skipped);
      if (chunk.length === 0) return;
    }
    this.queue.append(chunk);
    while (this.step()) {
      /* keep going while a frame completes */
    }
  }

  /** Process at most one frame; true when more may be ready. */
  private step(): boolean {
    if (this.skipRemaining > 0) {
      const skipped = Math.min(this.skipRemaining, this.queue.length);
      this.queue.consume(skipped);
      this.skipRemaining -= skipped;
      return this.queue.length > 0 && this.skipRemaining === 0;
    }
    if (this.bodyLength < 0) return this.readHeader();
    if (this.queue.length < this.bodyLength) return false;
    const body = this.queue.peek(this.bodyLength);
    const length = this.bodyLength;
    this.bodyLength = -1;
    this.readBody(body, length);
    return true;
  }

  private readHeader(): boolean {
    const end = this.queue.indexOf(HEADER_END);
    if (end < 0) {
      if (this.queue.length > MAX_HEADER_BYTES) return this.resync('Expected a header block ending in CRLF CRLF within 8192 bytes, got none');
      return false;
    }
    const headerText = this.queue.peek(end).toString('ascii');
    let contentLength: number | undefined;
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) return this.resync(`Expected a header line \`Name: value\`, got \`${line.slice(0, 60)}\``, end);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) return this.resync(`Expected \`Content-Length\` to be a byte count, got \`${value.slice(0, 40)}\``, end);
        contentLength = Number(value);
      }
    }
    if (contentLength === undefined) return this.resync('Expected a `Content-Length` header, got none', end);
    this.queue.consume(end + HEADER_END.length);
    if (contentLength > this.maxMessageBytes) {
      this.options.onBadFrame({
        kind: 'invalidRequest',
        message: `Expected \`Content-Length\` to be at most ${this.maxMessageBytes} bytes, got ${contentLength}`,
        id: null,
        reply: true,
      });
      this.skipRemaining = contentLength;
      return this.queue.length > 0;
    }
    this.bodyLength = contentLength;
    return true;
  }

  /**
   * Report one bad frame and drop bytes up to the next `Content-Length:` inside the bad header block, or else
   * past the block's end (`headerEnd`, when it was found), or else all but a tail that may start a header.
   */
  private resync(message: string, headerEnd = -1): boolean {
    this.options.onBadFrame({ kind: 'parseError', message, id: null, reply: true });
    const next = this.queue.indexOfContentLength(1);
    if (next > 0 && (headerEnd < 0 || next < headerEnd + HEADER_END.length)) {
      this.queue.consume(next);
      return true;
    }
    if (headerEnd >= 0) {
      this.queue.consume(headerEnd + HEADER_END.length);
      return true;
    }
    // Keep a tail that may be the start of a split `Content-Length:`.
    this.queue.consume(Math.max(0, this.queue.length - (CONTENT_LENGTH.length - 1)));
    return false;
  }

  private readBody(body: Buffer, length: number): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      // A truncated frame swallows the start of the next one: resume at the next header inside the body.
      this.options.onBadFrame({ kind: 'parseError', message: `Expected the frame body to be JSON, got ${length} bytes that do not parse`, id: null, reply: true });
      this.queue.consume(nextHeaderOffset(body));
      return;
    }
    this.queue.consume(length);
    deliverMessage(parsed, this.options.onBadFrame, this.callback, this);
  }
}

/**
 * Hand one parsed message body to the connection, or report why it cannot be served. Shared by every transport (a
 * Content-Length frame, a WebSocket text message). True when the message was handed on; it is counted in
 * `counter.messagesRead` first, since the connection may serve it (daemon/status included) before this returns.
 */
export function deliverMessage(parsed: unknown, onBadFrame: (bad: BadFrame) => void, callback: DataCallback | undefined, counter: { messagesRead: number }): boolean {
  const id = isRecord(parsed) && (typeof parsed.id === 'string' || typeof parsed.id === 'number') ? parsed.id : null;
  const problem = messageProblem(parsed);
  if (problem) {
    onBadFrame({ kind: 'invalidRequest', message: problem, id, reply: true });
    return false;
  }
  const cancelProblem = cancelRequestProblem(parsed as Record<string, unknown>);
  if (cancelProblem) {
    onBadFrame({ kind: 'invalidParams', message: cancelProblem, id: null, reply: false });
    return false;
  }
  counter.messagesRead++;
  // No input may stop the reader: whatever the connection throws on one message is that message's problem alone.
  try {
    callback?.(parsed as Message);
  } catch (error) {
    const request = typeof (parsed as { method?: unknown }).method === 'string' && id !== null;
    onBadFrame({ kind: 'internal', message: `Failed to dispatch the message: ${(error as Error)?.message ?? String(error)}`, id, reply: request });
  }
  return true;
}

/** Where the next frame may start inside a body that did not parse: a whole `Content-Length:`, or one cut off at the end. */
export function nextHeaderOffset(body: Buffer): number {
  const inner = indexOfContentLength(body, 1);
  if (inner > 0) return inner;
  for (let k = Math.min(CONTENT_LENGTH.length - 1, body.length - 1); k > 0; k--) {
    if (asciiLower(body.subarray(body.length - k)).equals(CONTENT_LENGTH.subarray(0, k))) return body.length - k;
  }
  return body.length;
}

/** `Content-Length:` in any letter case (only bad input is searched this way, so the copy is off the hot path). */
function indexOfContentLength(bytes: Buffer, from: number): number {
  return asciiLower(bytes).indexOf(CONTENT_LENGTH, from);
}

function asciiLower(bytes: Buffer): Buffer {
  const lower = Buffer.from(bytes);
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i]!;
    if (c >= 0x41 && c <= 0x5a) lower[i] = c + 0x20;
  }
  return lower;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a parsed body is not a JSON-RPC 2.0 message, or undefined when it is one. */
export function messageProblem(value: unknown): string | undefined {
  if (Array.isArray(value)) return 'Expected a single JSON-RPC message, got a batch (batches are not supported)';
  if (!isRecord(value)) return `Expected a JSON-RPC message object, got ${value === null ? 'null' : typeof value}`;
  if (value.jsonrpc !== '2.0') return `Expected \`jsonrpc\` to be \`"2.0"\`, got \`${JSON.stringify(value.jsonrpc) ?? 'undefined'}\``;
  const hasId = 'id' in value;
  if (hasId && value.id !== null && typeof value.id !== 'string' && typeof value.id !== 'number') {
    return `Expected \`id\` to be a string, number or null, got \`${JSON.stringify(value.id)}\``;
  }
  if ('method' in value) {
    if (typeof value.method !== 'string') return `Expected \`method\` to be a string, got \`${JSON.stringify(value.method)}\``;
    // A request with a null id could never be answered in a way its sender can correlate (JSON-RPC 2.0 §4).
    if (hasId && value.id === null) return `Expected \`id\` of request \`${value.method.slice(0, 100)}\` to be a string or number, got \`null\``;
    if ('params' in value && value.params !== undefined && (typeof value.params !== 'object' || value.params === null) && value.params !== null) {
      return `Expected \`params\` to be an object or array, got \`${JSON.stringify(value.params)}\``;
    }
    return undefined;
  }
  if (hasId && ('result' in value || 'error' in value)) return undefined;
  return 'Expected a request, notification or response, got an object with neither `method` nor `result`/`error`';
}

/** Why a `$/cancelRequest` notification cannot be acted on (its `params.id` must name a request), or undefined. */
export function cancelRequestProblem(message: Record<string, unknown>): string | undefined {
  // With an id it is a request (answered like any unknown request); only the notification is acted on.
  if (message.method !== '$/cancelRequest' || 'id' in message) return undefined;
  const params = message.params;
  const id = isRecord(params) ? params.id : undefined;
  if (typeof id === 'string' || typeof id === 'number') return undefined;
  return `Expected \`params.id\` of \`$/cancelRequest\` to be a string or number, got \`${JSON.stringify(isRecord(params) ? params.id : params) ?? 'undefined'}\``;
}
