// A cheap size estimate of an event, for memory and flow-control budgets: output text dominates, the rest is small.
import type { Event } from '../../protocol/events.js';

/** Approximate bytes of an event in memory or on the wire. */
export function approximateEventBytes(event: Event): number {
  const data = event.data as { text?: unknown } | null;
  return 512 + (data && typeof data.text === 'string' ? data.text.length : 0);
}
