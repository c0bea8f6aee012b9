// What a WebSocket upgrade must carry before orchd reads any JSON-RPC from it: a bearer token (header, or for
// browsers a subprotocol), and no Origin unless that origin is allowed (a page in a browser must not be able to reach
// a loopback daemon through DNS rebinding or a cross-site request).
import type { IncomingHttpHeaders } from 'node:http';
import { WS_TOKEN_SUBPROTOCOL_PREFIX } from '../../../protocol/service.js';

/** The token from `Authorization: Bearer <token>`, else from an `orchd.token.<token>` subprotocol; undefined when neither. */
export function tokenFromRequest(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const offered = headers['sec-websocket-protocol'];
  if (offered) {
    for (const protocol of offered.split(',')) {
      const name = protocol.trim();
      if (name.startsWith(WS_TOKEN_SUBPROTOCOL_PREFIX)) return name.slice(WS_TOKEN_SUBPROTOCOL_PREFIX.length);
    }
  }
  return undefined;
}

/**
 * No Origin (a native client: a Rust host, the CLI, a script) passes; an Origin passes only when it is listed
 * exactly (scheme, host and port, compared after normalising through URL).
 */
export function checkOrigin(origin: string | undefined, allowed: readonly string[]): { ok: true } | { ok: false; reason: string } {
  if (origin === undefined) return { ok: true };
  const normalized = normalizeOrigin(origin);
  if (normalized && allowed.some((entry) => normalizeOrigin(entry) === normalized)) return { ok: true };
  return { ok: false, reason: `Expected no Origin or an allowed one (--allow-origin), got ${JSON.stringify(origin.slice(0, 200))}` };
}

/** `scheme://host[:port]` as URL spells it, or undefined for anything that is not an http(s) origin. */
export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}
