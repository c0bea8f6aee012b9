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

export interface LocalDaemon {
  readonly host: ServerHost;
  /** The client end: register `approval/request` and `events/event` handlers here. */
  readonly connection: MessageConnection;
  /** The data directory this daemon opens. */
  readonly dataDir: string;
  /** Send a request through the protocol. */
  request<K extends ClientRequestName>(method: K, params?: RequestParams<K>): Promise<Response<K>>;
  /** `initialize` (with the data directory) and `initialized`. */
  initialize(options: { clientName: string; approvals: boolean }): Promise<Response<'initialize'>>;
  /** `shutdown` and `exit` through the protocol, then close both ends and make sure the host has stopped everything. */
  close(): Promise<void>;
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
    request(method, params) {
      return (params === undefined ? connection.sendRequest(method) : connection.sendRequest(method, params)) as Promise<never>;
    },
    async initialize({ clientName, approvals }) {
      const result = await daemon.request('initialize', {
        processId: null,
        protocolVersion: PROTOCOL_VERSION,
        clientInfo: { name: clientName, version: options.version },
        capabilities: { approvals },
        dataDir,
      });
      await connection.sendNotification('initialized', {});
      return result;
    },
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
