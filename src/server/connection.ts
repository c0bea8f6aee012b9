// Attach one transport (a MessageReader and MessageWriter pair) to the host: lifecycle gating, validation, dispatch
// to the handler table, error mapping. Transport-independent: stdio today, WebSocket in service mode later.
import * as v from 'valibot';
import type { MessageReader, MessageWriter } from 'vscode-jsonrpc/node';
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
import { RpcEndpoint, type Cancellation } from './rpc-endpoint.js';

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
  readonly endpoint: RpcEndpoint;
  /** Answer a frame the reader could not turn into a message. */
  replyToBadFrame(bad: BadFrame): void;
  dispose(): void;
}

/** Wire a transport to the host and start listening. */
export function attachConnection(host: ServerHost, reader: MessageReader, writer: MessageWriter, options: AttachOptions = {}): AttachedConnection {
  const connectionId = newId('con');
  const logger = host.logger.child({ connection: connectionId.slice(4, 12) });
  const frames = isRawFrameOutput(writer) ? writer : undefined;
  const counting = typeof (reader as Partial<CountingReader>).bytesRead === 'number' ? (reader as MessageReader & CountingReader) : undefined;
  const traffic = (): Traffic => ({
    bytesIn: counting?.bytesRead ?? 0,
    bytesOut: frames?.bytesWritten ?? 0,
    messagesIn: counting?.messagesRead ?? 0,
    messagesOut: frames?.messagesWritten ?? 0,
    sendQueueBytes: frames?.bufferedBytes ?? 0,
  });
  let scope: DispatchScope | undefined;
  // dispose() is the owner's own doing: it is not told through onClose.
  let disposed = false;
  // However the connection ends (the endpoint calls this once): forget it, its subscriptions and its approval asker.
  const detach = () => {
    host.connections.delete(client);
    client.close(host.engine);
    if (!disposed) options.onClose?.();
  };
  const endpoint = new RpcEndpoint(reader, writer, {
    request: (method, params, cancellation) => dispatchRequest(scope!, method, params, cancellation),
    notification: (method, params) => handleNotification(host, client, logger, method, params, end),
    close: detach,
    error: (error) => logger.warn('transport error', { error }),
  });
  const client = new ClientConnection(connectionId, endpoint, frames, {
    transport: options.transport ?? 'inProcess',
    owner: options.owner ?? true,
    access: options.access ?? 'full',
    traffic,
    ...(options.peer ? { peer: options.peer } : {}),
  });
  host.connections.add(client);
  scope = { host, client, logger, options };
  function end(): void {
    endpoint.dispose();
    // Close the transport's way out too, so the client sees the connection end.
    writer.end();
  }
  endpoint.listen();

  return {
    client,
    endpoint,
    replyToBadFrame(bad) {
      logger.warn('bad frame', { kind: bad.kind, message: bad.message, replied: bad.reply });
      if (!bad.reply) return;
      void writer.write({ jsonrpc: '2.0', id: bad.id, error: { code: ERRORS[bad.kind].code, message: bad.message, data: { kind: bad.kind } } } as never).catch(() => undefined);
    },
    dispose() {
      disposed = true;
      endpoint.dispose();
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
}

function isClientRequest(method: string): method is ClientRequestName {
  const spec = Object.hasOwn(METHODS, method) ? (METHODS[method as MethodName] as { type: string; direction: string }) : undefined;
  return spec?.type === 'request' && spec.direction === 'clientToServer';
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

type Handler = (params: unknown, ctx: HandlerContext) => unknown;

/**
 * Gate by lifecycle phase, validate params, run the handler, map failures. Synchronous as far as the handler is: a
 * handler that returns a value is answered in the same call (no promise, no extra turn); a promise is followed. A
 * failure is thrown (or rejected) as a ResponseError.
 */
function dispatchRequest(scope: DispatchScope, method: string, rawParams: unknown, cancellation: Cancellation): unknown {
  const { host, client, logger } = scope;
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
    // Most requests never look at their signal: it is created (and cancellation listened for) only when one does.
    get signal() {
      return cancellation.signal;
    },
    logger,
    progress(value) {
      if (progressToken !== undefined) void client.notify('$/progress', { token: progressToken, value });
    },
  };
  const fail = (error: unknown): never => {
    logged();
    throw toResponseError(error, { method, cancelled: cancellation.isRequested, logger });
  };
  const logged = () => logger.debug('request', () => ({ method, ms: Math.round((performance.now() - started) * 1000) / 1000 }));
  const finish = (result: unknown): unknown => {
    // The other methods' code, fetched once the reply to `initialize` is on its way (see loadHandlers).
    if (method === 'initialize') setImmediate(() => void loadHandlers().catch((error: unknown) => logger.error('could not load the request handlers', { error })));
    if (cancellation.isRequested) return fail(rpcError('cancelled', `Request \`${method}\` was cancelled`));
    if (scope.options.checkResults) {
      const checked = v.safeParse(spec.result, result);
      if (!checked.success) {
        logger.error('result does not match schema', { method, issues: v.flatten(checked.issues) });
        return fail(rpcError('internal', `Internal error in \`${method}\`: the result does not match its schema`));
      }
    }
    logged();
    return result ?? null;
  };
  const run = (table: Partial<Handlers>): unknown => {
    let result: unknown;
    try {
      result = (table[method] as Handler)(parsed.output, ctx);
    } catch (error) {
      return fail(error);
    }
    return isThenable(result) ? result.then(finish, fail) : finish(result);
  };

  if (Object.hasOwn(lifecycleHandlers, method)) return run(lifecycleHandlers);
  // Until repair is done and the table is loaded, a request waits for both; after that it takes no extra turn.
  if (host.repairDone && loaded) return run(loaded);
  return (async () => {
    if (!host.repairDone) await host.whenRepaired();
    return loaded ?? (await loadHandlers());
  })().then(run, fail);
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
