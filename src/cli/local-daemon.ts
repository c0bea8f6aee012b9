// orchd inside the CLI's own process, reached through the real protocol: a ServerHost attached to one end of a pair
// of in-memory streams (LSP framing, the same dispatcher a host's stdio goes through) and a vscode-jsonrpc client on
// the other. `orchd run` and `orchd merge` use it, so a person at a terminal and a host take the same code path.
import { PassThrough } from 'node:stream';
import type * as v from 'valibot';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { ClientRequestName, Methods } from '../../protocol/methods.js';
import { PROTOCOL_VERSION } from '../../protocol/version.js';
import { resolveDataDir } from '../config/data-dir.js';
import { createLogger, type LogLevel } from '../log/logger.js';
import { attachConnection, type AttachedConnection } from '../server/connection.js';
import { FrameWriter } from '../server/frame-writer.js';
import { FrameReader } from '../server/framing.js';
import { ServerHost } from '../server/host.js';

/** Params as a client writes them (defaults may be omitted). */
export type RequestParams<K extends ClientRequestName> = v.InferInput<Methods[K]['params']>;
/** Results as orchd sends them (defaults filled in). */
export type Response<K extends ClientRequestName> = v.InferOutput<Methods[K]['result']>;

export interface LocalDaemonOptions {
  version: string;
  logLevel: LogLevel;
  /** --data-dir; else ORCHD_DATA_DIR, else the XDG default. */
  dataDir?: string | undefined;
  /** Where the daemon's JSON log lines go (default: stderr). */
  writeLog?: (line: string) => void;
}

/** A protocol client of orchd, wherever orchd runs: in this process, or a service this client attached to. */
export interface DaemonClient {
  /** The client end: register `approval/request` and `events/event` handlers here. */
  readonly connection: MessageConnection;
  /** The data directory this daemon opens. */
  readonly dataDir: string;
  /** Send a request through the protocol. */
  request<K extends ClientRequestName>(method: K, params?: RequestParams<K>): Promise<Response<K>>;
  /** `initialize` (with the data directory) and `initialized`. */
  initialize(options: { clientName: string; approvals: boolean }): Promise<Response<'initialize'>>;
  /** `shutdown` and `exit` through the protocol, then close both ends (in process: make sure the host stopped everything). */
  close(): Promise<void>;
  /** Quit at once: in process, stop everything orchd started; attached to a service, just drop the connection. */
  abandon(): Promise<void>;
  /** Where orchd runs: `inProcess`, or the URL of the service this client is attached to. */
  readonly where: 'inProcess' | string;
}

export interface LocalDaemon extends DaemonClient {
  readonly host: ServerHost;
}

/** `request` and `initialize` over any client connection (in process, or attached to a service). */
export function protocolCalls(connection: MessageConnection, dataDir: string, version: string): Pick<DaemonClient, 'request' | 'initialize'> {
  const calls: Pick<DaemonClient, 'request' | 'initialize'> = {
    request(method, params) {
      return (params === undefined ? connection.sendRequest(method) : connection.sendRequest(method, params)) as Promise<never>;
    },
    async initialize({ clientName, approvals }) {
      const result = await calls.request('initialize', {
        processId: null,
        protocolVersion: PROTOCOL_VERSION,
        clientInfo: { name: clientName, version },
        capabilities: { approvals },
        dataDir,
      });
      await connection.sendNotification('initialized', {});
      return result;
    },
  };
  return calls;
}

/** connectDaemon for a one-shot command: the error in words on stderr and undefined when it cannot connect. */
export async function connectOrReport(options: LocalDaemonOptions): Promise<DaemonClient | undefined> {
  try {
    return await connectDaemon(options);
  } catch (error) {
    process.stderr.write(`orchd: ${describeError(error)}\n`);
    return undefined;
  }
}

/** Start orchd in this process and connect a protocol client to it. */
export function startLocalDaemon(options: LocalDaemonOptions): LocalDaemon {
  const logger = createLogger({ level: options.logLevel, ...(options.writeLog ? { write: options.writeLog } : {}) });
  const { dataDir } = resolveDataDir({ fromFlag: options.dataDir, fromEnv: process.env.ORCHD_DATA_DIR });
  // The CLI decides when its process ends; `exit` only has to stop the host.
  const host = new ServerHost({ logger, version: options.version, dataDirFlag: dataDir, exit: () => {} });
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  let attached: AttachedConnection | undefined;
  const reader = new FrameReader(toServer, { onBadFrame: (bad) => attached?.replyToBadFrame(bad) });
  attached = attachConnection(host, reader, new FrameWriter(toClient));
  const connection = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  connection.onError(([error]) => logger.warn('local client transport error', { error }));
  connection.listen();
  let closing: Promise<void> | undefined;

  const daemon: LocalDaemon = {
    host,
    connection,
    dataDir,
    where: 'inProcess',
    abandon: () => host.shutdown(),
    ...protocolCalls(connection, dataDir, options.version),
    close() {
      closing ??= (async () => {
        try {
          await daemon.request('shutdown');
          await connection.sendNotification('exit');
        } catch (error) {
          logger.debug('shutdown through the protocol failed; shutting the host down directly', { error });
        }
        await host.shutdown();
        connection.dispose();
        attached!.dispose();
        toServer.end();
        toClient.end();
      })();
      return closing;
    },
  };
  return daemon;
}

/** One line for an error: the protocol's own message when it is a protocol error. */
export function describeError(error: unknown): string {
  if (error instanceof ResponseError || error instanceof Error) return error.message;
  return String(error);
}

/** How long a command waits for a service that has taken its lock to say where it listens. */
const SERVICE_START_WAIT_MS = 10_000;

/**
 * The service running on this data directory when there is one (so a person and an IDE share one daemon and see each
 * other's work), else orchd in this process. A service this client cannot attach to is an error, never a reason to
 * open a second daemon on the same directory (its start-up recovery would stop the service's agents).
 */
export async function connectDaemon(options: LocalDaemonOptions): Promise<DaemonClient> {
  const { dataDir } = resolveDataDir({ fromFlag: options.dataDir, fromEnv: process.env.ORCHD_DATA_DIR });
  const { findService, readDefaultToken } = await import('../service/discovery.js');
  // A service still starting (its lock taken, service.json not yet written) is waited for, not raced.
  const service = await findService(dataDir, SERVICE_START_WAIT_MS);
  if (!service) return startLocalDaemon(options);
  const token = process.env.ORCHD_TOKEN ?? readDefaultToken(dataDir);
  if (!token) throw new Error(`An orchd service is running at ${service.url} (pid ${service.pid}), but its token file \`${service.tokenFile}\` cannot be read and ORCHD_TOKEN is not set`);
  const { connectService } = await import('./service-client.js');
  return connectService({ url: service.url, token, dataDir, version: options.version, logLevel: options.logLevel, ...(options.writeLog ? { writeLog: options.writeLog } : {}) });
}
