// Start-up reconciliation: make the workspace rows, the directories under <dataDir>/worktrees and git's worktree
// registrations agree again after a crash or after someone deleted things behind orchd's back.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Workspace } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { transact } from '../events/unit-of-work.js';
import { revParse } from '../git/repo.js';
import { pruneWorktrees } from '../git/worktree.js';
import { assertInsideWorktrees, worktreesRoot } from '../worktrees/layout.js';
import { deleteWorktree, restoreWorktree } from '../worktrees/manager.js';
import { scopeOf, setWorkspaceState } from './service.js';
import { loadWorkspaces } from './store.js';

export interface ReconcileReport {
  actions: { workspaceId: string | null; action: string; detail: string }[];
}

/** Repair what a crash or a manual deletion left inconsistent; every repair is an event. */
export async function reconcileWorkspaces(engine: Engine): Promise<ReconcileReport> {
  const report: ReconcileReport = { actions: [] };
  const record = async (workspace: Workspace | null, action: string, detail: string) => {
    report.actions.push({ workspaceId: workspace?.id ?? null, action, detail });
    engine.logger.info('reconciled', { workspaceId: workspace?.id, action, detail });
    await transact(engine, async (_trx, emit) =>
      emit('workspace/reconciled', { workspaceId: workspace?.id ?? null, action, detail }, workspace ? scopeOf(workspace) : {}),
    );
  };
  const deps = { locks: engine.locks, logger: engine.logger, dataDir: engine.dataDir };

  // Registrations whose directories are gone: let git forget them first.
  const sources = await engine.store.db.selectFrom('repositories').select('path').distinct().execute();
  for (const { path } of sources) if (existsSync(path)) await pruneWorktrees(path).catch(() => {});

  const workspaces = await loadWorkspaces(engine.store.db);
  for (const workspace of workspaces) {
    if (workspace.state === 'creating' || workspace.state === 'cleaning') {
      // Interrupted half-way: finish the removal.
      for (const r of workspace.repositories) {
        await deleteWorktree(deps, { sourcePath: r.sourcePath, worktreePath: r.path, branch: r.branch, deleteBranch: workspace.state === 'creating' }).catch(() => {});
      }
      await rm(assertInsideWorktrees(engine.dataDir, workspace.path), { recursive: true, force: true });
      await transact(engine, async (trx, emit) => {
        await trx.deleteFrom('workspaces').where('id', '=', workspace.id).execute();
        emit('workspace/deleted', { workspaceId: workspace.id, taskId: workspace.taskId, projectId: workspace.projectId, reason: 'reconciled' }, scopeOf(workspace));
      });
      await record(workspace, 'removedInterrupted', `workspace was left in \`${workspace.state}\``);
      continue;
    }
    if (workspace.state === 'merging') {
      // A merge either moved the base branch or did not; nothing is half-done on disk, so the workspace is usable again.
      await setWorkspaceState(engine, workspace, 'active');
      await record(workspace, 'mergeInterrupted', 'state returned to `active`');
    }
    if (workspace.state === 'archived') continue;
    for (const r of workspace.repositories) {
      if (existsSync(join(r.path, '.git'))) continue;
      const branchExists = await revParse(r.sourcePath, { ref: `refs/heads/${r.branch}`, field: 'branch' }).then(
        () => true,
        () => false,
      );
      if (branchExists) {
        await restoreWorktree(deps, { sourcePath: r.sourcePath, worktreePath: r.path, branch: r.branch });
        await record(workspace, 'restoredWorktree', `re-created the vanished worktree of \`${r.name}\` on \`${r.branch}\``);
      } else {
        await setWorkspaceState(engine, workspace, 'archived', { archivedAt: new Date().toISOString() });
        await record(workspace, 'archivedMissing', `the worktree of \`${r.name}\` and its branch \`${r.branch}\` are gone`);
        break;
      }
    }
  }

  // Directories under worktrees/ that no workspace owns (a crash between mkdir and the row's commit).
  const root = worktreesRoot(engine.dataDir);
  const known = new Set(workspaces.map((w) => resolve(w.path)));
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const dir = resolve(join(root, entry.name));
    if (!entry.isDirectory() || known.has(dir)) continue;
    await rm(assertInsideWorktrees(engine.dataDir, dir), { recursive: true, force: true });
    await record(null, 'removedOrphanDirectory', `removed \`${dir}\`, which no workspace owns`);
  }
  if (report.actions.some((a) => a.action === 'removedOrphanDirectory')) {
    for (const { path } of sources) if (existsSync(path)) await pruneWorktrees(path).catch(() => {});
  }
  // Port blocks belong to live workspaces only: none survives a workspace removed or archived above.
  const live = await loadWorkspaces(engine.store.db, { states: ['creating', 'active', 'merging'] });
  engine.ports.retainOnly(live.map((w) => w.id));
  return report;
}
