// The WebSocket service (service mode): an HTTP server that authenticates each upgrade before any JSON-RPC is read,
// then attaches the socket to the host's one dispatcher as a connection of its own (not the owner: its `shutdown`
// ends only itself). It also watches every connection: ping/pong heartbeats, and a send queue that may not grow or
// stall without bound (docs/service-mode.md, close codes in protocol/service.ts).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '../../../protocol/version.js';
import { WS_CLOSE_CODES, WS_SUBPROTOCOL } from '../../../protocol/service.js';
import type { TokenRecord } from '../../auth/tokens.js';
import { verifyToken } from '../../auth/tokens.js';
import type { Engine } from '../../engine.js';
import { attachConnection, type AttachedConnection } from '../connection.js';
import { LOW_WATER_BYTES } from '../frame-writer.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../framing.js';
import type { ServerHost } from '../host.js';
import { checkOrigin, tokenFromRequest } from './auth.js';
import { WsMessageReader, WsMessageWriter } from './transport.js';

/** The bounds a service runs with; tests shorten them. */
export interface ServiceBounds {
  /** Ping every connection this often; one that has not answered the previous ping by the next is dropped (so ≤ 2×). */
  heartbeatMs: number;
  /** Close a connection whose send queue passes this many bytes (4000). */
  maxQueueBytes: number;
  /** Close a connection whose send queue has not fallen to the low-water mark for this long (4001). */
  stallMs: number;
}

export const DEFAULT_SERVICE_BOUNDS: ServiceBounds = { heartbeatMs: 15_000, maxQueueBytes: 16 * 1024 * 1024, stallMs: 60_000 };

export interface ServiceOptions {
  /** Address to bind; loopback unless the person asked for another. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Origins a browser may connect from (exact `scheme://host[:port]`); requests with any other Origin get 403. */
  allowedOrigins: readonly string[];
  bounds?: Partial<ServiceBounds>;
}

interface Peer {
  socket: WebSocket;
  attached: AttachedConnection;
  alive: boolean;
  lastPongAt: string | null;
  /** When the send queue last stood at the low-water mark or under (or the connection opened). */
  drainedAt: number;
  /** When the last ping went out (or the connection opened). */
  pingedAt: number;
}

export class WebSocketService {
  private readonly peers = new Set<Peer>();
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly host: ServerHost,
    private readonly engine: Engine,
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly bounds: ServiceBounds,
    readonly address: { host: string; port: number },
  ) {
    this.timer = setInterval(() => this.sweep(), Math.min(bounds.heartbeatMs, Math.max(250, Math.floor(bounds.stallMs / 4))));
    this.timer.unref();
  }

  /** Listen on `options.host:port` and serve until close(). */
  static async start(host: ServerHost, engine: Engine, options: ServiceOptions): Promise<WebSocketService> {
    const bounds = { ...DEFAULT_SERVICE_BOUNDS, ...options.bounds };
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: DEFAULT_MAX_MESSAGE_BYTES,
      // Select our subprotocol when offered; never the token one (it would be echoed back in the response).
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
    const http = createServer((request, response) => {
      // A plain GET of /health answers liveness for a supervisor or a load balancer; it names no secret.
      if (request.method === 'GET' && request.url === '/health') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: true, version: host.version, protocolVersion: PROTOCOL_VERSION, pid: process.pid }));
        return;
      }
      response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      response.end('orchd speaks JSON-RPC over WebSocket here: connect with a WebSocket client (docs/service-mode.md)\n');
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port, options.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const bound = http.address();
    const port = typeof bound === 'object' && bound ? bound.port : options.port;
    const service = new WebSocketService(host, engine, http, wss, bounds, { host: options.host, port });
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => void service.upgrade(request, socket, head, options.allowedOrigins));
    http.on('error', (error) => host.logger.error('service listener error', { error }));
    return service;
  }

  /** The URL clients connect to. */
  get url(): string {
    const host = this.address.host.includes(':') ? `[${this.address.host}]` : this.address.host;
    return `ws://${host}:${this.address.port}/`;
  }

  /** Check the Origin and the token, then upgrade; or answer 401/403/503 without reading any JSON-RPC. */
  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, allowedOrigins: readonly string[]): Promise<void> {
    socket.on('error', () => socket.destroy());
    const remoteAddress = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    const refuse = (status: 401 | 403 | 503, reason: string) => {
      // Logged without the token: only where it came from and why it was refused.
      this.host.logger.warn('WebSocket connection refused', { remoteAddress, status, reason, origin: request.headers.origin ?? null });
      const body = `${reason}\n`;
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Service Unavailable'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${status === 401 ? 'WWW-Authenticate: Bearer realm="orchd"\r\n' : ''}\r\n${body}`);
    };
    if (this.closing || this.host.isShuttingDown) return refuse(503, 'orchd is stopping');
    const origin = checkOrigin(request.headers.origin, allowedOrigins);
    if (!origin.ok) return refuse(403, origin.reason);
    const secret = tokenFromRequest(request.headers);
    if (!secret) return refuse(401, 'Expected a token: `Authorization: Bearer <token>`, or the subprotocol `orchd.token.<token>`');
    let token: TokenRecord | undefined;
    try {
      token = await verifyToken(this.engine.store, secret);
    } catch (error) {
      this.host.logger.error('token check failed', { error });
      return refuse(503, 'could not check the token');
    }
    if (!token) return refuse(401, 'Expected a valid token: this one is unknown or revoked');
    if (this.closing || socket.destroyed) return void socket.destroy();
    this.wss.handleUpgrade(request, socket, head, (ws) => this.attach(ws, socket, token, remoteAddress));
  }

  private attach(socket: WebSocket, tcp: Duplex, token: TokenRecord, remoteAddress: string): void {
    let attached: AttachedConnection | undefined;
    const reader = new WsMessageReader(socket, (bad) => attached?.replyToBadFrame(bad));
    const peer = { socket, alive: true, lastPongAt: null, drainedAt: Date.now(), pingedAt: Date.now() } as Omit<Peer, 'attached'> as Peer;
    const writer = new WsMessageWriter(socket, {
      maxQueueBytes: this.bounds.maxQueueBytes,
      rawSocket: tcp,
      onOverflow: (queued) => this.drop(peer, WS_CLOSE_CODES.sendQueueOverflow, `send queue over ${this.bounds.maxQueueBytes} bytes (${queued}); reconnect and resume with sinceSeq`),
    });
    attached = attachConnection(this.host, reader, writer, {
      transport: 'websocket',
      owner: false,
      access: token.readOnly ? 'readOnly' : 'full',
      checkResults: process.env.ORCHD_CHECK_RESULTS === '1',
      peer: { tokenName: token.name, remoteAddress, lastPongAt: () => peer.lastPongAt },
      onClose: () => this.peers.delete(peer),
    });
    peer.attached = attached;
    socket.on('pong', () => {
      peer.alive = true;
      peer.lastPongAt = new Date().toISOString();
    });
    // A socket error ends in 'close' too; the reader reports it to the connection.
    socket.on('error', (error) => this.host.logger.info('WebSocket error', { connection: attached.client.id, error: error.message }));
    this.peers.add(peer);
    this.host.logger.info('WebSocket client connected', { connection: attached.client.id, remoteAddress, token: token.name, access: attached.client.access });
  }

  /** Heartbeats and stall checks, on one timer for every connection. */
  private sweep(): void {
    const now = Date.now();
    for (const peer of this.peers) {
      const queued = peer.socket.bufferedAmount;
      if (queued <= LOW_WATER_BYTES) peer.drainedAt = now;
      else if (now - peer.drainedAt > this.bounds.stallMs) {
        this.drop(peer, WS_CLOSE_CODES.sendQueueStalled, `send queue stalled: ${queued} bytes not taken for ${Math.round((now - peer.drainedAt) / 1000)} s; reconnect and resume with sinceSeq`);
        continue;
      }
      if (now - peer.pingedAt < this.bounds.heartbeatMs) continue;
      if (!peer.alive) {
        this.host.logger.warn('WebSocket client missed a heartbeat; dropping it', { connection: peer.attached.client.id });
        peer.socket.terminate();
        continue;
      }
      peer.alive = false;
      peer.pingedAt = now;
      peer.socket.ping();
    }
  }

  /** Close a connection for the daemon's own reason; its state goes at once, its socket soon after even if it never reads. */
  private drop(peer: Peer, code: number, reason: string): void {
    const subscriptions = peer.attached.client.status(false).subscriptions;
    this.host.logger.warn('closing WebSocket client', {
      connection: peer.attached.client.id,
      code,
      reason,
      subscriptions: subscriptions.length,
      pausedSubscriptions: subscriptions.filter((s) => s.paused).length,
    });
    this.peers.delete(peer);
    peer.attached.dispose();
    peer.socket.close(code, reason.slice(0, 120));
    setTimeout(() => peer.socket.terminate(), 1000).unref();
  }

  /** Close every connection with `goingAway` and stop listening. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      for (const peer of [...this.peers]) {
        peer.attached.dispose();
        peer.socket.close(WS_CLOSE_CODES.goingAway, 'orchd is stopping');
      }
      const closed = [...this.peers].map((peer) => new Promise<void>((resolve) => (peer.socket.readyState === peer.socket.CLOSED ? resolve() : peer.socket.once('close', () => resolve()))));
      const grace = setTimeout(() => {
        for (const peer of this.peers) peer.socket.terminate();
      }, 1000);
      await Promise.all(closed);
      clearTimeout(grace);
      this.peers.clear();
      this.wss.close();
      const stopped = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeAllConnections();
      await stopped;
    })();
    return this.closing;
  }
}
