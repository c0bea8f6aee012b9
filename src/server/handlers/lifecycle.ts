// initialize and shutdown. `exit` and `initialized` are notifications, handled in src/server/connection.ts.
import { EVENT_SCOPES } from '../../../protocol/events.js';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from '../../../protocol/version.js';
import type { Handlers } from '../context.js';
import { rpcError } from '../rpc-errors.js';

export const lifecycleHandlers: Pick<Handlers, 'initialize' | 'shutdown'> = {
  async initialize(params, ctx) {
    const { client, host } = ctx;
    if (client.phase !== 'new') throw rpcError('alreadyInitialized', 'Expected `initialize` once per connection, got a second one');
    if (params.protocolVersion < MIN_PROTOCOL_VERSION || params.protocolVersion > PROTOCOL_VERSION) {
      throw rpcError(
        'protocolVersionUnsupported',
        `Expected \`protocolVersion\` between ${MIN_PROTOCOL_VERSION} and ${PROTOCOL_VERSION}, got \`${params.protocolVersion}\``,
        { supported: { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION }, received: params.protocolVersion },
      );
    }
    client.phase = 'initializing';
    try {
      // The reply goes out before the query builder is loaded; every other request waits for it (src/server/host.ts).
      const engine = await host.openEngine(params.dataDir, { deferQueries: true });
      client.clientInfo = params.clientInfo;
      client.capabilities = params.capabilities;
      client.phase = 'ready';
      if (params.capabilities.approvals) client.offerApprovals(engine, host.logger);
      // Only the owner's process is the daemon's parent: a service client that exits ends only its connection.
      if (params.processId !== null && client.owner) host.watchParent(params.processId);
      return {
        serverInfo: { name: 'orchd', version: host.version },
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {
          events: { subscribe: true, filters: ['kinds', ...EVENT_SCOPES] },
          cancellation: true,
          progress: true,
        },
        dataDir: engine.dataDir,
        currentSeq: engine.hub.currentSeq,
      };
    } catch (error) {
      client.phase = 'new';
      throw error;
    }
  },

  async shutdown(_params, ctx) {
    ctx.client.shutdownReceived = true;
    ctx.client.phase = 'shutdown';
    ctx.client.close(ctx.host.engine);
    // Only the owner's shutdown is the daemon's; another connection has just ended its own session.
    if (ctx.client.owner) await ctx.host.shutdown();
    return null;
  },
};
