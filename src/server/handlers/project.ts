// project/* handlers: thin adapters from params to src/projects/service.ts.
import { createProject, deleteProject, getProject, listProjects, updateProject } from '../../projects/service.js';
import type { Handlers } from '../context.js';

export const projectHandlers: Pick<Handlers, 'project/create' | 'project/list' | 'project/get' | 'project/update' | 'project/delete'> = {
  'project/create': (params, { engine }) => createProject(engine, params),
  'project/list': async (_params, { engine }) => ({ projects: await listProjects(engine) }),
  'project/get': (params, { engine }) => getProject(engine, params.projectId),
  'project/update': (params, { engine }) => updateProject(engine, params),
  'project/delete': async (params, { engine }) => {
    await deleteProject(engine, params);
    return { ok: true };
  },
};
