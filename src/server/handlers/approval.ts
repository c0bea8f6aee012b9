// approval/* and executor/list handlers: thin adapters to src/approvals/ and src/executors/.
import { listApprovals, respondToApproval } from '../../approvals/service.js';
import { describeExecutors } from '../../executors/registry.js';
import type { Handlers } from '../context.js';

export const approvalHandlers: Pick<Handlers, 'approval/list' | 'approval/respond' | 'executor/list'> = {
  'approval/list': async (params, { engine }) => ({ approvals: await listApprovals(engine, { sessionId: params?.sessionId, status: params?.status }) }),
  'approval/respond': async (params, { engine, client }) => ({ approval: await respondToApproval(engine, params, `client:${client.clientInfo?.name ?? client.id}`) }),
  'executor/list': async () => ({ executors: await describeExecutors() }),
};
