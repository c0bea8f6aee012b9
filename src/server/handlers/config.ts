// config/* handlers: thin adapters over src/config/.
import { getConfig, updateProjectConfig, updateUserConfig } from '../../config/operations.js';
import { OrchdError } from '../../errors.js';
import type { Handlers } from '../context.js';

export const configHandlers: Pick<Handlers, 'config/get' | 'config/update'> = {
  'config/get': (params, { engine }) => getConfig(engine, params?.projectId),
  'config/update': (params, { engine }) => {
    if (params.scope === 'user') return updateUserConfig(engine, params.patch, params.projectId);
    if (params.projectId === undefined) throw OrchdError.invalidParams('projectId', 'Expected `projectId` with scope `project`, got none');
    return updateProjectConfig(engine, params.projectId, params.patch);
  },
};
