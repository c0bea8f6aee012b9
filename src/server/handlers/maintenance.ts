// maintenance/* handlers: thin adapters to src/maintenance/.
import { compactEventLog } from '../../maintenance/compact.js';
import type { Handlers } from '../context.js';

export const maintenanceHandlers: Pick<Handlers, 'maintenance/compact'> = {
  'maintenance/compact': async (params, { engine }) => ({ compaction: await compactEventLog(engine, { projectId: params.projectId, dryRun: params.dryRun }) }),
};
