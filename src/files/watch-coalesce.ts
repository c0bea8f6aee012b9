// Coalescing file changes: what one path's changes inside one window amount to, and a bounded buffer of them.
import type { FileChange } from '../../protocol/fs.js';

export type ChangeType = FileChange['type'];

/**
 * What `previous` then `next` amount to for one path inside one window; null when they cancel out. A path created
 * and deleted before anyone was told of it is dropped: the host never knew it, and there is nothing to update.
 * Deleted then created (an atomic save that replaced the file) is a change of a path the host already knows.
 */
export function mergeChange(previous: ChangeType | undefined, next: ChangeType): ChangeType | null {
  if (previous === undefined) return next;
  if (previous === 'created') return next === 'deleted' ? null : 'created';
  if (previous === 'deleted') return next === 'deleted' ? 'deleted' : 'changed';
  return next === 'deleted' ? 'deleted' : 'changed';
}

/** At most this many paths wait in one buffer; more in one window are left out and the batch is marked truncated. */
export const MAX_PENDING_CHANGES = 10_000;

/** The changes of one window, one per path, in the order each path first changed. */
export class PendingChanges {
  private readonly changes = new Map<string, FileChange>();
  private overflowed = false;

  constructor(private readonly limit = MAX_PENDING_CHANGES) {}

  get size(): number {
    return this.changes.size;
  }

  /** True when nothing waits (not even the news that something was left out). */
  get empty(): boolean {
    return this.changes.size === 0 && !this.overflowed;
  }

  /** Fold one change in. */
  add(change: FileChange): void {
    const key = `${change.repositoryId}\0${change.path}`;
    const previous = this.changes.get(key);
    if (!previous && this.changes.size >= this.limit) {
      this.overflowed = true;
      return;
    }
    const merged = mergeChange(previous?.type, change.type);
    if (merged === null) this.changes.delete(key);
    else if (previous) previous.type = merged;
    else this.changes.set(key, { repositoryId: change.repositoryId, path: change.path, type: merged });
  }

  /** Everything waiting, emptying the buffer; `truncated` when paths were left out since the last take. */
  take(): { changes: FileChange[]; truncated: boolean } {
    const taken = { changes: [...this.changes.values()], truncated: this.overflowed };
    this.changes.clear();
    this.overflowed = false;
    return taken;
  }
}
