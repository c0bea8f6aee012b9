// One client's connection: its lifecycle phase, capabilities, subscriptions, and flow control for notifications.
import * as v from 'valibot';
import { ApprovalRequestResult, type Approval } from '../../protocol/approvals.js';
import { respondToApproval } from '../approvals/service.js';
import { OrchdError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { InitializeParams } from '../../protocol/lifecycle.js';
import type { ConnectionAccess, ConnectionStatus, ConnectionTransport } from '../../protocol/daemon.js';
import type { EventSink, Subscription } from '../events/subscription.js';
import type { Engine } from '../engine.js';
import type { WireEvent } from '../events/wire.js';
import type { RawFrameOutput } from './frame-writer.js';

export type Phase = 'new' | 'initializing' | 'ready' | 'shutdown';

/** What the transport counted so far (daemon/status). */
export interface Traffic {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  sendQueueBytes: number;
}

/** Which transport a connection came in on, its role and access, and its counters. */
export interface TransportInfo {
  transport: ConnectionTransport;
  /** Its `shutdown` and `exit` are the daemon's (see AttachOptions.owner). */
  owner: boolean;
  /** `readOnly`: only methods that change nothing (see AttachOptions.access). */
  access: ConnectionAccess;
  traffic(): Traffic;
  /** A network client: its token's name, its address and its last pong. */
  peer?: { tokenName: string; remoteAddress: string; lastPongAt(): string | null };
}

/** What a connection sends to its client through (the RpcEndpoint). */
export interface ClientChannel {
  sendNotification(method: string, params?: unknown): Promise<void>;
  /** Aborting `signal` tells the client the request is withdrawn. */
  sendRequest(method: string, params: unknown, signal?: AbortSignal): Promise<unknown>;
}

const NO_TRAFFIC: Traffic = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0, sendQueueBytes: 0 };

/**
 * Bytes written to the transport but not yet taken by the client, at which subscriptions pause (they resume at the
 * transport's low-water mark). Small on purpose: a reply queues behind whatever notifications are already buffered,
 * and the buffer drains only as fast as the pipe takes it, one pipe's worth per turn of a busy event loop. At 4 MB a
 * no-op request waited 120 ms behind one flooding agent; paused subscriptions resume from the ring, which is cheap.
 */
export const HIGH_WATER_BYTES = 64 * 1024;
/** ...and (transports without a byte count) notifications in flight at which they pause, and resume. */
const HIGH_WATER = 1024;
const LOW_WATER = 256;

export class ClientConnection {
  phase: Phase = 'new';
  clientInfo: InitializeParams['clientInfo'];
  capabilities: InitializeParams['capabilities'] = { approvals: false, progress: false };
  shutdownReceived = false;
  private readonly subscriptions = new Map<string, Subscription>();
  private inFlight = 0;
  private readonly paused = new Set<Subscription>();
  private closed = false;
  private stopAsking: (() => void) | null = null;
  private closeListeners: (() => void)[] = [];
  readonly connectedAt = new Date().toISOString();

  constructor(
    readonly id: string,
    private readonly connection: ClientChannel,
    /** Set when the transport takes ready-made frames (stdio, in-process): events then go out as shared bytes. */
    private readonly raw?: RawFrameOutput,
    private readonly transport: TransportInfo = { transport: 'inProcess', owner: true, access: 'full', traffic: () => NO_TRAFFIC },
  ) {
    raw?.onLowWater(() => this.resumePaused());
  }

  /** What this connection may call. */
  get access(): ConnectionAccess {
    return this.transport.access;
  }

  /** True when this connection's `shutdown` and `exit` stop the daemon. */
  get owner(): boolean {
    return this.transport.owner;
  }

  /** This connection as daemon/status shows it; `current` when the request came in on it. */
  status(current: boolean): ConnectionStatus {
    return {
      connectionId: this.id,
      transport: this.transport.transport,
      owner: this.transport.owner,
      access: this.transport.access,
      current,
      phase: this.phase,
      clientName: this.clientInfo?.name ?? null,
      clientVersion: this.clientInfo?.version ?? null,
      connectedAt: this.connectedAt,
      ...this.transport.traffic(),
      tokenName: this.transport.peer?.tokenName ?? null,
      remoteAddress: this.transport.peer?.remoteAddress ?? null,
      lastPongAt: this.transport.peer?.lastPongAt() ?? null,
      subscriptions: [...this.subscriptions.values()].map((s) => ({ subscriptionId: s.id, filter: s.filter, cursor: s.cursor, paused: s.isPaused || this.paused.has(s) })),
    };
  }

  /** Bytes written to this client and not yet taken (what flow control of non-event notifications looks at). */
  get sendQueueBytes(): number {
    return this.raw?.bufferedBytes ?? this.transport.traffic().sendQueueBytes;
  }

  /** Call `listener` once when the connection ends (at once if it has); what else it owns (file watches) ends then. */
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Send a notification to this client. */
  notify(method: string, params: unknown): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.connection.sendNotification(method, params);
  }

  /**
   * A sink that writes `events/event` and pauses the subscription while the client lags: more than HIGH_WATER_BYTES
   * written and not yet taken. On a raw transport the event's JSON goes into the frame as it is (its bytes, once
   * encoded, shared by every subscriber).
   */
  eventSink(subscriptionId: string): EventSink {
    const raw = this.raw;
    if (raw) {
      const prefix = Buffer.from(`{"jsonrpc":"2.0","method":"events/event","params":{"subscriptionId":${JSON.stringify(subscriptionId)},"event":`, 'utf8');
      return {
        send: (event: WireEvent) => {
          if (this.closed) return false;
          raw.writeFrameParts(prefix, event.frameBody(), '}}');
          return this.pauseIfLagging(subscriptionId, raw.bufferedBytes >= HIGH_WATER_BYTES);
        },
        room: () => Math.max(HIGH_WATER_BYTES - raw.bufferedBytes, 1),
      };
    }
    return {
      send: (event: WireEvent) => {
        if (this.closed) return false;
        this.inFlight++;
        const flushed = () => {
          this.inFlight--;
          if (this.inFlight <= LOW_WATER) this.resumePaused();
        };
        this.connection.sendNotification('events/event', { subscriptionId, event: event.toEvent() }).then(flushed, flushed);
        return this.pauseIfLagging(subscriptionId, this.inFlight >= HIGH_WATER);
      },
    };
  }

  /** True to carry on; false (and remembered, to resume at the low-water mark) when the client lags. */
  private pauseIfLagging(subscriptionId: string, lagging: boolean): boolean {
    if (!lagging) return true;
    const subscription = this.subscriptions.get(subscriptionId);
    if (subscription) this.paused.add(subscription);
    return false;
  }

  private resumePaused(): void {
    if (!this.paused.size) return;
    const resumed = [...this.paused];
    this.paused.clear();
    for (const subscription of resumed) subscription.resume();
  }

  /** Remember a subscription owned by this client. */
  addSubscription(subscription: Subscription): void {
    this.subscriptions.set(subscription.id, subscription);
  }

  /** Forget a subscription; false when this client does not own it. */
  removeSubscription(subscriptionId: string): boolean {
    const subscription = this.subscriptions.get(subscriptionId);
    if (!subscription) return false;
    this.subscriptions.delete(subscriptionId);
    this.paused.delete(subscription);
    return true;
  }

  /**
   * This client declared `capabilities.approvals`: send it `approval/request` for every approval that waits, now and
   * later. The first answer from any client wins; when someone else answers first, this request is cancelled.
   */
  offerApprovals(engine: Engine, logger: Logger): void {
    // A read-only connection could not answer (approval/respond is forbidden to it), so it is never asked.
    if (this.stopAsking || this.access === 'readOnly') return;
    const decidedBy = `client:${this.clientInfo?.name ?? this.id}`;
    this.stopAsking = engine.approvals.addAsker((approval: Approval, settled: AbortSignal) => {
      if (this.closed) return;
      this.connection.sendRequest('approval/request', { approval }, settled).then(
        (result: unknown) => {
          const parsed = v.safeParse(ApprovalRequestResult, result);
          if (!parsed.success) {
            logger.warn('invalid approval/request result; the approval stays pending', { approvalId: approval.id, issues: parsed.issues.map((i) => i.message) });
            return;
          }
          respondToApproval(engine, { approvalId: approval.id, ...parsed.output }, decidedBy).catch((error: unknown) => {
            if (!(error instanceof OrchdError && error.kind === 'invalidState')) logger.warn('could not record approval answer', { approvalId: approval.id, error });
          });
        },
        (error: unknown) => {
          if (!settled.aborted) logger.info('client did not answer approval/request; it stays pending', { approvalId: approval.id, error: (error as Error).message });
        },
      );
    });
  }

  /** The connection ended: drop its subscriptions and stop asking it about approvals. */
  close(engine: Engine | undefined): void {
    this.closed = true;
    this.stopAsking?.();
    this.stopAsking = null;
    for (const id of this.subscriptions.keys()) engine?.hub.unsubscribe(id);
    this.subscriptions.clear();
    this.paused.clear();
    const listeners = this.closeListeners;
    this.closeListeners = [];
    for (const listener of listeners) listener();
  }
}
