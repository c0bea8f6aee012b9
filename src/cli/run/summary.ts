// The end of `orchd run`: what changed, where it lives, and how to merge it. Gathered through the protocol
// (`workspace/diff`, `git/log`), printed as words or as one JSON line.
import type { Workspace, WorkspaceDiffResult } from '../../../protocol/workspace.js';
import type { DaemonClient } from '../local-daemon.js';
import { formatElapsed, type Style } from './style.js';

export type RunStatus = 'completed' | 'failed' | 'stopped' | 'notStarted';

export interface SummaryCommit {
  repositoryId: string;
  repository: string;
  oid: string;
  subject: string;
}

export interface RunSummary {
  status: RunStatus;
  /** Why it failed or stopped, in words. */
  reason: string | null;
  exitCode: number;
  agent: string;
  elapsedMs: number;
  projectId: string;
  taskId: string;
  sessionId: string | null;
  workspace: Workspace;
  diff: WorkspaceDiffResult | null;
  commits: SummaryCommit[];
}

/** The diff against the base and the commits on the workspace branch since it forked (newest first). */
export async function collectChanges(daemon: DaemonClient, workspace: Workspace): Promise<{ diff: WorkspaceDiffResult | null; commits: SummaryCommit[] }> {
  const diff = (await daemon.request('workspace/diff', { workspaceId: workspace.id, against: 'base' }).catch(() => null)) as WorkspaceDiffResult | null;
  const commits: SummaryCommit[] = [];
  for (const repository of workspace.repositories) {
    const log = await daemon.request('git/log', { workspaceId: workspace.id, repositoryId: repository.repositoryId, limit: 50 }).catch(() => null);
    for (const commit of log?.commits ?? []) {
      if (commit.oid === repository.baseOid) break;
      commits.push({ repositoryId: repository.repositoryId, repository: repository.name, oid: commit.oid, subject: commit.subject });
    }
  }
  return { diff, commits };
}

const FILE_STATUS: Record<string, string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C', typeChanged: 'T' };

/** The summary in words, one fact per line. */
export function formatSummary(summary: RunSummary, style: Style): string {
  const lines: string[] = [];
  const label = (name: string) => style.bold(name.padEnd(9));
  const headline = { completed: 'completed', failed: 'failed', stopped: 'stopped', notStarted: 'did not start' }[summary.status];
  const paint = summary.status === 'completed' ? style.green : summary.status === 'stopped' ? style.yellow : style.red;
  lines.push('', paint(`── ${summary.agent} ${headline} after ${formatElapsed(summary.elapsedMs)}${summary.reason ? `: ${summary.reason}` : ''} ──`));

  const { workspace, diff } = summary;
  const multi = workspace.repositories.length > 1;
  if (!diff) lines.push(`${label('Changes')} unknown (workspace/diff failed)`);
  else if (diff.stats.files === 0) lines.push(`${label('Changes')} none`);
  else {
    lines.push(`${label('Changes')} ${diff.stats.files} file${diff.stats.files === 1 ? '' : 's'} changed, ${style.green(`+${diff.stats.additions}`)} ${style.red(`−${diff.stats.deletions}`)}`);
    for (const repository of diff.repositories) {
      for (const file of repository.files) {
        const path = `${multi ? `${repository.name}/` : ''}${file.oldPath ? `${file.oldPath} → ` : ''}${file.path}`;
        const counts = file.binary ? 'binary' : `+${file.additions} −${file.deletions}`;
        lines.push(`${' '.repeat(10)}${FILE_STATUS[file.status] ?? '?'} ${path}  ${style.dim(counts)}`);
      }
    }
  }
  const bases = [...new Set(workspace.repositories.map((r) => r.baseBranch))];
  lines.push(`${label('Branch')} ${workspace.branch}${bases.length ? `  (from ${bases.join(', ')})` : ''}`);
  if (multi) {
    lines.push(`${label('Worktrees')}`);
    for (const repository of workspace.repositories) lines.push(`${' '.repeat(10)}${repository.name}  ${repository.path}`);
  } else {
    lines.push(`${label('Worktree')} ${workspace.repositories[0]?.path ?? workspace.path}`);
  }
  if (summary.commits.length === 0) lines.push(`${label('Commits')} none`);
  for (const [index, commit] of summary.commits.entries()) {
    lines.push(`${index === 0 ? label('Commits') : ' '.repeat(9)} ${commit.oid.slice(0, 7)} ${multi ? `${commit.repository}: ` : ''}${commit.subject}`);
  }
  if (diff && diff.stats.files === 0 && summary.commits.length === 0) lines.push(`${label('Merge')} nothing to merge`);
  else lines.push(`${label('Merge')} ${style.bold(`orchd merge ${workspace.id}`)}   ${style.dim('(or the protocol method workspace/merge)')}`);
  return `${lines.join('\n')}\n`;
}

/** The summary as the last `--json` line. */
export function summaryRecord(summary: RunSummary): Record<string, unknown> {
  return {
    type: 'summary',
    status: summary.status,
    reason: summary.reason,
    exitCode: summary.exitCode,
    agent: summary.agent,
    elapsedMs: summary.elapsedMs,
    projectId: summary.projectId,
    taskId: summary.taskId,
    workspaceId: summary.workspace.id,
    sessionId: summary.sessionId,
    branch: summary.workspace.branch,
    repositories: summary.workspace.repositories.map((r) => ({ repositoryId: r.repositoryId, name: r.name, worktree: r.path, branch: r.branch, baseBranch: r.baseBranch })),
    diff: summary.diff,
    commits: summary.commits,
    merge: { command: `orchd merge ${summary.workspace.id}`, method: 'workspace/merge', params: { workspaceId: summary.workspace.id } },
  };
}
