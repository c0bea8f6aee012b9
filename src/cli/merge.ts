// `orchd merge <workspaceId>`: `workspace/merge` through an in-process orchd, the result (or the conflicts) in words.
import type { Workspace, WorkspaceMergeResult } from '../../protocol/workspace.js';
import type { MergeArgs } from './args.js';
import { connectOrReport, describeError } from './local-daemon.js';

export interface MergeCommandOptions extends MergeArgs {
  version: string;
  write?: (text: string) => void;
}

/** Merge the workspace; resolves with the exit code (0 merged, 1 conflicts or an error). */
export async function mergeCommand(options: MergeCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const daemon = await connectOrReport({ version: options.version, logLevel: options.logLevel, dataDir: options.dataDir });
  if (!daemon) return 1;
  try {
    await daemon.initialize({ clientName: 'orchd-cli', approvals: false });
    const workspace = (await daemon.request('workspace/get', { workspaceId: options.workspaceId })).workspace;
    const strategy = options.strategy ?? 'merge';
    const result = await daemon.request('workspace/merge', { workspaceId: workspace.id, strategy });
    write(describeMerge(workspace, strategy, result));
    return result.merged ? 0 : 1;
  } catch (error) {
    process.stderr.write(`orchd: ${describeError(error)}\n`);
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
