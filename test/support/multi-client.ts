// More client connections to one in-process ServerHost (the same in-memory transport as inproc.ts), lean enough to
// carry many subscriptions through an agent flood: each keeps only the seqs its subscriptions receive, and the
// stream the server writes to can be stalled (left unread, as a host that stopped reading) and read again later.
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Approval } from '../../protocol/approvals.js';
import type { Event } from '../../protocol/events.js';
import type { ClientRequestName, ParamsOf, ResultOf } from '../../protocol/methods.js';
import { PROTOCOL_VERSION } from '../../protocol/version.js';
import { attachConnection, type AttachedConnection } from '../../src/server/connection.js';
import { FrameWriter } from '../../src/server/frame-writer.js';
import { FrameReader } from '../../src/server/framing.js';
import type { ServerHost } from '../../src/server/host.js';
import { REQUEST_MS } from './bounds.js';
import { within } from './wait.js';

export interface ExtraClient {
  readonly name: string;
  /** Send a request; rejects with the RPC error, or with a timeout naming the method and this client. */
  request<K extends ClientRequestName>(method: K, params?: ParamsOf<K>): Promise<ResultOf<K>>;
  /** Send a notification (`exit`, `initialized`). */
  notify(method: string, params?: unknown): Promise<void>;
  /** Resolves when the server has closed this connection's stream. */
  closed: Promise<void>;
  /** `initialize` with sensible defaults (`approvals: true` declares that this client answers `approval/request`). */
  initialize(options?: { approvals?: boolean }): Promise<ResultOf<'initialize'>>;
  /** Answer `approval/request` with `handler` (return a promise that never settles to leave it unanswered). */
  onApprovalRequest(handler: (params: { approval: Approval }, token: CancellationToken) => unknown): void;
  /** `events/subscribe`; from then on the seqs delivered to the new subscription are recorded in arrival order. */
  subscribe(params: ParamsOf<'events/subscribe'>): Promise<ResultOf<'events/subscribe'>>;
  /** The seqs delivered so far to one of this client's subscriptions, in arrival order. */
  seqs(subscriptionId: string): readonly number[];
  /** Call `listener` with every event delivered to any of this client's subscriptions. */
  onEvent(listener: (subscriptionId: string, event: Event) => void): void;
  /** Stop reading what the server writes: its frames pile up in the stream until `resume()`. */
  stall(): void;
  /** Read again. */
  resume(): void;
  /** Bytes the server has written that this client has not read yet. */
  unreadBytes(): number;
  /** Bytes this client has read from the server so far. */
  readBytes(): number;
  dispose(): void;
}

/**
 * Attach one more client connection to `host` over in-memory streams; `owner: false` makes it a connection like a
 * service-mode client's, whose `shutdown` and `exit` end only itself.
 */
export function attachExtraClient(host: ServerHost, name: string, options: { owner?: boolean; access?: 'full' | 'readOnly' } = {}): ExtraClient {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  let attached: AttachedConnection | undefined;
  const reader = new FrameReader(toServer, { onBadFrame: (bad) => attached?.replyToBadFrame(bad) });
  attached = attachConnection(host, reader, new FrameWriter(toClient), { checkResults: true, ...(options.owner === undefined ? {} : { owner: options.owner }), ...(options.access ? { access: options.access } : {}) });

  let read = 0;
  toClient.on('data', (chunk: Buffer) => void (read += chunk.length));
  const connection = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  return clientOver(connection, name, {
    stall: () => void toClient.pause(),
    resume: () => void toClient.resume(),
    unreadBytes: () => toClient.writableLength + toClient.readableLength,
    readBytes: () => read,
    dispose() {
      connection.dispose();
      attached!.dispose();
    },
  });
}

/** What only the transport under a client knows. */
export type TransportControls = Pick<ExtraClient, 'stall' | 'resume' | 'unreadBytes' | 'readBytes' | 'dispose'>;

/** The ExtraClient API over any client-side MessageConnection (in-memory here, a WebSocket in ws-client.ts). */
export function clientOver(connection: MessageConnection, name: string, transport: TransportControls): ExtraClient {
  const delivered = new Map<string, number[]>();
  const listeners: ((subscriptionId: string, event: Event) => void)[] = [];
  // Events can only arrive after the subscribe reply (the server starts delivery after replying), but record any that
  // come first all the same, so that nothing is missed.
  connection.onNotification('events/event', (params: { subscriptionId: string; event: Event }) => {
    let seqs = delivered.get(params.subscriptionId);
    if (!seqs) delivered.set(params.subscriptionId, (seqs = []));
    seqs.push(params.event.seq);
    for (const listener of listeners) listener(params.subscriptionId, params.event);
  });
  connection.listen();

  const request = <K extends ClientRequestName>(method: K, params?: ParamsOf<K>): Promise<ResultOf<K>> => {
    const pending = (params === undefined ? connection.sendRequest(method) : connection.sendRequest(method, params)) as Promise<ResultOf<K>>;
    return within(pending, `the reply to \`${method}\` on client \`${name}\``, REQUEST_MS);
  };

  return {
    name,
    request,
    notify: (method, params) => (params === undefined ? connection.sendNotification(method) : connection.sendNotification(method, params)),
    closed: new Promise<void>((resolve) => connection.onClose(() => resolve())),
    initialize: (init = {}) =>
      request('initialize', { processId: null, protocolVersion: PROTOCOL_VERSION, clientInfo: { name }, ...(init.approvals ? { capabilities: { approvals: true } } : {}) } as never),
    onApprovalRequest: (handler) => void connection.onRequest('approval/request', handler),
    async subscribe(params) {
      const result = await request('events/subscribe', params);
      if (!delivered.has(result.subscriptionId)) delivered.set(result.subscriptionId, []);
      return result;
    },
    seqs: (subscriptionId) => delivered.get(subscriptionId) ?? [],
    onEvent: (listener) => void listeners.push(listener),
    ...transport,
  };
}
