// Keeps an approval question after the lines that came before it. orchd sends `approval/request` to the CLI the
// moment the agent asks, while the tool call it is about reaches the CLI as events, through the subscription and a
// moment later (the agent's output is committed in batches, so the tool call's entry can even be written after the
// `approval/requested` event). A question asked on arrival would sit above the tool line it is about. So the question
// waits until the live view has shown both the `approval/requested` event (and with it every event before it) and
// the tool call's entry (`approval.toolCallId`), or until a bound passes, for an approval this view never sees.
import type { Approval } from '../../../protocol/approvals.js';
import type { Event, EventData } from '../../../protocol/events.js';

/** How long a question waits, at most, for the events before it (an approval of a session this run does not show). */
export const APPROVAL_ORDER_WAIT_MS = 2000;

export class ApprovalOrder {
  /** Approvals whose `approval/requested` (or `approval/resolved`) event the live view has shown. */
  private readonly approvals = new Set<string>();
  /** Tool calls whose entry the live view has shown, by `toolCallId`. */
  private readonly toolCalls = new Set<string>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly waitMs = APPROVAL_ORDER_WAIT_MS) {}

  /** Call with each event after the live view has rendered it. */
  shown(event: Event): void {
    if (event.kind === 'approval/requested' || event.kind === 'approval/resolved') {
      this.approvals.add((event.data as EventData<'approval/requested'>).approval.id);
    } else if (event.kind === 'session/entryUpserted') {
      const { entry } = event.data as EventData<'session/entryUpserted'>;
      if (entry.type === 'toolCall') this.toolCalls.add(entry.toolCallId);
    } else {
      return;
    }
    for (const wake of [...this.waiters]) wake();
  }

  /** Whether everything that comes before the approval has been shown. */
  isReady(approval: Pick<Approval, 'id' | 'toolCallId'>): boolean {
    return this.approvals.has(approval.id) && (approval.toolCallId === null || this.toolCalls.has(approval.toolCallId));
  }

  /** Resolves once the approval may be asked about: its events were shown, the bound passed, or `signal` aborted. */
  ready(approval: Pick<Approval, 'id' | 'toolCallId'>, signal?: AbortSignal): Promise<void> {
    if (this.isReady(approval) || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const check = () => {
        if (this.isReady(approval)) done();
      };
      const timer = setTimeout(done, this.waitMs);
      this.waiters.add(check);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
