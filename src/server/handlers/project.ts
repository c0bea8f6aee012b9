// project/* handlers: thin adapters from params to src/projects/service.ts.
import { createProject, deleteProject, getProject, listProjects, updateProject } from '../../projects/service.js';
import type { Handlers } from '../context.js';

export const projectHandlers: Pick<Handlers, 'project/create' | 'project/list' | 'project/get' | 'project/update' | 'project/delete'> = {
  'project/create': async (params, { engine }) => ({ project: await createProject(engine, params) }),
  'project/list': (_params, { engine }) => ({ projects: listProjects(engine) }),
  'project/get': async (params, { engine }) => ({ project: await getProject(engine, params.projectId) }),
  'project/update': async (params, { engine }) => ({ project: await updateProject(engine, params) }),
  'project/delete': async (params, { engine }) => {
    await deleteProject(engine, params);
    return { ok: true };
  },
};
