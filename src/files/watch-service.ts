// fs/watch and fs/unwatch in engine terms: which workspaces may be watched, what its watcher watches, how its live diff
// is computed (the numbers behind `workspace/diff`), and the race with a workspace that goes away meanwhile.
import type { FsWatchParams } from '../../protocol/fs.js';
import type { Workspace } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { isOrchdError, OrchdError } from '../errors.js';
import { diffWorkspace, getWorkspace } from '../workspaces/service.js';
import type { DiffSnapshot } from './live-diff.js';
import { WorkspaceWatcher } from './watcher.js';
import { endReasonForState, isWatchableState, type WatchOwner } from './watches.js';

/**
 * Start a watch owned by `owner`; resolves once the workspace's watcher has walked its worktrees, so every change made
 * after the reply is reported. invalidState unless the workspace is `active` or `merging`.
 */
export async function watchWorkspace(engine: Engine, params: FsWatchParams, owner: WatchOwner): Promise<{ watchId: string }> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  assertWatchable(workspace);
  const roots = workspace.repositories.map((r) => ({ repositoryId: r.repositoryId, path: r.path }));
  const watch = engine.watches.add({
    workspaceId: workspace.id,
    owner,
    globs: params.globs,
    includeIgnored: params.includeIgnored,
    diff: params.diff,
    createWatcher: (handlers) => new WorkspaceWatcher({ roots, logger: engine.logger, ...handlers }),
    computeDiff: (signal) => diffStats(engine, workspace.id, signal),
  });
  try {
    await engine.watches.settled(watch);
    // The workspace may have been deleted or archived while the watcher walked it (the registry ends its watches on
    // the event; this read covers a change committed before the watch was registered).
    const latest = await getWorkspace(engine, workspace.id).catch((error: unknown) => {
      if (isOrchdError(error, 'notFound')) return null;
      throw error;
    });
    if (watch.state === 'starting' && (!latest || !isWatchableState(latest.state))) {
      engine.watches.end(watch, endReasonForState(latest?.state ?? 'deleted') ?? 'workspace deleted');
    }
  } catch (error) {
    engine.watches.end(watch, null);
    throw error;
  }
  if (watch.state === 'ended' && !watch.failed) {
    throw OrchdError.invalidState(`Expected workspace \`${workspace.id}\` to stay watchable, but it ended while the watch started (${watch.endReason ?? 'connection closed'})`, {
      workspaceId: workspace.id,
      reason: watch.endReason,
    });
  }
  if (watch.state === 'ended') {
    // The watcher failed while it walked the worktrees: the watch existed, so it is announced, then ended.
    const ended = { watchId: watch.id, workspaceId: workspace.id, reason: watch.endReason ?? 'watcher failed' };
    setImmediate(() => owner.ended(ended));
    return { watchId: watch.id };
  }
  engine.watches.activate(watch);
  return { watchId: watch.id };
}

/** fs/unwatch: notFound unless this owner has a watch with that id. */
export function unwatch(engine: Engine, watchId: string, owner: WatchOwner): void {
  if (!engine.watches.unwatch(watchId, owner)) throw OrchdError.notFound('watch', watchId);
}

function assertWatchable(workspace: Workspace): void {
  if (isWatchableState(workspace.state)) return;
  throw OrchdError.invalidState(`Expected workspace \`${workspace.id}\` to be \`active\` or \`merging\` to watch it, got \`${workspace.state}\``, {
    workspaceId: workspace.id,
    state: workspace.state,
  });
}

/** The numbers of `workspace/diff` against the base (numstat only, never the text). */
async function diffStats(engine: Engine, workspaceId: string, signal: AbortSignal): Promise<DiffSnapshot> {
  const diff = await diffWorkspace(engine, { workspaceId, against: 'base' }, { signal });
  return { stats: diff.stats, repositories: diff.repositories.map((r) => ({ repositoryId: r.repositoryId, stats: r.stats })) };
}

