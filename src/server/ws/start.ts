// Starting the WebSocket service on an open engine: the default token, the listener, service.json, and the host's
// promise to close them all (connections first, the lock last) when it shuts down. `orchd serve` and the stdio
// bridge (`--listen`) both come through here; the service lock is taken by the caller, before anything else runs.
import { PROTOCOL_VERSION } from '../../../protocol/version.js';
import type { Engine } from '../../engine.js';
import { ensureDefaultToken, SERVICE_TOKEN_FILE, writeServiceInfo, type ServiceLock } from '../../service/discovery.js';
import { join } from 'node:path';
import type { ServerHost } from '../host.js';
import { WebSocketService, type ServiceBounds } from './service.js';

export interface ListenOptions {
  host: string;
  port: number;
  allowedOrigins: readonly string[];
  bounds?: Partial<ServiceBounds>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

export function isLoopback(address: string): boolean {
  return LOOPBACK.test(address);
}

/** Serve WebSocket clients beside whatever transport the host already has; resolves once service.json is written. */
export async function startService(host: ServerHost, engine: Engine, lock: ServiceLock, options: ListenOptions): Promise<WebSocketService> {
  let service: WebSocketService | undefined;
  try {
    await ensureDefaultToken(engine.store, engine.dataDir);
    service = await WebSocketService.start(host, engine, options);
    const tokenFile = join(engine.dataDir, SERVICE_TOKEN_FILE);
    writeServiceInfo(engine.dataDir, {
      url: service.url,
      host: service.address.host,
      port: service.address.port,
      pid: process.pid,
      version: host.version,
      protocolVersion: PROTOCOL_VERSION,
      startedAt: new Date().toISOString(),
      tokenFile,
    });
    host.setService(service, () => lock.release());
    if (!isLoopback(options.host)) {
      host.logger.warn('serving beyond loopback: every client still needs a token, but traffic is not encrypted (put TLS in front)', { host: options.host });
    }
    host.logger.info('orchd serving WebSocket', { url: service.url, dataDir: engine.dataDir, tokenFile });
    return service;
  } catch (error) {
    await service?.close();
    lock.release();
    throw error;
  }
}
