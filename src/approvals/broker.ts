// In-memory side of approvals: who waits for an answer (the agent's driver) and who can be asked (hosts that
// declared `capabilities.approvals`). The database holds the truth; this only connects the live parties.
import type { Approval, ApprovalAnswer } from '../../protocol/approvals.js';

/** Asks one host; `settled` aborts when the approval is resolved by anyone, so the host's prompt can be withdrawn. */
export type ApprovalAsker = (approval: Approval, settled: AbortSignal) => void;

interface Waiter {
  approval: Approval;
  resolve(answer: ApprovalAnswer): void;
  reject(error: Error): void;
  settled: AbortController;
}

export class ApprovalBroker {
  private readonly waiters = new Map<string, Waiter>();
  private readonly askers = new Set<ApprovalAsker>();

  /** Register a host that can be asked (it is asked at once about what is already waiting); returns the unregister. */
  addAsker(asker: ApprovalAsker): () => void {
    this.askers.add(asker);
    for (const waiter of this.waiters.values()) asker(waiter.approval, waiter.settled.signal);
    return () => this.askers.delete(asker);
  }

  get askerCount(): number {
    return this.askers.size;
  }

  /** Wait for an answer to a pending approval and ask every registered host. */
  wait(approval: Approval): Promise<ApprovalAnswer> {
    return new Promise<ApprovalAnswer>((resolve, reject) => {
      const settled = new AbortController();
      this.waiters.set(approval.id, { approval, resolve, reject, settled });
      for (const asker of this.askers) asker(approval, settled.signal);
    });
  }

  /** Deliver the answer (after it was persisted). */
  resolve(approvalId: string, answer: ApprovalAnswer): void {
    const waiter = this.take(approvalId);
    waiter?.resolve(answer);
  }

  /** The approval will not be answered (expired, cancelled). */
  reject(approvalId: string, error: Error): void {
    this.take(approvalId)?.reject(error);
  }

  has(approvalId: string): boolean {
    return this.waiters.has(approvalId);
  }

  private take(approvalId: string): Waiter | undefined {
    const waiter = this.waiters.get(approvalId);
    if (!waiter) return undefined;
    this.waiters.delete(approvalId);
    waiter.settled.abort();
    return waiter;
  }
}
