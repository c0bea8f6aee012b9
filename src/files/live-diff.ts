// The live diff of one watched workspace: after its files settle, its diff stats against the base are computed once
// and sent to every connection watching it with `diff`, to each only when they differ from what it was last sent.
import type { WorkspaceDiffChangedNotification } from '../../protocol/fs.js';
import type { Logger } from '../log/logger.js';

/** The stats of a workspace's diff against its base, in total and per repository. */
export type DiffSnapshot = Omit<WorkspaceDiffChangedNotification, 'workspaceId'>;

/** Who gets `workspace/diffChanged` (one per connection, however many of its watches asked). */
export interface DiffSubscriber {
  diffChanged(notification: WorkspaceDiffChangedNotification): void;
}

export interface LiveDiffTiming {
  /** Quiet time after the last change before computing. */
  readonly debounceMs: number;
  /** ...but never longer than this after the first change not yet computed, so a busy agent still shows progress. */
  readonly maxWaitMs: number;
}

export const LIVE_DIFF_TIMING: LiveDiffTiming = { debounceMs: 250, maxWaitMs: 1000 };

export class LiveDiff {
  private readonly subscribers = new Map<DiffSubscriber, { watches: number; lastSent: string | null }>();
  private timer: NodeJS.Timeout | undefined;
  /** When the oldest change not yet in a computed diff arrived; null when none waits. */
  private waitingSince: number | null = null;
  private running = false;
  private last: { json: string; notification: WorkspaceDiffChangedNotification } | null = null;
  private readonly abort = new AbortController();
  private closed = false;

  constructor(
    private readonly workspaceId: string,
    private readonly compute: (signal: AbortSignal) => Promise<DiffSnapshot>,
    private readonly logger: Logger,
    private readonly timing: LiveDiffTiming = LIVE_DIFF_TIMING,
  ) {}

  /** One more watch of `subscriber` wants the diff: a new subscriber gets the current stats as soon as they are known. */
  subscribe(subscriber: DiffSubscriber): void {
    const entry = this.subscribers.get(subscriber);
    if (entry) {
      entry.watches++;
      return;
    }
    this.subscribers.set(subscriber, { watches: 1, lastSent: null });
    if (this.last && this.waitingSince === null && !this.running) this.deliver();
    else this.changed(true);
  }

  /** One watch of `subscriber` ended. */
  unsubscribe(subscriber: DiffSubscriber): void {
    const entry = this.subscribers.get(subscriber);
    if (!entry) return;
    if (--entry.watches > 0) return;
    this.subscribers.delete(subscriber);
    if (!this.subscribers.size) {
      // Nobody follows the files now, so what was computed goes stale: the next subscriber waits for a fresh one.
      clearTimeout(this.timer);
      this.timer = undefined;
      this.waitingSince = null;
      this.last = null;
    }
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Files changed: compute after they settle (at once with `now`). */
  changed(now = false): void {
    if (this.closed || !this.subscribers.size) return;
    this.waitingSince ??= Date.now();
    if (now) this.waitingSince = Date.now() - this.timing.maxWaitMs;
    this.schedule();
  }

  private schedule(): void {
    // One computation at a time per workspace; the one running reschedules when it ends.
    if (this.running || this.waitingSince === null) return;
    clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(this.timing.debounceMs, this.waitingSince + this.timing.maxWaitMs - Date.now()));
    this.timer = setTimeout(() => void this.run(), delay);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort.abort();
    this.subscribers.clear();
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.closed || !this.subscribers.size) return;
    this.running = true;
    this.waitingSince = null;
    try {
      const snapshot = await this.compute(this.abort.signal);
      if (this.closed || !this.subscribers.size) return;
      this.last = { json: JSON.stringify(snapshot), notification: { workspaceId: this.workspaceId, stats: snapshot.stats, repositories: snapshot.repositories } };
      this.deliver();
    } catch (error) {
      if (!this.closed) this.logger.warn('live diff failed', { error });
    } finally {
      this.running = false;
      // Changes that came in while it ran get their own computation, timed from the first of them.
      if (!this.closed && this.subscribers.size) this.schedule();
    }
  }

  private deliver(): void {
    const last = this.last;
    if (!last) return;
    for (const [subscriber, entry] of this.subscribers) {
      if (entry.lastSent === last.json) continue;
      entry.lastSent = last.json;
      subscriber.diffChanged(last.notification);
    }
  }
}
