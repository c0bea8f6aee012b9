// events/subscribe and events/unsubscribe: a subscription per call, owned by the calling connection.
import { OrchdError } from '../../errors.js';
import type { Handlers } from '../context.js';

export const eventHandlers: Pick<Handlers, 'events/subscribe' | 'events/unsubscribe'> = {
  async 'events/subscribe'(params, { engine, client }) {
    const currentSeq = engine.hub.currentSeq;
    if (params.sinceSeq !== undefined && params.sinceSeq > currentSeq) {
      throw OrchdError.invalidState(`Expected \`sinceSeq\` to be at most the current sequence ${currentSeq}, got \`${params.sinceSeq}\``, { currentSeq });
    }
    let subscriptionId = '';
    // The sink needs the subscription's id, so it is made just after; these forward to it.
    const subscription = engine.hub.subscribe(params.filter, params.sinceSeq, {
      send: (event) => sink.send(event),
      room: () => sink.room?.() ?? Number.POSITIVE_INFINITY,
    });
    subscriptionId = subscription.id;
    const sink = client.eventSink(subscriptionId);
    client.addSubscription(subscription);
    // Deliver only after the response is on its way, so the client knows the id before the first event.
    setImmediate(() => subscription.start());
    return { subscriptionId, currentSeq };
  },

  async 'events/unsubscribe'(params, { engine, client }) {
    if (!client.removeSubscription(params.subscriptionId)) throw OrchdError.notFound('subscription', params.subscriptionId);
    engine.hub.unsubscribe(params.subscriptionId);
    return { ok: true };
  },
};
