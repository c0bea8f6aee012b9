// Attach one transport (a MessageReader and MessageWriter pair) to the host: lifecycle gating, validation, dispatch
// to the handler table, error mapping. Transport-independent: stdio today, WebSocket in service mode later.
import * as v from 'valibot';
import { createMessageConnection, Message, type CancellationToken, type MessageConnection, type MessageReader, type MessageWriter } from 'vscode-jsonrpc/node';
import { ERRORS } from '../../protocol/errors.js';
import { METHODS, type ClientRequestName, type MethodName, type RequestSpec } from '../../protocol/methods.js';
import type { Logger } from '../log/logger.js';
import { newId } from '../util/ids.js';
import type { ConnectionAccess, ConnectionTransport } from '../../protocol/daemon.js';
import { ClientConnection, type Traffic } from './client-connection.js';
import type { HandlerContext } from './context.js';
import type { RawFrameOutput } from './frame-writer.js';
import type { BadFrame } from './framing.js';
import type { Handlers } from './context.js';
import { lifecycleHandlers } from './handlers/lifecycle.js';
import type { ServerHost } from './host.js';
import { invalidParamsError, rpcError, toResponseError } from './rpc-errors.js';

export interface AttachOptions {
  /** Check every result against its schema (tests turn this on; a mismatch is an internal error). */
  checkResults?: boolean;
  /** Called when the transport closes (stdin ended, socket dropped). */
  onClose?: () => void;
  /** What daemon/status calls this transport (default `inProcess`). */
  transport?: ConnectionTransport;
  /**
   * The connection whose lifecycle is the daemon's (default true): its `shutdown` stops the daemon and its `exit` ends
   * the process, as for the host that spawned `orchd --stdio` or the CLI's own in-process client. Any other connection
   * (service mode) ends only itself; stopping the daemon is then `daemon/stop`.
   */
  owner?: boolean;
  /** `readOnly`: only methods marked `readOnly` in protocol/methods.ts; the rest fail with `forbidden` (default `full`). */
  access?: ConnectionAccess;
  /** Who is on the other end of a network transport (daemon/status). */
  peer?: PeerInfo;
}

/** A network client as daemon/status shows it. */
export interface PeerInfo {
  tokenName: string;
  remoteAddress: string;
  lastPongAt(): string | null;
}

/** A reader or writer that counts its traffic (daemon/status). */
interface CountingReader {
  bytesRead: number;
  messagesRead: number;
}
interface CountingWriter {
  bytesWritten: number;
  messagesWritten: number;
}

function isRawFrameOutput(writer: MessageWriter): writer is MessageWriter & RawFrameOutput & CountingWriter {
  return typeof (writer as Partial<RawFrameOutput>).writeFrameParts === 'function' && typeof (writer as Partial<CountingWriter>).bytesWritten === 'number';
}

export interface AttachedConnection {
  readonly client: ClientConnection;
  readonly connection: MessageConnection;
  /** Answer a frame the reader could not turn into a message. */
  replyToBadFrame(bad: BadFrame): void;
  dispose(): void;
}

/** Wire a transport to the host and start listening. */
export function attachConnection(host: ServerHost, reader: MessageReader, writer: MessageWriter, options: AttachOptions = {}): AttachedConnection {
  const connectionId = newId('con');
  const logger = host.logger.child({ connection: connectionId.slice(4, 12) });
  // Requests read but not yet dispatched: vscode-jsonrpc dispatches each on a later turn, and the engine's group
  // commits step aside until then (src/util/foreground.ts).
  const undispatched = { count: 0 };
  const counted = countRequests(reader, () => {
    undispatched.count++;
    host.foreground.requestArrived();
  });
  const connection = createMessageConnection(counted, writer, jsonRpcLogger(logger));
  const frames = isRawFrameOutput(writer) ? writer : undefined;
  const counting = typeof (reader as Partial<CountingReader>).bytesRead === 'number' ? (reader as MessageReader & CountingReader) : undefined;
  const traffic = (): Traffic => ({
    bytesIn: counting?.bytesRead ?? 0,
    bytesOut: frames?.bytesWritten ?? 0,
    messagesIn: counting?.messagesRead ?? 0,
    messagesOut: frames?.messagesWritten ?? 0,
    sendQueueBytes: frames?.bufferedBytes ?? 0,
  });
  const client = new ClientConnection(connectionId, connection, frames, {
    transport: options.transport ?? 'inProcess',
    owner: options.owner ?? true,
    access: options.access ?? 'full',
    traffic,
    ...(options.peer ? { peer: options.peer } : {}),
  });
  host.connections.add(client);
  const scope: DispatchScope = { host, client, logger, options, undispatched };
  // However the connection ends: forget it, its waiting requests, its subscriptions and its approval asker.
  const detach = () => {
    host.connections.delete(client);
    host.foreground.requestsDropped(undispatched.count);
    undispatched.count = 0;
    client.close(host.engine);
  };

  connection.onRequest((method, params, token) => dispatchRequest(scope, method, params, token));
  const end = () => {
    detach();
    connection.dispose();
    // Close the transport's way out too, so the client sees the connection end.
    writer.end();
    options.onClose?.();
  };
  connection.onNotification((method, params) => handleNotification(host, client, logger, method, params, end));
  connection.onError(([error]) => logger.warn('transport error', { error }));
  connection.onClose(() => {
    detach();
    options.onClose?.();
  });
  connection.listen();

  return {
    client,
    connection,
    replyToBadFrame(bad) {
      logger.warn('bad frame', { kind: bad.kind, message: bad.message, replied: bad.reply });
      if (!bad.reply) return;
      void writer.write({ jsonrpc: '2.0', id: bad.id, error: { code: ERRORS[bad.kind].code, message: bad.message, data: { kind: bad.kind } } } as never);
    },
    dispose() {
      detach();
      connection.dispose();
    },
  };
}

let handlers: Promise<Handlers> | undefined;
let loaded: Handlers | undefined;

/**
 * The handler table, and through it the engine code behind every method but `initialize` and `shutdown`: imported on
 * first use (and fetched in the background once `initialize` has replied), so a host's spawn → `initialize` reply
 * does not wait for code it has not asked for yet.
 */
export function loadHandlers(): Promise<Handlers> {
  return (handlers ??= import('./handlers/index.js').then((module) => (loaded = module.HANDLERS)));
}

interface DispatchScope {
  host: ServerHost;
  client: ClientConnection;
  logger: Logger;
  options: AttachOptions;
  /** Requests this connection read that have not reached dispatchRequest yet. */
  undispatched: { count: number };
}

/** The same reader, calling `onRequest` as each request is read (before vscode-jsonrpc queues it). */
function countRequests(reader: MessageReader, onRequest: () => void): MessageReader {
  return {
    get onError() {
      return reader.onError;
    },
    get onClose() {
      return reader.onClose;
    },
    get onPartialMessage() {
      return reader.onPartialMessage;
    },
    listen: (callback) =>
      reader.listen((message) => {
        if (Message.isRequest(message)) onRequest();
        callback(message);
      }),
    dispose: () => reader.dispose(),
  };
}

function isClientRequest(method: string): method is ClientRequestName {
  const spec = Object.hasOwn(METHODS, method) ? (METHODS[method as MethodName] as { type: string; direction: string }) : undefined;
  return spec?.type === 'request' && spec.direction === 'clientToServer';
}

/** Gate by lifecycle phase, validate params, run the handler, map failures. */
async function dispatchRequest(scope: DispatchScope, method: string, rawParams: unknown, token: CancellationToken): Promise<unknown> {
  const { host, client, logger } = scope;
  if (scope.undispatched.count > 0) scope.undispatched.count--;
  host.foreground.requestDispatched();
  if (!isClientRequest(method)) throw rpcError('methodNotFound', `Unknown method \`${method}\``, { method });
  const spec = METHODS[method] as RequestSpec;
  if (client.phase === 'shutdown') throw rpcError('shuttingDown', `Expected only \`exit\` after \`shutdown\`, got \`${method}\``, { method });
  if (client.phase !== 'ready' && !spec.beforeInitialize) {
    throw rpcError('notInitialized', `Expected \`initialize\` before \`${method}\``, { method });
  }
  if (client.access === 'readOnly' && !spec.readOnly) {
    throw rpcError('forbidden', `Expected a method that changes nothing on this read-only connection, got \`${method}\``, { method });
  }
  if (Array.isArray(rawParams)) throw rpcError('invalidParams', `Invalid params for \`${method}\`: expected an object, got an array`, { method });
  const parsed = v.safeParse(spec.params, rawParams ?? undefined);
  if (!parsed.success) throw invalidParamsError(method, parsed.issues);

  // Most requests never look at their signal: create it (and listen for cancellation) only when one does.
  let abort: AbortController | undefined;
  let cancelled: { dispose(): void } | undefined;
  const signal = (): AbortSignal => {
    if (!abort) {
      abort = new AbortController();
      if (token.isCancellationRequested) abort.abort();
      else cancelled = token.onCancellationRequested(() => abort!.abort());
    }
    return abort.signal;
  };
  const progressToken = (parsed.output as { progressToken?: string | number } | undefined)?.progressToken;
  const started = performance.now();
  const ctx: HandlerContext = {
    host,
    client,
    get engine() {
      const engine = host.engine;
      if (!engine) throw rpcError('notInitialized', `Expected \`initialize\` before \`${method}\``, { method });
      return engine;
    },
    get signal() {
      return signal();
    },
    logger,
    progress(value) {
      if (progressToken !== undefined) void client.notify('$/progress', { token: progressToken, value });
    },
  };
  try {
    const lifecycle = Object.hasOwn(lifecycleHandlers, method);
    // Awaited only until repair is done and the table is loaded: after that a request takes no extra turn.
    if (!lifecycle && !host.repairDone) await host.whenRepaired();
    const table: Partial<Handlers> = lifecycle ? lifecycleHandlers : (loaded ?? (await loadHandlers()));
    const handler = table[method] as (params: unknown, ctx: HandlerContext) => unknown;
    const result = await handler(parsed.output, ctx);
    // The other methods' code, fetched once the reply to `initialize` is on its way (see loadHandlers).
    if (method === 'initialize') setImmediate(() => void loadHandlers().catch((error: unknown) => logger.error('could not load the request handlers', { error })));
    if (token.isCancellationRequested) throw rpcError('cancelled', `Request \`${method}\` was cancelled`);
    if (scope.options.checkResults) {
      const checked = v.safeParse(spec.result, result);
      if (!checked.success) {
        logger.error('result does not match schema', { method, issues: v.flatten(checked.issues) });
        throw rpcError('internal', `Internal error in \`${method}\`: the result does not match its schema`);
      }
    }
    return result ?? null;
  } catch (error) {
    throw toResponseError(error, { method, cancelled: token.isCancellationRequested, logger });
  } finally {
    cancelled?.dispose();
    logger.debug('request', () => ({ method, ms: Math.round((performance.now() - started) * 1000) / 1000 }));
  }
}

function handleNotification(host: ServerHost, client: ClientConnection, logger: Logger, method: string, params: unknown, end: () => void): void {
  switch (method) {
    case 'exit':
      // The owner's `exit` ends the process; any other connection's ends that connection.
      if (client.owner) void host.exit(client.shutdownReceived ? 0 : 1);
      else {
        logger.info('connection ended by exit', { afterShutdown: client.shutdownReceived });
        end();
      }
      return;
    case 'initialized':
      return;
    default:
      logger.debug('notification ignored', { method, hasParams: params !== undefined });
  }
}

/** vscode-jsonrpc's own diagnostics go to the JSON log. */
function jsonRpcLogger(logger: Logger) {
  return {
    error: (message: string) => logger.error('jsonrpc', { message }),
    warn: (message: string) => logger.warn('jsonrpc', { message }),
    info: (message: string) => logger.debug('jsonrpc', { message }),
    log: (message: string) => logger.trace('jsonrpc', { message }),
  };
}
