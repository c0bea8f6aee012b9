// The environment of every process orchd starts in a workspace: it names the workspace and gives it ports.
import type { Workspace } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { PORTS_PER_WORKSPACE } from './ports.js';

/** Variables that must never leak from the daemon into children (they steer git or orchd itself). */
const SCRUBBED = ['LOCAL_GIT_DIRECTORY', 'GIT_EXEC_PATH', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'ORCHD_CHECK_RESULTS'];

/** The daemon's environment plus the workspace's variables (its port block comes from the engine). */
export async function workspaceEnvironment(engine: Pick<Engine, 'ports'>, workspace: Workspace, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !SCRUBBED.includes(key)) env[key] = value;
  const port = await engine.ports.blockFor(workspace.id);
  const first = workspace.repositories[0];
  Object.assign(env, {
    ORCHD_WORKSPACE_ID: workspace.id,
    ORCHD_WORKSPACE_BRANCH: workspace.branch,
    ORCHD_WORKSPACE_PATH: workspace.path,
    ORCHD_TASK_ID: workspace.taskId,
    ORCHD_PROJECT_ID: workspace.projectId,
    ORCHD_PROJECT_ROOT: first?.sourcePath ?? '',
    ORCHD_PORT: String(port),
    ORCHD_PORTS: `${port}-${port + PORTS_PER_WORKSPACE - 1}`,
    ...extra,
  });
  return env;
}
