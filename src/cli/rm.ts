// `orchd rm WORKSPACE_ID...`: stop what runs in a workspace, run its archive scripts (the project's teardown, e.g.
// `docker compose down`), then remove its worktrees and branch, all through the protocol (`workspace/archive`,
// `workspace/delete`). It asks first on a terminal; `--yes` skips the question but never loses uncommitted work,
// `--force` does. `orchd merge --cleanup` removes the same way after a merge.
import { createInterface } from 'node:readline';
import { ResponseError } from 'vscode-jsonrpc/node';
import type { Workspace } from '../../protocol/workspace.js';
import type { RmArgs } from './args.js';
import { CliError, resolveWorkspace } from './ids.js';
import { connectOrReport, describeError, type DaemonClient } from './local-daemon.js';
import { describeInCliWords, WORKSPACE_WORDS } from './words.js';

export interface RmCommandOptions extends RmArgs {
  version: string;
  write?: (text: string) => void;
  /** Whether a person can be asked (default: stdin is a terminal). */
  interactive?: boolean;
  /** Ask one yes/no question; null when stdin ended (default: a line from stdin, the question on stderr). */
  ask?: (question: string) => Promise<string | null>;
}

/** The exit code when rm would have to ask and cannot (no terminal, no --yes): a usage mistake, nothing removed. */
export const EXIT_CANNOT_ASK = 2;

/** What a person should know before a workspace is removed. */
export interface RemovalFacts {
  workspace: Workspace;
  task: string | null;
  /** Files with uncommitted changes, untracked ones included, over every worktree; null when git could not tell. */
  uncommitted: number | null;
  running: boolean;
}

/** Remove the workspaces; resolves with the exit code (0 all removed, 1 one was kept or failed, 2 nobody to ask). */
export async function rmCommand(options: RmCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const interactive = options.interactive ?? Boolean(process.stdin.isTTY);
  const ask = options.ask ?? askOnTerminal;
  const unattended = options.yes || options.force;
  if (!unattended && !interactive) {
    process.stderr.write('orchd: rm asks before it removes a workspace, and stdin is not a terminal: pass --yes to remove without asking (--force to lose uncommitted changes too)\n');
    return EXIT_CANNOT_ASK;
  }
  const daemon = await connectOrReport({ version: options.version, logLevel: options.logLevel, dataDir: options.dataDir });
  if (!daemon) return 1;
  let code = 0;
  try {
    await daemon.initialize({ clientName: 'orchd-cli', approvals: false });
    // Every id is resolved before anything is removed: a typo removes nothing.
    const workspaces: Workspace[] = [];
    for (const input of options.workspaceIds) {
      const workspace = await resolveWorkspace(daemon, input);
      if (!workspaces.some((w) => w.id === workspace.id)) workspaces.push(workspace);
    }
    for (const workspace of workspaces) {
      const facts = await removalFacts(daemon, workspace);
      if (!unattended) {
        const answer = await ask(removalQuestion(facts, { keepBranch: options.keepBranch }));
        if (!/^y(es)?$/i.test(answer?.trim() ?? '')) {
          process.stderr.write(`orchd: kept ${workspace.id}\n`);
          code = 1;
          continue;
        }
      } else if (!options.force && facts.uncommitted) {
        process.stderr.write(`orchd: ${uncommittedRefusal(workspace, facts.uncommitted)}\n`);
        code = 1;
        continue;
      }
      try {
        // A person who answered yes saw the uncommitted files counted; --yes promises not to lose any.
        await removeWorkspace(daemon, workspace, { deleteBranch: !options.keepBranch, force: options.force || !unattended });
        write(`${describeRemoval(workspace, !options.keepBranch)}\n`);
      } catch (error) {
        process.stderr.write(`orchd: ${describeRemovalError(error, workspace)}\n`);
        code = 1;
      }
    }
    return code;
  } catch (error) {
    process.stderr.write(`orchd: ${describeInCliWords(error, WORKSPACE_WORDS)}\n`);
    return 1;
  } finally {
    await daemon.close();
  }
}

/** The task, the uncommitted files and whether a session runs: what the question tells. */
export async function removalFacts(daemon: DaemonClient, workspace: Workspace): Promise<RemovalFacts> {
  const [task, sessions, uncommitted] = await Promise.all([
    daemon
      .request('task/get', { taskId: workspace.taskId })
      .then((r) => r.task.title)
      .catch(() => null),
    daemon.request('session/list', { workspaceId: workspace.id }).then((r) => r.sessions),
    uncommittedFiles(daemon, workspace),
  ]);
  return { workspace, task, uncommitted, running: sessions.some((s) => s.status === 'running') };
}

/** Files with changes not committed (staged, unstaged, untracked, conflicted) over the workspace's worktrees. */
async function uncommittedFiles(daemon: DaemonClient, workspace: Workspace): Promise<number | null> {
  let total = 0;
  for (const repository of workspace.repositories) {
    try {
      const status = await daemon.request('git/status', { workspaceId: workspace.id, repositoryId: repository.repositoryId });
      const paths = new Set([...status.staged.map((e) => e.path), ...status.unstaged.map((e) => e.path), ...status.untracked, ...status.conflicted]);
      total += paths.size;
    } catch {
      // The worktree is gone or broken: nothing there to lose that git can tell of.
      if (workspace.state !== 'archived') return null;
    }
  }
  return total;
}

/** `Remove workspace ws_… (task "…", branch …, 2 uncommitted files that will be lost)? [y/N] ` */
export function removalQuestion(facts: RemovalFacts, options: { keepBranch: boolean }): string {
  const { workspace } = facts;
  const parts: string[] = [];
  if (facts.task !== null) parts.push(`task "${facts.task}"`);
  parts.push(`branch ${workspace.branch}${options.keepBranch ? ' (kept)' : ''}`);
  if (facts.uncommitted) parts.push(`${facts.uncommitted} uncommitted file${facts.uncommitted === 1 ? '' : 's'} that will be lost`);
  else if (facts.uncommitted === null) parts.push('uncommitted changes unknown');
  if (facts.running) parts.push('its running session is stopped first');
  return `Remove workspace ${workspace.id} (${parts.join(', ')})? [y/N] `;
}

function uncommittedRefusal(workspace: Workspace, files: number): string {
  return `Not removing ${workspace.id}: ${files} uncommitted file${files === 1 ? '' : 's'} would be lost; pass --force to remove ${files === 1 ? 'it' : 'them'} too, or commit first`;
}

/**
 * Stop everything in the workspace and run its archive scripts (`workspace/archive`, when it is active), then remove
 * its worktrees and, with `deleteBranch`, its branch (`workspace/delete`). Without `force`, orchd refuses to lose
 * uncommitted changes (dirtyWorkingTree).
 */
export async function removeWorkspace(daemon: DaemonClient, workspace: Workspace, options: { deleteBranch: boolean; force: boolean }): Promise<void> {
  if (workspace.state === 'active') await daemon.request('workspace/archive', { workspaceId: workspace.id, force: true });
  await daemon.request('workspace/delete', { workspaceId: workspace.id, force: options.force, deleteBranches: options.deleteBranch });
}

/** `removed ws_… (worktree …, branch …)`. */
export function describeRemoval(workspace: Workspace, branchDeleted: boolean): string {
  const worktrees = workspace.repositories.map((r) => r.path);
  const where = worktrees.length === 1 ? `worktree ${worktrees[0]}` : `worktrees ${worktrees.join(', ')}`;
  return `removed ${workspace.id} (${where}; branch ${workspace.branch} ${branchDeleted ? 'deleted' : 'kept'})`;
}

/** A removal's failure in words; orchd's dirtyWorkingTree says which flag makes it go ahead. */
export function describeRemovalError(error: unknown, workspace: Workspace): string {
  if (error instanceof ResponseError && (error.data as { kind?: string } | undefined)?.kind === 'dirtyWorkingTree') {
    const repositories = ((error.data as { repositories?: string[] }).repositories ?? []).join(', ');
    return `Not removing ${workspace.id}: uncommitted changes${repositories ? ` in ${repositories}` : ''} would be lost; pass --force to remove them too, or commit first`;
  }
  if (error instanceof CliError) return error.message;
  return describeInCliWords(error, WORKSPACE_WORDS) || describeError(error);
}

/** One line from stdin after the question on stderr (stdout stays for results). */
function askOnTerminal(question: string): Promise<string | null> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
    let settled = false;
    const finish = (line: string | null) => {
      if (settled) return;
      settled = true;
      rl.close();
      resolve(line);
    };
    rl.once('close', () => finish(null));
    process.stderr.write(question);
    rl.once('line', (line) => finish(line));
  });
}
