// The one wiring table: every client request in protocol/methods.ts maps to exactly one handler here.
import type { Handlers } from '../context.js';
import { approvalHandlers } from './approval.js';
import { configHandlers } from './config.js';
import { daemonHandlers } from './daemon.js';
import { fsHandlers } from './fs.js';
import { fsSearchHandlers } from './fs-search.js';
import { fsWatchHandlers } from './fs-watch.js';
import { eventHandlers } from './events.js';
import { gitHandlers } from './git.js';
import { lifecycleHandlers } from './lifecycle.js';
import { maintenanceHandlers } from './maintenance.js';
import { projectHandlers } from './project.js';
import { taskHandlers } from './task.js';
import { terminalHandlers } from './terminal.js';
import { sessionHandlers } from './session.js';
import { workspaceControlHandlers, workspaceHandlers } from './workspace.js';

export const HANDLERS: Handlers = {
  ...lifecycleHandlers,
  ...projectHandlers,
  ...taskHandlers,
  ...workspaceHandlers,
  ...workspaceControlHandlers,
  ...sessionHandlers,
  ...gitHandlers,
  ...eventHandlers,
  ...approvalHandlers,
  ...maintenanceHandlers,
  ...daemonHandlers,
  ...terminalHandlers,
  ...fsHandlers,
  ...fsSearchHandlers,
  ...fsWatchHandlers,
  ...configHandlers,
};
