// task/* handlers: thin adapters from params to src/tasks/service.ts.
import { createTask, deleteTask, getTask, listTasks, updateTask } from '../../tasks/service.js';
import type { Handlers } from '../context.js';

export const taskHandlers: Pick<Handlers, 'task/create' | 'task/list' | 'task/get' | 'task/update' | 'task/delete'> = {
  'task/create': (params, { engine }) => createTask(engine, params),
  'task/list': async (params, { engine }) => ({ tasks: await listTasks(engine, { projectId: params?.projectId, status: params?.status }) }),
  'task/get': (params, { engine }) => getTask(engine, params.taskId),
  'task/update': (params, { engine }) => updateTask(engine, params),
  'task/delete': async (params, { engine }) => {
    await deleteTask(engine, params);
    return { ok: true };
  },
};
