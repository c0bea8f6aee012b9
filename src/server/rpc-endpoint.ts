// orchd's end of one JSON-RPC connection: requests in, replies and notifications out, and the few requests orchd
// sends itself (approval/request). It replaces vscode-jsonrpc's MessageConnection on the server side, which queued
// every message and dispatched it on a later turn (setImmediate), created a cancellation token, a response promise
// and a writer promise per request, and so cost a no-op request about 30 µs of latency and twice the echo's CPU.
// Here a request is dispatched in the turn it is read, a handler that answers synchronously is answered
// synchronously, and a reply to a transport that takes ready-made frames (RawFrameOutput) is one string encoded once.
// The readers (framing.ts, ws/transport.ts) have already checked each message's shape (messageProblem).
import type { Message, MessageReader, MessageWriter } from './transport.js';
import type { RawFrameOutput } from './frame-writer.js';
import { RpcError, rpcError } from './rpc-errors.js';

type Id = string | number;

/** What the endpoint calls for each message from the client. */
export interface EndpointHandlers {
  /**
   * Serve one request: a result, a promise of one, or a thrown (or rejected) RpcError. `cancellation` is
   * aborted when the client sends `$/cancelRequest` for it; it is created on first use only.
   */
  request(method: string, params: unknown, cancellation: Cancellation): unknown;
  notification(method: string, params: unknown): void;
  /** The transport ended (read side closed, write side closed, or dispose). Called once. */
  close(): void;
  error(error: unknown): void;
}

/** A request's cancellation, made lazily: most requests never look. */
export class Cancellation {
  private controller: AbortController | undefined;
  private requested = false;

  get isRequested(): boolean {
    return this.requested;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.requested) this.controller.abort();
    return this.controller.signal;
  }

  cancel(): void {
    if (this.requested) return;
    this.requested = true;
    this.controller?.abort();
  }
}

interface Outgoing {
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

const NO_BYTES = Buffer.alloc(0);

/** A handler's result that is a promise (or any thenable) rather than the value itself. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function hasRawFrames(writer: MessageWriter): writer is MessageWriter & RawFrameOutput {
  return typeof (writer as Partial<RawFrameOutput>).writeFrameParts === 'function';
}

export class RpcEndpoint {
  /** Requests from the client that have not been answered, by id (for `$/cancelRequest`). */
  private readonly incoming = new Map<Id, Cancellation>();
  /** Requests orchd sent that the client has not answered. */
  private readonly outgoing = new Map<Id, Outgoing>();
  private nextId = 0;
  private closed = false;
  private readonly raw: (MessageWriter & RawFrameOutput) | undefined;
  private readonly disposables: { dispose(): void }[] = [];

  constructor(
    private readonly reader: MessageReader,
    private readonly writer: MessageWriter,
    private readonly handlers: EndpointHandlers,
  ) {
    this.raw = hasRawFrames(writer) ? writer : undefined;
  }

  /** Start reading. */
  listen(): void {
    this.disposables.push(
      this.reader.onClose(() => this.close()),
      this.reader.onError((error) => this.handlers.error(error)),
      this.writer.onClose(() => this.close()),
      this.writer.onError((error) => this.handlers.error(error)),
    );
    this.disposables.push(this.reader.listen((message) => this.receive(message)));
  }

  /** Send a notification; resolves once the transport has taken it. */
  sendNotification(method: string, params?: unknown): Promise<void> {
    if (this.closed) return Promise.resolve();
    const message = params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
    return this.writer.write(message as Message);
  }

  /**
   * Send a request to the client. Aborting `signal` sends `$/cancelRequest`; the promise still settles with the
   * client's answer (or rejects when the connection closes first).
   */
  sendRequest(method: string, params: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(`the connection is closed; \`${method}\` was not sent`));
    const id = ++this.nextId;
    const reply = new Promise<unknown>((resolve, reject) => this.outgoing.set(id, { resolve, reject }));
    this.writer.write({ jsonrpc: '2.0', id, method, params } as Message).catch((error: unknown) => {
      const pending = this.outgoing.get(id);
      this.outgoing.delete(id);
      pending?.reject(error);
    });
    const withdraw = () => {
      if (this.outgoing.has(id)) void this.sendNotification('$/cancelRequest', { id }).catch(() => undefined);
    };
    if (signal?.aborted) withdraw();
    else signal?.addEventListener('abort', withdraw, { once: true });
    return reply;
  }

  /** Stop reading and fail what waits; the transport itself is left to its owner. */
  dispose(): void {
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    for (const cancellation of this.incoming.values()) cancellation.cancel();
    this.incoming.clear();
    const waiting = [...this.outgoing.values()];
    this.outgoing.clear();
    for (const pending of waiting) pending.reject(new Error('the connection closed before the client answered'));
    this.handlers.close();
  }

  private receive(message: Message): void {
    if (this.closed) return;
    const m = message as { id?: Id | null; method?: string; params?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };
    if (typeof m.method === 'string') {
      if (m.id === undefined || m.id === null) return this.notification(m.method, m.params);
      return this.request(m.id, m.method, m.params);
    }
    this.response(m.id, m.result, m.error);
  }

  private notification(method: string, params: unknown): void {
    if (method === '$/cancelRequest') {
      // Its shape was checked by the reader (cancelRequestProblem).
      this.incoming.get((params as { id: Id }).id)?.cancel();
      return;
    }
    this.handlers.notification(method, params);
  }

  private request(id: Id, method: string, params: unknown): void {
    const cancellation = new Cancellation();
    let result: unknown;
    try {
      result = this.handlers.request(method, params, cancellation);
    } catch (error) {
      this.replyError(id, error);
      return;
    }
    if (!isThenable(result)) {
      this.replyResult(id, result);
      return;
    }
    this.incoming.set(id, cancellation);
    result.then(
      (value) => {
        if (this.incoming.get(id) === cancellation) this.incoming.delete(id);
        this.replyResult(id, value);
      },
      (error: unknown) => {
        if (this.incoming.get(id) === cancellation) this.incoming.delete(id);
        this.replyError(id, error);
      },
    );
  }

  private response(id: Id | null | undefined, result: unknown, error: { code: number; message: string; data?: unknown } | undefined): void {
    const pending = id === undefined || id === null ? undefined : this.outgoing.get(id);
    if (!pending) {
      this.handlers.error(new Error(`a response for \`${String(id)}\`, which is no request orchd sent or still waits for`));
      return;
    }
    this.outgoing.delete(id!);
    if (error) pending.reject(new RpcError(error.code, error.message, error.data));
    else pending.resolve(result);
  }

  private replyResult(id: Id, result: unknown): void {
    this.reply({ jsonrpc: '2.0', id, result: result === undefined ? null : result });
  }

  private replyError(id: Id, error: unknown): void {
    const typed = error instanceof RpcError ? error : rpcError('internal', `Internal error: ${error instanceof Error ? error.message : String(error)}`);
    this.reply({ jsonrpc: '2.0', id, error: typed.toJson() });
  }

  private reply(message: object): void {
    if (this.closed) return;
    if (this.raw) {
      let body: string;
      try {
        body = JSON.stringify(message);
      } catch (error) {
        this.handlers.error(error);
        const id = (message as { id: Id }).id;
        body = JSON.stringify({ jsonrpc: '2.0', id, error: rpcError('internal', `Internal error: the reply could not be encoded (${(error as Error).message})`).toJson() });
      }
      this.raw.writeFrameParts(NO_BYTES, body, '');
      return;
    }
    this.writer.write(message as Message).catch((error: unknown) => this.handlers.error(error));
  }
}
