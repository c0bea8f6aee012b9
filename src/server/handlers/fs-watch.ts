// fs/watch and fs/unwatch handlers: thin adapters over src/files/. A watch's notifications go to the connection that
// made it, and only there; its watches end when it closes.
import type { Engine } from '../../engine.js';
import type { WatchOwner } from '../../files/watches.js';
import { unwatch, watchWorkspace } from '../../files/watch-service.js';
import type { ClientConnection } from '../client-connection.js';
import type { Handlers, HandlerContext } from '../context.js';

// Adapters only, one per live connection (the watches themselves live on the engine); gone with the connection.
const owners = new WeakMap<ClientConnection, WatchOwner>();

/** The connection as the owner of watches, made once per connection, whose close ends them. */
function ownerOf(ctx: HandlerContext): WatchOwner {
  const client = ctx.client;
  let owner = owners.get(client);
  if (owner) return owner;
  const engine: Engine = ctx.engine;
  // A connection that ends while a notification is on its way drops it; nothing is owed to a closed connection.
  const send = (method: string, params: unknown) => void client.notify(method, params).catch(() => {});
  const created: WatchOwner = {
    id: client.id,
    changed: (notification) => send('fs/changed', notification),
    ended: (notification) => send('fs/watchEnded', notification),
    diffChanged: (notification) => send('workspace/diffChanged', notification),
    backlogBytes: () => client.sendQueueBytes,
  };
  owner = created;
  owners.set(client, created);
  client.onClose(() => engine.watches.endOwner(created));
  return created;
}

export const fsWatchHandlers: Pick<Handlers, 'fs/watch' | 'fs/unwatch'> = {
  'fs/watch': (params, ctx) => watchWorkspace(ctx.engine, params, ownerOf(ctx)),
  'fs/unwatch': (params, ctx) => {
    unwatch(ctx.engine, params.watchId, ownerOf(ctx));
    return { ok: true };
  },
};
