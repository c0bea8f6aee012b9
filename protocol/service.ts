// Service mode's side of the wire contract (docs/service-mode.md): how a WebSocket client authenticates, the close
// codes it can see, and the discovery file (`service.json`) a local client reads to find a running daemon.
import * as v from 'valibot';
import { Timestamp } from './common.js';

/** The subprotocol a client offers (and the daemon selects): one JSON-RPC message per text message. */
export const WS_SUBPROTOCOL = 'orchd.jsonrpc.v1';
/**
 * Browsers cannot set `Authorization` on a WebSocket: they offer the token as a second subprotocol, this prefix
 * followed by the token (`orchd.token.orchd_…`). The daemon never selects it, so it is never echoed back.
 */
export const WS_TOKEN_SUBPROTOCOL_PREFIX = 'orchd.token.';

/** Why the daemon closed a WebSocket connection; the close reason says more in words. */
export const WS_CLOSE_CODES = {
  /** The client sent `exit`, or closed itself. */
  normal: 1000,
  /** The daemon is stopping (`daemon/stop`, a signal, the stdio host's `exit`). */
  goingAway: 1001,
  /** The client sent a binary message: the protocol is JSON text. */
  unsupportedData: 1003,
  /** A message over the size bound (64 MB, as on stdio). */
  messageTooBig: 1009,
  /** The daemon's queue of bytes the client has not read passed its hard bound: reconnect and catch up with `sinceSeq`. */
  sendQueueOverflow: 4000,
  /** The client took nothing of what was queued for it for too long: reconnect and catch up with `sinceSeq`. */
  sendQueueStalled: 4001,
} as const;

export const ServiceInfo = v.strictObject({
  url: v.pipe(v.string(), v.description('Where to connect, e.g. `ws://127.0.0.1:7777/`')),
  host: v.string(),
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
  pid: v.pipe(v.number(), v.integer(), v.minValue(1)),
  version: v.pipe(v.string(), v.description("orchd's version")),
  protocolVersion: v.number(),
  startedAt: Timestamp,
  tokenFile: v.pipe(v.string(), v.description('The file (mode 0600) holding the default full-access token written on first serve')),
});
export type ServiceInfo = v.InferOutput<typeof ServiceInfo>;
