// The dispatcher: one request from any transport, gated by the connection's lifecycle phase and access, validated
// against its schema in protocol/methods.ts, served by the handler table, its failure mapped to a JSON-RPC error.
import * as v from 'valibot';
import type { ProgressValue } from '../../protocol/lifecycle.js';
import { METHODS, type ClientRequestName, type MethodName, type RequestSpec } from '../../protocol/methods.js';
import type { Engine } from '../engine.js';
import type { Logger } from '../log/logger.js';
import type { ClientConnection } from './client-connection.js';
import type { HandlerContext, Handlers } from './context.js';
import { lifecycleHandlers } from './handlers/lifecycle.js';
import type { ServerHost } from './host.js';
import { invalidParamsError, rpcError, toResponseError } from './rpc-errors.js';
import { isThenable, type Cancellation } from './rpc-endpoint.js';

let handlers: Promise<Handlers> | undefined;
let loaded: Handlers | undefined;

/**
 * The handler table, and through it the engine code behind every method but `initialize` and `shutdown`: imported on
 * first use (and fetched in the background once `initialize` has replied), so a host's spawn → `initialize` reply
 * does not wait for code it has not asked for yet.
 */
export function loadHandlers(): Promise<Handlers> {
  return (handlers ??= import('./handlers/index.js').then((module) => (loaded = module.HANDLERS)));
}

export interface DispatchScope {
  host: ServerHost;
  client: ClientConnection;
  logger: Logger;
  /** Check every result against its schema (AttachOptions.checkResults). */
  checkResults: boolean;
}

function isClientRequest(method: string): method is ClientRequestName {
  const spec = Object.hasOwn(METHODS, method) ? (METHODS[method as MethodName] as { type: string; direction: string }) : undefined;
  return spec?.type === 'request' && spec.direction === 'clientToServer';
}

type Handler = (params: unknown, ctx: HandlerContext) => unknown;

/**
 * Gate by lifecycle phase, validate params, run the handler, map failures. Synchronous as far as the handler is: a
 * handler that returns a value is answered in the same call (no promise, no extra turn); a promise is followed. A
 * failure is thrown (or rejected) as an RpcError.
 */
export function dispatchRequest(scope: DispatchScope, method: string, rawParams: unknown, cancellation: Cancellation): unknown {
  const { host, client } = scope;
  host.foreground.requestDispatched();
  if (!isClientRequest(method)) throw rpcError('methodNotFound', `Unknown method \`${method}\``, { method });
  const spec = METHODS[method] as RequestSpec;
  if (client.phase === 'shutdown') throw rpcError('shuttingDown', `Expected only \`exit\` after \`shutdown\`, got \`${method}\``, { method });
  if (client.phase !== 'ready' && !spec.beforeInitialize) {
    throw rpcError('notInitialized', `Expected \`initialize\` before \`${method}\``, { method });
  }
  if (client.access === 'readOnly' && !spec.readOnly) {
    throw rpcError('forbidden', `Expected a method that changes nothing on this read-only connection, got \`${method}\``, { method });
  }
  if (Array.isArray(rawParams)) throw rpcError('invalidParams', `Invalid params for \`${method}\`: expected an object, got an array`, { method });
  const parsed = v.safeParse(spec.params, rawParams ?? undefined);
  if (!parsed.success) throw invalidParamsError(method, parsed.issues);

  const request = new Request(scope, method, spec, parsed.output, cancellation);
  if (Object.hasOwn(lifecycleHandlers, method)) return request.run(lifecycleHandlers);
  // Until repair is done and the table is loaded, a request waits for both; after that it takes no extra turn.
  if (host.repairDone && loaded) return request.run(loaded);
  return (async () => {
    if (!host.repairDone) await host.whenRepaired();
    return loaded ?? (await loadHandlers());
  })().then(
    (table) => request.run(table),
    (error: unknown) => request.fail(error),
  );
}

/** One request being served: its handler context, and what happens to the handler's result or failure. */
class Request implements HandlerContext {
  private readonly started = performance.now();

  constructor(
    private readonly scope: DispatchScope,
    private readonly method: string,
    private readonly spec: RequestSpec,
    private readonly params: unknown,
    private readonly cancellation: Cancellation,
  ) {}

  get host(): ServerHost {
    return this.scope.host;
  }

  get client(): ClientConnection {
    return this.scope.client;
  }

  get logger(): Logger {
    return this.scope.logger;
  }

  get engine(): Engine {
    const engine = this.scope.host.engine;
    if (!engine) throw rpcError('notInitialized', `Expected \`initialize\` before \`${this.method}\``, { method: this.method });
    return engine;
  }

  // Most requests never look at their signal: it is created (and cancellation listened for) only when one does.
  get signal(): AbortSignal {
    return this.cancellation.signal;
  }

  // A getter so that handlers may destructure it (`{ engine, signal, progress }`); made when one asks.
  get progress(): (value: ProgressValue) => void {
    return (value) => {
      const token = (this.params as { progressToken?: string | number } | undefined)?.progressToken;
      if (token !== undefined) this.scope.client.notify('$/progress', { token, value }).catch(() => undefined);
    };
  }

  run(table: Partial<Handlers>): unknown {
    let result: unknown;
    try {
      result = (table[this.method as ClientRequestName] as Handler)(this.params, this);
    } catch (error) {
      return this.fail(error);
    }
    return isThenable(result) ? result.then((value) => this.finish(value), (error: unknown) => this.fail(error)) : this.finish(result);
  }

  private finish(result: unknown): unknown {
    const { method, scope } = this;
    // The other methods' code, fetched once the reply to `initialize` is on its way (see loadHandlers).
    if (method === 'initialize') setImmediate(() => void loadHandlers().catch((error: unknown) => scope.logger.error('could not load the request handlers', { error })));
    if (this.cancellation.isRequested) return this.fail(rpcError('cancelled', `Request \`${method}\` was cancelled`));
    if (scope.checkResults) {
      const checked = v.safeParse(this.spec.result, result);
      if (!checked.success) {
        scope.logger.error('result does not match schema', { method, issues: v.flatten(checked.issues) });
        return this.fail(rpcError('internal', `Internal error in \`${method}\`: the result does not match its schema`));
      }
    }
    this.logged();
    return result ?? null;
  }

  fail(error: unknown): never {
    this.logged();
    throw toResponseError(error, { method: this.method, cancelled: this.cancellation.isRequested, logger: this.scope.logger });
  }

  private logged(): void {
    this.scope.logger.debug('request', () => ({ method: this.method, ms: Math.round((performance.now() - this.started) * 1000) / 1000 }));
  }
}
