// The CLI as a WebSocket client of a running `orchd serve` (or a stdio host's `--listen` bridge): the same protocol
// as in process, one JSON-RPC message per text message, authenticated with a token before the upgrade.
import { AbstractMessageReader, AbstractMessageWriter, createMessageConnection, type DataCallback, type Disposable, type Message, type MessageReader, type MessageWriter } from 'vscode-jsonrpc/node';
import WebSocket from 'ws';
import { WS_SUBPROTOCOL } from '../../protocol/service.js';
import { createLogger, type LogLevel } from '../log/logger.js';
import type { MessageReader as OrchdReader, MessageWriter as OrchdWriter } from '../server/transport.js';
import { WsMessageReader, WsMessageWriter } from '../server/ws/transport.js';
import { protocolCalls, type DaemonClient } from './local-daemon.js';

export interface ServiceClientOptions {
  url: string;
  token: string;
  /** The data directory the service serves (sent in `initialize`, which checks it). */
  dataDir: string;
  version: string;
  logLevel: LogLevel;
  writeLog?: (line: string) => void;
}

/** Open a WebSocket to the service; rejects with the HTTP status when it refuses the token or the origin. */
export async function connectService(options: ServiceClientOptions): Promise<DaemonClient> {
  const logger = createLogger({ level: options.logLevel, ...(options.writeLog ? { write: options.writeLog } : {}) });
  const socket = new WebSocket(options.url, [WS_SUBPROTOCOL], { headers: { authorization: `Bearer ${options.token}` }, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) => reject(new Error(`The orchd service at ${options.url} refused the connection: HTTP ${response.statusCode}`)));
    socket.once('error', (error) => reject(new Error(`Could not connect to the orchd service at ${options.url}: ${error.message}`)));
  });
  const reader = new WsMessageReader(socket, (bad) => logger.warn('bad message from the service', { kind: bad.kind, message: bad.message }));
  const writer = new WsMessageWriter(socket, { maxQueueBytes: Number.POSITIVE_INFINITY, onOverflow: () => {} });
  const connection = createMessageConnection(new ReaderAdapter(reader), new WriterAdapter(writer));
  connection.onError(([error]) => logger.warn('service transport error', { error }));
  connection.listen();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let closing: Promise<void> | undefined;
  const drop = async () => {
    connection.dispose();
    if (socket.readyState !== socket.CLOSED) {
      socket.close(1000, 'exit');
      const timer = setTimeout(() => socket.terminate(), 1000);
      await closed;
      clearTimeout(timer);
    }
  };
  const client: DaemonClient = {
    connection,
    dataDir: options.dataDir,
    where: options.url,
    ...protocolCalls(connection, options.dataDir, options.version),
    close() {
      closing ??= (async () => {
        // Not the owner: `shutdown` ends only this connection; the service runs on.
        try {
          if (socket.readyState === socket.OPEN) await client.request('shutdown');
        } catch (error) {
          logger.debug('shutdown through the protocol failed', { error });
        }
        await drop();
      })();
      return closing;
    },
    abandon: () => drop(),
  };
  return client;
}

/** orchd's WebSocket reader as vscode-jsonrpc's (the client side keeps vscode-jsonrpc; the server has its own). */
class ReaderAdapter extends AbstractMessageReader implements MessageReader {
  constructor(private readonly reader: OrchdReader) {
    super();
    reader.onClose(() => this.fireClose());
    reader.onError((error) => this.fireError(error));
  }

  listen(callback: DataCallback): Disposable {
    return this.reader.listen((message) => callback(message as Message));
  }
}

/** orchd's WebSocket writer as vscode-jsonrpc's. */
class WriterAdapter extends AbstractMessageWriter implements MessageWriter {
  constructor(private readonly writer: OrchdWriter) {
    super();
    writer.onClose(() => this.fireClose());
    writer.onError((error) => this.fireError(error));
  }

  write(message: Message): Promise<void> {
    return this.writer.write(message);
  }

  end(): void {
    this.writer.end();
  }
}
