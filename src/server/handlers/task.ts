// task/* handlers: thin adapters from params to src/tasks/service.ts.
import { createTask, deleteTask, getTask, listTasks, updateTask } from '../../tasks/service.js';
import type { Handlers } from '../context.js';

export const taskHandlers: Pick<Handlers, 'task/create' | 'task/list' | 'task/get' | 'task/update' | 'task/delete'> = {
  'task/create': async (params, { engine }) => ({ task: await createTask(engine, params) }),
  'task/list': async (params, { engine }) => ({ tasks: await listTasks(engine, { projectId: params?.projectId, status: params?.status }) }),
  'task/get': async (params, { engine }) => ({ task: await getTask(engine, params.taskId) }),
  'task/update': async (params, { engine }) => ({ task: await updateTask(engine, params) }),
  'task/delete': async (params, { engine }) => {
    await deleteTask(engine, params);
    return { ok: true };
  },
};
