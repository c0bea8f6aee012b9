// `orchd merge <workspaceId>`: `workspace/merge` through orchd, the result (or the conflicts) in words; with
// `--cleanup`, a successful merge is followed by removing the worktree and the branch, as `orchd rm` does.
import type { Workspace, WorkspaceMergeResult } from '../../protocol/workspace.js';
import type { MergeArgs } from './args.js';
import { resolveWorkspace } from './ids.js';
import { connectOrReport } from './local-daemon.js';
import { describeRemoval, describeRemovalError, removeWorkspace } from './rm.js';
import { describeInCliWords, WORKSPACE_WORDS } from './words.js';

export interface MergeCommandOptions extends MergeArgs {
  version: string;
  write?: (text: string) => void;
}

/** Merge the workspace (and with --cleanup remove it); resolves with the exit code (0 merged, 1 conflicts or an error). */
export async function mergeCommand(options: MergeCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const daemon = await connectOrReport({ version: options.version, logLevel: options.logLevel, dataDir: options.dataDir });
  if (!daemon) return 1;
  try {
    await daemon.initialize({ clientName: 'orchd-cli', approvals: false });
    const workspace = await resolveWorkspace(daemon, options.workspaceId);
    const strategy = options.strategy ?? 'merge';
    const result = await daemon.request('workspace/merge', { workspaceId: workspace.id, strategy });
    write(describeMerge(workspace, strategy, result));
    if (!result.merged) return 1;
    if (!options.cleanup) return 0;
    try {
      // Merged, so the branch's commits are in the base branch; uncommitted changes would have stopped the merge.
      await removeWorkspace(daemon, workspace, { deleteBranch: true, force: false });
      write(`${describeRemoval(workspace, true)}\n`);
      return 0;
    } catch (error) {
      process.stderr.write(`orchd: merged, but the cleanup failed: ${describeRemovalError(error, workspace)}\n`);
      return 1;
    }
  } catch (error) {
    process.stderr.write(`orchd: ${describeInCliWords(error, WORKSPACE_WORDS)}\n`);
    return 1;
  } finally {
    await daemon.close();
  }
}

/** The merge result in words: what moved where, or which files conflict. */
export function describeMerge(workspace: Workspace, strategy: string, result: WorkspaceMergeResult): string {
  const lines: string[] = [];
  if (result.merged) {
    for (const merged of result.repositories) {
      const repository = workspace.repositories.find((r) => r.repositoryId === merged.repositoryId);
      const name = workspace.repositories.length > 1 && repository ? `${repository.name}: ` : '';
      if (merged.upToDate) lines.push(`${name}${merged.baseBranch} already contains ${workspace.branch}; nothing to merge`);
      else lines.push(`${name}merged ${workspace.branch} into ${merged.baseBranch} (${strategy}), now at ${merged.oid.slice(0, 7)}`);
    }
    return `${lines.join('\n')}\n`;
  }
  lines.push(`Not merged: ${workspace.branch} would conflict with its base branch; nothing was changed.`);
  for (const conflict of result.conflicts) {
    lines.push(`  ${conflict.name}:`);
    for (const file of conflict.files) lines.push(`    ${file}`);
  }
  lines.push(`Rebase the workspace (workspace/rebase) or resolve the conflicts in its worktree, then merge again.`);
  return `${lines.join('\n')}\n`;
}
