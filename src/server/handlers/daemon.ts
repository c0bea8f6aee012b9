// daemon/* handlers: the daemon's own liveness and status. Nothing here touches git; status reads two pragmas.
import { statSync } from 'node:fs';
import { PROTOCOL_VERSION } from '../../../protocol/version.js';
import type { DaemonStatus } from '../../../protocol/daemon.js';
import type { Handlers, HandlerContext } from '../context.js';

export const daemonHandlers: Pick<Handlers, 'daemon/ping' | 'daemon/status' | 'daemon/stop'> = {
  'daemon/ping': (_params, { host }) => ({ pong: true, uptimeMs: uptimeMs(host.startedAt) }),
  'daemon/status': (_params, ctx) => ({ daemon: daemonStatus(ctx) }),
  'daemon/stop': (_params, { host, logger }) => {
    logger.info('daemon/stop requested');
    // After the reply is written (frames go out on this tick), stop everything and exit.
    setImmediate(() => void host.exit(0));
    return null;
  },
};

function uptimeMs(startedAt: Date): number {
  return Math.max(0, Math.round(Date.now() - startedAt.getTime()));
}

function daemonStatus({ host, client }: HandlerContext): DaemonStatus {
  const engine = host.engine;
  let database: DaemonStatus['database'] = null;
  if (engine) {
    const pages = engine.store.sqlite.pragma('page_count', { simple: true }) as number;
    const pageSize = engine.store.sqlite.pragma('page_size', { simple: true }) as number;
    const checkpoints = engine.checkpointer.stats;
    database = {
      bytes: pages * pageSize,
      walBytes: fileSize(`${engine.store.path}-wal`),
      checkpoints: { thread: checkpoints.state, count: checkpoints.checkpoints, walResets: checkpoints.resets, lastMs: checkpoints.last ? Math.round(checkpoints.last.ms * 1000) / 1000 : null },
    };
  }
  return {
    version: host.version,
    protocolVersion: PROTOCOL_VERSION,
    pid: process.pid,
    startedAt: host.startedAt.toISOString(),
    uptimeMs: uptimeMs(host.startedAt),
    dataDir: engine?.dataDir ?? null,
    currentSeq: engine?.hub.currentSeq ?? null,
    database,
    processes: { executions: engine?.running.size ?? 0, sessions: engine?.sessions.size ?? 0, terminals: engine?.terminals.size ?? 0 },
    watches: engine?.watches.counts() ?? { watchers: 0, watches: 0 },
    rssBytes: process.memoryUsage.rss(),
    service: host.service ? { url: host.service.url, host: host.service.address.host, port: host.service.address.port } : null,
    connections: [...host.connections].map((connection) => connection.status(connection === client)),
  };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
