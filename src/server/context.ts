// What a request handler receives besides its params: the engine, the client's connection state, a signal, progress.
import type { ProgressValue } from '../../protocol/lifecycle.js';
import type { ClientRequestName, ParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Engine } from '../engine.js';
import type { Logger } from '../log/logger.js';
import type { ClientConnection } from './client-connection.js';
import type { ServerHost } from './host.js';

export interface HandlerContext {
  readonly host: ServerHost;
  readonly client: ClientConnection;
  /** The open engine; throws notInitialized before `initialize`. */
  readonly engine: Engine;
  /** Aborted when the client sends `$/cancelRequest` for this request or the connection closes. */
  readonly signal: AbortSignal;
  /** Report progress when the request carried a `progressToken`; a no-op otherwise. */
  progress(value: ProgressValue): void;
  readonly logger: Logger;
}

export type Handler<K extends ClientRequestName> = (params: ParamsOf<K>, ctx: HandlerContext) => Promise<ResultOf<K>> | ResultOf<K>;

/** Every client request has exactly one handler; the compiler enforces it. */
export type Handlers = { [K in ClientRequestName]: Handler<K> };
