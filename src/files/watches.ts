// The engine's file watches: each owned by one connection, coalesced per watch, sharing one watcher per workspace
// (started by the first watch, closed with the last) and one live diff per workspace. Watches end with their
// connection (endOwner), their workspace (deleted or archived, seen in the event log) or their watcher's failure.
// Nothing here is an event: a save storm must not grow the log. The watcher's code is loaded by the first watch.
import type { FileChange, FsChangedNotification, FsWatchEndedNotification, WorkspaceDiffChangedNotification } from '../../protocol/fs.js';
import type { EventHub } from '../events/hub.js';
import type { Subscription } from '../events/subscription.js';
import type { WireEvent } from '../events/wire.js';
import type { Logger } from '../log/logger.js';
import { globToRegExp, isGlob } from '../util/glob.js';
import { newId } from '../util/ids.js';
import { LiveDiff, type DiffSnapshot } from './live-diff.js';
import { PendingChanges } from './watch-coalesce.js';
import type { ObservedChange, WorkspaceWatcher } from './watcher.js';

/** The connection a watch belongs to, as the engine sees it: where its notifications go. */
export interface WatchOwner {
  readonly id: string;
  changed(notification: FsChangedNotification): void;
  ended(notification: FsWatchEndedNotification): void;
  diffChanged(notification: WorkspaceDiffChangedNotification): void;
  /** Bytes written to it and not yet taken: while this is high, changes keep coalescing instead of piling up. */
  backlogBytes(): number;
}

export interface Watch {
  readonly id: string;
  readonly workspaceId: string;
  readonly owner: WatchOwner;
  readonly includeIgnored: boolean;
  readonly diff: boolean;
  /** `starting` until fs/watch replies: it collects changes but sends nothing. */
  state: 'starting' | 'active' | 'ended';
  /** Why it ended (null: unwatched, or its connection closed). */
  endReason: string | null;
  /** It ended because its watcher failed (it is still announced, then ended). */
  failed: boolean;
  readonly matches: ((path: string) => boolean) | null;
  readonly pending: PendingChanges;
  /** The pending flush: cancel it with `clearTimeout`/`clearImmediate` through `cancelFlush`. */
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  lastSentAt: number;
}

export interface AddWatch {
  readonly workspaceId: string;
  readonly owner: WatchOwner;
  readonly globs?: readonly string[] | undefined;
  readonly includeIgnored: boolean;
  readonly diff: boolean;
  /** The workspace's watcher, if it has none yet. */
  createWatcher(handlers: { includeIgnored: boolean; onChanges(changes: ObservedChange[]): void; onError(reason: string): void }): WorkspaceWatcher;
  /** The workspace's diff stats against its base (for the live diff, if it has none yet). */
  computeDiff(signal: AbortSignal): Promise<DiffSnapshot>;
}

export interface WatchTiming {
  /** At most one `fs/changed` per this many ms per watch. */
  readonly coalesceMs: number;
  /** Hold notifications while the owner has this many bytes unread. */
  readonly backlogBytes: number;
}

const TIMING: WatchTiming = { coalesceMs: 50, backlogBytes: 64 * 1024 };

interface WatchedWorkspace {
  readonly workspaceId: string;
  readonly watcher: WorkspaceWatcher;
  readonly watches: Set<Watch>;
  readonly diff: LiveDiff;
}

export class WatchRegistry {
  private readonly watches = new Map<string, Watch>();
  private readonly workspaces = new Map<string, WatchedWorkspace>();
  private lifecycle: Subscription | undefined;
  private closed = false;

  constructor(
    private readonly hub: EventHub,
    private readonly logger: Logger,
    private readonly timing: WatchTiming = TIMING,
  ) {}

  /** Watchers running (one per watched workspace) and watches (daemon/status, tests). */
  counts(): { watchers: number; watches: number } {
    return { watchers: this.workspaces.size, watches: this.watches.size };
  }

  /** Register a watch (`starting`), starting its workspace's watcher if it is the first. */
  add(params: AddWatch): Watch {
    if (this.closed) throw new Error('the watch registry is closed');
    const watch: Watch = {
      id: newId('wch'),
      workspaceId: params.workspaceId,
      owner: params.owner,
      includeIgnored: params.includeIgnored,
      diff: params.diff,
      state: 'starting',
      endReason: null,
      failed: false,
      matches: globMatcher(params.globs),
      pending: new PendingChanges(),
      timer: undefined,
      lastSentAt: 0,
    };
    let entry = this.workspaces.get(params.workspaceId);
    if (!entry) {
      const workspaceId = params.workspaceId;
      const watcher = params.createWatcher({
        includeIgnored: params.includeIgnored,
        onChanges: (changes) => this.dispatch(workspaceId, changes),
        onError: (reason) => this.failWorkspace(workspaceId, reason),
      });
      entry = { workspaceId, watcher, watches: new Set(), diff: new LiveDiff(workspaceId, params.computeDiff, this.logger) };
      this.workspaces.set(workspaceId, entry);
    }
    entry.watches.add(watch);
    this.watches.set(watch.id, watch);
    this.watchLifecycle();
    return watch;
  }

  /** Resolves when the workspace's watcher walks what this watch needs (ignored directories too, if it asked). */
  settled(watch: Watch): Promise<void> {
    const entry = this.workspaces.get(watch.workspaceId);
    if (!entry || watch.state === 'ended') return Promise.resolve();
    return this.applyIgnoredMode(entry);
  }

  /** fs/watch has replied: from now on the watch sends what it collects. */
  activate(watch: Watch): void {
    if (watch.state !== 'starting') return;
    watch.state = 'active';
    if (watch.diff) this.workspaces.get(watch.workspaceId)?.diff.subscribe(watch.owner);
    if (!watch.pending.empty) this.scheduleFlush(watch);
  }

  /** fs/unwatch: false when no watch of this owner has that id. */
  unwatch(watchId: string, owner: WatchOwner): boolean {
    const watch = this.watches.get(watchId);
    if (!watch || watch.owner.id !== owner.id) return false;
    this.end(watch, null);
    return true;
  }

  /** The connection closed: its watches end without a word. */
  endOwner(owner: WatchOwner): void {
    for (const watch of [...this.watches.values()]) if (watch.owner.id === owner.id) this.end(watch, null);
  }

  /** The workspace went away (deleted, archived): its watches end with `fs/watchEnded {reason}`. */
  endWorkspace(workspaceId: string, reason: string): void {
    const entry = this.workspaces.get(workspaceId);
    if (!entry) return;
    for (const watch of [...entry.watches]) this.end(watch, reason);
  }

  /**
   * End one watch: an active one with a reason is told (`fs/watchEnded`); the last watch of a workspace closes its
   * watcher and live diff.
   */
  end(watch: Watch, reason: string | null): void {
    if (watch.state === 'ended') return;
    const wasActive = watch.state === 'active';
    watch.state = 'ended';
    watch.endReason = reason;
    cancelFlush(watch);
    watch.pending.take();
    this.watches.delete(watch.id);
    const entry = this.workspaces.get(watch.workspaceId);
    if (entry) {
      entry.watches.delete(watch);
      if (wasActive && watch.diff) entry.diff.unsubscribe(watch.owner);
      if (!entry.watches.size) {
        this.workspaces.delete(entry.workspaceId);
        entry.diff.close();
        void entry.watcher.close();
      } else if (watch.includeIgnored) {
        // Nobody may want ignored files any more: stop walking them.
        void this.applyIgnoredMode(entry);
      }
    }
    if (wasActive && reason !== null) watch.owner.ended({ watchId: watch.id, workspaceId: watch.workspaceId, reason });
    if (!this.watches.size) this.stopWatchingLifecycle();
  }

  /** End every watch (silently) and close every watcher: the engine is closing. */
  async close(): Promise<void> {
    this.closed = true;
    const watchers = [...this.workspaces.values()].map((entry) => entry.watcher);
    for (const watch of [...this.watches.values()]) this.end(watch, null);
    this.stopWatchingLifecycle();
    await Promise.all(watchers.map((watcher) => watcher.close()));
  }

  private applyIgnoredMode(entry: WatchedWorkspace): Promise<void> {
    const wanted = [...entry.watches].some((w) => w.includeIgnored && w.state !== 'ended');
    return entry.watcher.setIncludeIgnored(wanted);
  }

  /** A batch from the workspace's watcher: into each watch that wants it, and a nudge to the live diff. */
  private dispatch(workspaceId: string, changes: readonly ObservedChange[]): void {
    const entry = this.workspaces.get(workspaceId);
    if (!entry) return;
    let tracked = false;
    for (const change of changes) if (!change.ignored) tracked = true;
    for (const watch of entry.watches) {
      let added = false;
      for (const change of changes) {
        if (change.ignored && !watch.includeIgnored) continue;
        if (watch.matches && !watch.matches(change.path)) continue;
        watch.pending.add({ repositoryId: change.repositoryId, path: change.path, type: change.type } satisfies FileChange);
        added = true;
      }
      if (added) this.scheduleFlush(watch);
    }
    // What git ignores is not in the diff, so ignored files cannot move it.
    if (tracked) entry.diff.changed();
  }

  private scheduleFlush(watch: Watch): void {
    if (watch.timer || watch.state !== 'active') return;
    // The first change after a quiet spell goes out at once; later ones wait out the rest of the window.
    const delay = watch.lastSentAt + this.timing.coalesceMs - Date.now();
    // setTimeout waits at least 1 ms; a change after a quiet spell should not.
    watch.timer = delay > 0 ? setTimeout(() => this.flush(watch), delay) : setImmediate(() => this.flush(watch));
  }

  private flush(watch: Watch): void {
    watch.timer = undefined;
    if (watch.state !== 'active' || watch.pending.empty) return;
    if (watch.owner.backlogBytes() >= this.timing.backlogBytes) {
      // The client is not reading: keep coalescing here (bounded) rather than queueing notifications for it.
      watch.timer = setTimeout(() => this.flush(watch), this.timing.coalesceMs);
      return;
    }
    const { changes, truncated } = watch.pending.take();
    watch.lastSentAt = Date.now();
    watch.owner.changed({ watchId: watch.id, workspaceId: watch.workspaceId, changes, ...(truncated ? { truncated: true as const } : {}) });
  }

  private failWorkspace(workspaceId: string, reason: string): void {
    const entry = this.workspaces.get(workspaceId);
    if (!entry) return;
    for (const watch of [...entry.watches]) {
      watch.failed = true;
      this.end(watch, reason);
    }
  }

  /** Follow workspace state changes in the event log while any watch exists. */
  private watchLifecycle(): void {
    if (this.lifecycle || this.closed) return;
    const subscription = this.hub.subscribe({ kinds: ['workspace/updated', 'workspace/deleted'] }, undefined, {
      send: (event) => {
        this.onLifecycle(event);
        return true;
      },
    });
    this.lifecycle = subscription;
    subscription.start();
  }

  private stopWatchingLifecycle(): void {
    if (!this.lifecycle) return;
    this.hub.unsubscribe(this.lifecycle.id);
    this.lifecycle = undefined;
  }

  private onLifecycle(event: WireEvent): void {
    if (!this.workspaces.size) return;
    let parsed: { kind?: string; data?: { workspaceId?: string; workspace?: { id?: string; state?: string } } };
    try {
      parsed = JSON.parse(event.json) as typeof parsed;
    } catch {
      return;
    }
    const workspaceId = parsed.kind === 'workspace/deleted' ? parsed.data?.workspaceId : parsed.data?.workspace?.id;
    if (!workspaceId || !this.workspaces.has(workspaceId)) return;
    const reason = parsed.kind === 'workspace/deleted' ? 'workspace deleted' : endReasonForState(parsed.data?.workspace?.state);
    if (reason) this.endWorkspace(workspaceId, reason);
  }
}

function cancelFlush(watch: Watch): void {
  const timer = watch.timer;
  watch.timer = undefined;
  if (!timer) return;
  if ('refresh' in timer) clearTimeout(timer);
  else clearImmediate(timer as NodeJS.Immediate);
}

/** Why a watch ends when its workspace enters `state`; null while it stays watchable. */
export function endReasonForState(state: string | undefined): string | null {
  if (state === undefined || isWatchableState(state)) return null;
  // `cleaning` is the first step of a deletion: end before the worktrees are removed, not after a storm of deletions.
  if (state === 'cleaning') return 'workspace deleted';
  return `workspace ${state}`;
}

/** fs/watch is allowed on a workspace in this state. */
export function isWatchableState(state: string): boolean {
  return state === 'active' || state === 'merging';
}

/**
 * A predicate for `globs` (null: everything). Globs match the whole path relative to the worktree (`*.ts` only at the
 * top, `**\/*.ts` anywhere); `!pattern` excludes; a pattern without glob characters names a path and all below it.
 */
export function globMatcher(globs: readonly string[] | undefined): ((path: string) => boolean) | null {
  if (!globs?.length) return null;
  const compile = (pattern: string): ((path: string) => boolean) => {
    if (!isGlob(pattern)) {
      const prefix = pattern.replace(/\/+$/, '');
      return (path) => path === prefix || path.startsWith(`${prefix}/`);
    }
    const regex = globToRegExp(pattern);
    return (path) => regex.test(path);
  };
  const include = globs.filter((g) => !g.startsWith('!')).map(compile);
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => compile(g.slice(1)));
  return (path) => (!include.length || include.some((match) => match(path))) && !exclude.some((match) => match(path));
}
