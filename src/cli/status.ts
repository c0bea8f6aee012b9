// `orchd status`: the running service as `daemon/status` reports it, in words (or JSON) for a person at a terminal.
import type { ConnectionStatus, DaemonStatus } from '../../protocol/daemon.js';
import { resolveDataDir } from '../config/data-dir.js';
import { describeError } from './local-daemon.js';

export interface StatusCommandOptions {
  version: string;
  json: boolean;
  dataDir: string | undefined;
  write?: (text: string) => void;
}

/** Exit code when no service runs on the data directory (as `systemctl status` says "inactive"). */
export const EXIT_NOT_RUNNING = 3;

export async function statusCommand(options: StatusCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const { dataDir } = resolveDataDir({ fromFlag: options.dataDir, fromEnv: process.env.ORCHD_DATA_DIR });
  const { readServiceInfo, readDefaultToken } = await import('../service/discovery.js');
  const service = readServiceInfo(dataDir);
  if (!service) {
    if (options.json) write(`${JSON.stringify({ running: false, dataDir })}\n`);
    else write(`No orchd service is running on ${dataDir} (start one with \`orchd serve\`).\n`);
    return EXIT_NOT_RUNNING;
  }
  const token = process.env.ORCHD_TOKEN ?? readDefaultToken(dataDir);
  if (!token) {
    process.stderr.write(`orchd: a service runs at ${service.url}, but \`${service.tokenFile}\` cannot be read and ORCHD_TOKEN is not set\n`);
    return 1;
  }
  const { connectService } = await import('./service-client.js');
  try {
    const client = await connectService({ url: service.url, token, dataDir, version: options.version, logLevel: 'warn' });
    try {
      await client.initialize({ clientName: 'orchd-status', approvals: false });
      const { daemon } = await client.request('daemon/status', {});
      write(options.json ? `${JSON.stringify({ running: true, daemon }, null, 2)}\n` : formatStatus(daemon));
      return 0;
    } finally {
      await client.close();
    }
  } catch (error) {
    process.stderr.write(`orchd: ${describeError(error)}\n`);
    return 1;
  }
}

/** The WAL checkpoint thread in words: `checkpoint thread running, 12 checkpoints, last 3.1 ms`. */
function checkpoints(c: NonNullable<DaemonStatus['database']>['checkpoints']): string {
  if (c.thread === 'idle') return 'checkpoints by SQLite until the first megabyte of output';
  if (c.thread === 'failed') return 'checkpoint thread failed: checkpoints by SQLite';
  const last = c.lastMs === null ? '' : `, last ${c.lastMs.toFixed(1)} ms`;
  const resets = c.walResets > 0 ? ` (${c.walResets} held commits to restart the WAL)` : '';
  return `checkpoint thread ${c.thread}, ${c.count} checkpoint${c.count === 1 ? '' : 's'}${resets}${last}`;
}

/** The status in words: the daemon, then one block per connection (the asking one marked). */
export function formatStatus(daemon: DaemonStatus): string {
  const lines = [
    `orchd ${daemon.version} (protocol ${daemon.protocolVersion}), pid ${daemon.pid}, up ${duration(daemon.uptimeMs)}`,
    `  serving     ${daemon.service?.url ?? '(no WebSocket service)'}`,
    `  data        ${daemon.dataDir ?? '(not open)'}${daemon.database ? ` · database ${bytes(daemon.database.bytes)}, wal ${bytes(daemon.database.walBytes)} (${checkpoints(daemon.database.checkpoints)})` : ''}`,
    `  events      seq ${daemon.currentSeq ?? '-'}`,
    `  processes   ${daemon.processes.executions} running, ${daemon.processes.sessions} sessions, ${daemon.processes.terminals} terminals · rss ${bytes(daemon.rssBytes)}`,
    `  connections ${daemon.connections.length}`,
  ];
  for (const connection of daemon.connections) lines.push(...formatConnection(connection));
  return `${lines.join('\n')}\n`;
}

function formatConnection(c: ConnectionStatus): string[] {
  const who = `${c.clientName ?? '(no initialize yet)'}${c.clientVersion ? ` ${c.clientVersion}` : ''}`;
  const flags = [c.transport, c.owner ? 'owner' : null, c.access === 'readOnly' ? 'read-only' : null, c.tokenName ? `token ${c.tokenName}` : null, c.current ? 'this one' : null].filter(Boolean).join(', ');
  const lines = [
    `  - ${c.connectionId} ${who} [${flags}]`,
    `      since ${c.connectedAt}${c.remoteAddress ? ` from ${c.remoteAddress}` : ''} · ${c.phase}${c.lastPongAt ? ` · last pong ${c.lastPongAt}` : ''}`,
    `      in ${bytes(c.bytesIn)} / ${c.messagesIn} msgs · out ${bytes(c.bytesOut)} / ${c.messagesOut} msgs · queued ${bytes(c.sendQueueBytes)}`,
  ];
  for (const s of c.subscriptions) lines.push(`      subscription ${s.subscriptionId} at seq ${s.cursor}${s.paused ? ' (paused: the client is behind)' : ''}`);
  return lines;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
