// Attach one transport (a MessageReader and MessageWriter pair) to the host: its RpcEndpoint, its ClientConnection,
// requests to the dispatcher (dispatch.ts), `exit` and `initialized`. Transport-independent: stdio, in-process, WebSocket.
import type { MessageReader, MessageWriter } from './transport.js';
import { ERRORS } from '../../protocol/errors.js';
import type { Logger } from '../log/logger.js';
import { newId } from '../util/ids.js';
import type { ConnectionAccess, ConnectionTransport } from '../../protocol/daemon.js';
import { ClientConnection, type Traffic } from './client-connection.js';
import type { RawFrameOutput } from './frame-writer.js';
import type { BadFrame } from './framing.js';
import type { ServerHost } from './host.js';
import { dispatchRequest, type DispatchScope } from './dispatch.js';
import { RpcEndpoint } from './rpc-endpoint.js';

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
  scope = { host, client, logger, checkResults: options.checkResults ?? false };
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
