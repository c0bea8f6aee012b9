// A WebSocket client of orchd's service mode for tests, written against the wire (one JSON-RPC message per text
// message) with its own small reader and writer rather than orchd's transport classes, so that the tests check the
// format a Rust or browser client sees. It offers the same API as the in-memory extra clients (multi-client.ts).
import { AbstractMessageReader, AbstractMessageWriter, createMessageConnection, type DataCallback, type Disposable, type Message } from 'vscode-jsonrpc/node';
import WebSocket from 'ws';
import { WS_SUBPROTOCOL, WS_TOKEN_SUBPROTOCOL_PREFIX } from '../../protocol/service.js';
import { EVENT_MS } from './bounds.js';
import { clientOver, type ExtraClient } from './multi-client.js';
import { within } from './wait.js';

export interface WsClient extends ExtraClient {
  readonly socket: WebSocket;
  /** Resolves with the close code and reason once the socket has closed, whoever closed it. */
  readonly closeEvent: Promise<{ code: number; reason: string }>;
  /** Every text message received, raw (only when `record` was asked for). */
  readonly messages: string[];
}

export interface WsConnectOptions {
  /** Sent as `Authorization: Bearer <token>` unless `tokenIn` says otherwise. */
  token?: string;
  /** `subprotocol`: offer it the browser way, as `orchd.token.<token>` beside the orchd subprotocol. */
  tokenIn?: 'header' | 'subprotocol';
  origin?: string;
  /** Keep every raw message in `messages`. */
  record?: boolean;
}

function socketOptions(options: WsConnectOptions): { protocols: string[]; init: WebSocket.ClientOptions } {
  const protocols = [WS_SUBPROTOCOL];
  const headers: Record<string, string> = {};
  if (options.token !== undefined) {
    if (options.tokenIn === 'subprotocol') protocols.push(`${WS_TOKEN_SUBPROTOCOL_PREFIX}${options.token}`);
    else headers.authorization = `Bearer ${options.token}`;
  }
  return { protocols, init: { headers, perMessageDeflate: false, ...(options.origin ? { origin: options.origin } : {}) } };
}

/** The HTTP status the service answers this upgrade with when it refuses it, or `open` when it accepts. */
export async function upgradeOutcome(url: string, options: WsConnectOptions): Promise<number | 'open'> {
  const { protocols, init } = socketOptions(options);
  const socket = new WebSocket(url, protocols, init);
  const outcome = new Promise<number | 'open'>((resolve, reject) => {
    socket.once('open', () => resolve('open'));
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
    });
    socket.once('error', reject);
  });
  const result = await within(outcome, `the upgrade to ${url} to be answered`, EVENT_MS);
  if (result === 'open') socket.close();
  return result;
}

/** Connect and authenticate; rejects when the service refuses the upgrade. */
export async function connectWs(url: string, name: string, options: WsConnectOptions = {}): Promise<WsClient> {
  const { protocols, init } = socketOptions(options);
  const socket = new WebSocket(url, protocols, init);
  const closeEvent = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: HTTP ${response.statusCode}`)));
      socket.once('error', reject);
    }),
    `client ${name} to connect to ${url}`,
    EVENT_MS,
  );
  if (socket.protocol !== WS_SUBPROTOCOL) throw new Error(`Expected the service to select ${WS_SUBPROTOCOL}, got ${JSON.stringify(socket.protocol)}`);
  const messages: string[] = [];
  let read = 0;
  socket.on('message', (data: Buffer) => {
    read += data.length;
    if (options.record) messages.push(data.toString('utf8'));
  });
  const connection = createMessageConnection(new TextMessageReader(socket), new TextMessageWriter(socket));
  const client = clientOver(connection, name, {
    stall: () => socket.pause(),
    resume: () => socket.resume(),
    // What the kernel holds for a paused socket is not visible from here.
    unreadBytes: () => 0,
    readBytes: () => read,
    dispose() {
      connection.dispose();
      socket.terminate();
    },
  });
  return Object.assign(client, { socket, closeEvent, messages });
}

/** Each text message is one JSON-RPC message; anything else fails the test loudly. */
class TextMessageReader extends AbstractMessageReader {
  constructor(private readonly socket: WebSocket) {
    super();
    socket.on('close', () => this.fireClose());
    socket.on('error', (error) => this.fireError(error));
  }

  listen(callback: DataCallback): Disposable {
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (isBinary) throw new Error('Expected only text messages from orchd, got a binary one');
      callback(JSON.parse(data.toString('utf8')) as Message);
    };
    this.socket.on('message', onMessage);
    return { dispose: () => void this.socket.off('message', onMessage) };
  }
}

class TextMessageWriter extends AbstractMessageWriter {
  constructor(private readonly socket: WebSocket) {
    super();
  }

  write(message: Message): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve())));
  }

  end(): void {
    this.socket.close();
  }
}
