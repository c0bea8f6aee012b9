// daemon/*: the daemon itself, as a supervisor or a diagnostics panel sees it: liveness (`daemon/ping`) and status
// (`daemon/status`: the process, the database, the processes it owns, and every connection with its traffic).
import * as v from 'valibot';
import { Id, NoParams, Seq, Timestamp } from './common.js';
import { EventFilter } from './events.js';

const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

export const DaemonPingParams = NoParams;
export const DaemonPingResult = v.strictObject({
  pong: v.literal(true),
  uptimeMs: v.pipe(Count, v.description('Milliseconds since the daemon process started serving')),
});

export const DaemonStatusParams = NoParams;

export const ConnectionTransport = v.pipe(
  v.picklist(['stdio', 'inProcess', 'websocket']),
  v.description('`stdio`: the host that spawned the daemon; `inProcess`: the CLI talking to an orchd in its own process; `websocket`: a service-mode client (docs/service-mode.md)'),
);

export const ConnectionAccess = v.pipe(
  v.picklist(['full', 'readOnly']),
  v.description('`readOnly`: only methods that change nothing (marked read-only in docs/protocol.md); the rest fail with `forbidden`, and it is never sent `approval/request`'),
);

export const SubscriptionStatus = v.strictObject({
  subscriptionId: Id,
  filter: EventFilter,
  cursor: v.pipe(Seq, v.description('The seq of the last event delivered to it or passed over')),
  paused: v.pipe(v.boolean(), v.description('True while it waits for the client to read what was already sent')),
});

export const ConnectionStatus = v.strictObject({
  connectionId: Id,
  transport: ConnectionTransport,
  owner: v.pipe(v.boolean(), v.description("True for the connection whose `shutdown` stops the daemon (the host that spawned it); any other connection's `shutdown` ends only itself")),
  access: ConnectionAccess,
  current: v.pipe(v.boolean(), v.description('True for the connection this request came in on')),
  phase: v.pipe(v.picklist(['new', 'initializing', 'ready', 'shutdown']), v.description('Its lifecycle phase')),
  clientName: v.nullable(v.string()),
  clientVersion: v.nullable(v.string()),
  connectedAt: Timestamp,
  bytesIn: v.pipe(Count, v.description('Bytes read from the client, frame headers included')),
  bytesOut: v.pipe(Count, v.description('Bytes written to the client, frame headers included')),
  messagesIn: Count,
  messagesOut: Count,
  sendQueueBytes: v.pipe(Count, v.description('Bytes written and not yet taken by the client')),
  tokenName: v.nullable(v.pipe(v.string(), v.description('The name of the token a WebSocket client authenticated with; null on stdio and in-process connections'))),
  remoteAddress: v.nullable(v.pipe(v.string(), v.description("A WebSocket client's address and port; null on stdio and in-process connections"))),
  lastPongAt: v.nullable(v.pipe(Timestamp, v.description("When a WebSocket client last answered the daemon's ping; null before the first pong and on other transports"))),
  subscriptions: v.array(SubscriptionStatus),
});

export const DaemonStatus = v.strictObject({
  version: v.string(),
  protocolVersion: v.number(),
  pid: v.number(),
  startedAt: Timestamp,
  uptimeMs: Count,
  dataDir: v.nullable(v.pipe(v.string(), v.description('The open data directory; null before the first `initialize`'))),
  currentSeq: v.nullable(v.pipe(Seq, v.description('The newest event this daemon knows of; null before the first `initialize`'))),
  database: v.nullable(
    v.strictObject({
      bytes: v.pipe(Count, v.description('Page count × page size of the main database file')),
      walBytes: v.pipe(Count, v.description('Size of the write-ahead log file')),
      checkpoints: v.pipe(
        v.strictObject({
          thread: v.pipe(
            v.picklist(['idle', 'starting', 'running', 'failed', 'closed']),
            v.description("The checkpoint thread: `idle` until the first batch of agent output commits; `failed` means the daemon's connection checkpoints inside its own commits again (as SQLite does by default)"),
          ),
          count: v.pipe(Count, v.description('Checkpoints the thread has run')),
          walResets: v.pipe(
            Count,
            v.description('Of them, checkpoints run with the group commit held (tens of ms) because the WAL had grown to 32 MB under commits that never paused, so that it could start again from its beginning'),
          ),
          lastMs: v.nullable(v.pipe(v.number(), v.description('How long the last one took, in milliseconds'))),
        }),
        v.description('WAL checkpoints, run on a thread of their own so that no commit of agent output stalls the event loop with one'),
      ),
    }),
  ),
  processes: v.strictObject({
    executions: v.pipe(Count, v.description('Processes (scripts and agents) this daemon started and still owns')),
    sessions: v.pipe(Count, v.description('Sessions whose action chain runs in this daemon')),
    terminals: v.pipe(Count, v.description('Terminals running in this daemon')),
  }),
  watches: v.pipe(
    v.strictObject({
      watchers: v.pipe(Count, v.description('File watchers running: one per workspace with at least one `fs/watch`')),
      watches: v.pipe(Count, v.description('`fs/watch` watches of every connection')),
    }),
    v.description('File watching (docs/files.md)'),
  ),
  rssBytes: Count,
  service: v.nullable(
    v.pipe(
      v.strictObject({
        url: v.pipe(v.string(), v.description('Where WebSocket clients connect, e.g. `ws://127.0.0.1:7777/`')),
        host: v.string(),
        port: v.pipe(Count, v.maxValue(65535)),
      }),
      v.description('The WebSocket service this daemon serves (`orchd serve`, `orchd --stdio --listen`); null when it serves none'),
    ),
  ),
  connections: v.array(ConnectionStatus),
});

export const DaemonStatusResult = v.strictObject({ daemon: DaemonStatus });

export const DaemonStopParams = NoParams;

export type DaemonStatus = v.InferOutput<typeof DaemonStatus>;
export type ConnectionStatus = v.InferOutput<typeof ConnectionStatus>;
export type ConnectionTransport = v.InferOutput<typeof ConnectionTransport>;
export type ConnectionAccess = v.InferOutput<typeof ConnectionAccess>;
export type SubscriptionStatus = v.InferOutput<typeof SubscriptionStatus>;
