// Before `orchd run` starts the agent: check the agent, find (or create) the project for the repository, then a
// task and its workspace. Everything goes through the protocol; only finding the repository's top level is local.
import { realpath } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Project } from '../../../protocol/project.js';
import type { Task } from '../../../protocol/task.js';
import type { Workspace } from '../../../protocol/workspace.js';
import { repositoryRoot } from '../../git/repo.js';
import type { DaemonClient } from '../local-daemon.js';

/** A mistake in what the person typed: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** The task title: the prompt's first non-blank line, at most 80 characters. */
export function taskTitle(prompt: string): string {
  const first = prompt.split('\n').find((line) => line.trim()) ?? prompt;
  return first.trim().slice(0, 80).trim() || 'orchd run';
}

/** Refuse an agent orchd does not know (a usage error) or whose CLI is not installed (with what to install). */
export async function checkAgent(daemon: DaemonClient, agent: string): Promise<void> {
  const { executors } = await daemon.request('executor/list');
  const executor = executors.find((e) => e.id === agent);
  if (!executor) throw new UsageError(`Expected \`--agent\` to be one of ${executors.map((e) => `\`${e.id}\``).join(', ')}, got \`${agent}\``);
  if (!executor.available) throw new Error(`The agent \`${agent}\` is not available${executor.hint ? `: ${executor.hint}` : ''}`);
}

/** The project whose repositories include this repository's top level, else a new one named after its directory. */
export async function findOrCreateProject(daemon: DaemonClient, repo: string): Promise<{ project: Project; created: boolean }> {
  const path = resolve(repo);
  const top = await topLevel(path);
  if (top) {
    const { projects } = await daemon.request('project/list');
    const project = projects.find((p) => p.repositories.some((r) => r.path === top));
    if (project) return { project, created: false };
  }
  // Not a repository (or not found): project/create says so in the protocol's words.
  const project = (await daemon.request('project/create', { name: basename(top ?? path), repositories: [{ path }] })).project;
  return { project, created: true };
}

async function topLevel(path: string): Promise<string | null> {
  try {
    return await repositoryRoot(await realpath(path));
  } catch {
    return null;
  }
}

/** A task for the prompt and its workspace; the task is removed again when the workspace cannot be created. */
export async function createTaskAndWorkspace(daemon: DaemonClient, projectId: string, prompt: string, baseBranch: string | undefined): Promise<{ task: Task; workspace: Workspace }> {
  const task = (await daemon.request('task/create', { projectId, title: taskTitle(prompt), description: prompt })).task;
  try {
    const workspace = (await daemon.request('workspace/create', { taskId: task.id, ...(baseBranch !== undefined ? { baseBranch } : {}) })).workspace;
    return { task, workspace };
  } catch (error) {
    await daemon.request('task/delete', { taskId: task.id }).catch(() => {});
    throw error;
  }
}

/** Remove a workspace and task that never ran anything (session/start was refused). */
export async function discardWorkspace(daemon: DaemonClient, workspace: Workspace): Promise<void> {
  await daemon.request('workspace/delete', { workspaceId: workspace.id, force: true, deleteBranches: true }).catch(() => {});
  await daemon.request('task/delete', { taskId: workspace.taskId }).catch(() => {});
}
