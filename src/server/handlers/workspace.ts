// workspace/* handlers: thin adapters to src/workspaces/.
import { mergeWorkspace, rebaseWorkspace } from '../../workspaces/merge.js';
import { commitWorkspace, createWorkspace, deleteWorkspace, diffWorkspace, getWorkspace, listWorkspaces, workspaceDiskUsage } from '../../workspaces/service.js';
import { archiveWorkspace, resetWorkspace, runWorkspaceScript, stopWorkspace } from '../../workspaces/control.js';
import type { Handlers } from '../context.js';

type WorkspaceMethods =
  | 'workspace/create'
  | 'workspace/list'
  | 'workspace/get'
  | 'workspace/delete'
  | 'workspace/diff'
  | 'workspace/commit'
  | 'workspace/merge'
  | 'workspace/rebase'
  | 'workspace/diskUsage';

export const workspaceHandlers: Pick<Handlers, WorkspaceMethods> = {
  'workspace/create': async (params, { engine, signal, progress }) => ({ workspace: await createWorkspace(engine, params, { signal, progress }) }),
  'workspace/list': async (params, { engine }) => ({ workspaces: await listWorkspaces(engine, { projectId: params?.projectId, taskId: params?.taskId, states: params?.states }) }),
  'workspace/get': async (params, { engine }) => ({ workspace: await getWorkspace(engine, params.workspaceId) }),
  'workspace/delete': async (params, { engine }) => {
    await deleteWorkspace(engine, params);
    return { ok: true };
  },
  'workspace/diff': (params, { engine, signal }) => diffWorkspace(engine, params, { signal }),
  'workspace/commit': (params, { engine }) => commitWorkspace(engine, params),
  'workspace/merge': (params, { engine, signal, progress }) => mergeWorkspace(engine, params, { signal, progress }),
  'workspace/rebase': (params, { engine, signal, progress }) => rebaseWorkspace(engine, params, { signal, progress }),
  'workspace/diskUsage': (params, { engine }) => workspaceDiskUsage(engine, params.workspaceId),
};

export const workspaceControlHandlers: Pick<Handlers, 'workspace/stop' | 'workspace/runScript' | 'workspace/reset' | 'workspace/archive'> = {
  'workspace/stop': (params, { engine }) => stopWorkspace(engine, params),
  'workspace/runScript': (params, { engine }) => runWorkspaceScript(engine, params),
  'workspace/reset': (params, { engine }) => resetWorkspace(engine, params),
  'workspace/archive': async (params, { engine }) => ({ workspace: await archiveWorkspace(engine, params) }),
};
