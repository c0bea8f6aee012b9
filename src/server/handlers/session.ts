// session/* and execution/* handlers: thin adapters to src/sessions/ and src/executions/.
import { OrchdError } from '../../errors.js';
import { readExecutionLogs } from '../../executions/logs.js';
import { stopExecution } from '../../executions/runner.js';
import { loadExecution } from '../../executions/store.js';
import { followUp, getSession, listExecutions, listSessions, sessionQueue, startSession, stopSession } from '../../sessions/service.js';
import { sessionEntries } from '../../sessions/entries.js';
import { sessionUsage } from '../../sessions/usage.js';
import type { Handlers } from '../context.js';

type Methods =
  | 'session/start'
  | 'session/followUp'
  | 'session/queue'
  | 'session/stop'
  | 'session/list'
  | 'session/get'
  | 'session/entries'
  | 'execution/list'
  | 'execution/get'
  | 'execution/stop'
  | 'execution/logs';

export const sessionHandlers: Pick<Handlers, Methods> = {
  'session/start': async (params, { engine }) => ({ session: await startSession(engine, params) }),
  'session/followUp': (params, { engine }) => followUp(engine, params),
  'session/queue': (params, { engine }) => sessionQueue(engine, params),
  'session/stop': (params, { engine }) => stopSession(engine, params.sessionId),
  'session/list': async (params, { engine }) => ({ sessions: await listSessions(engine, params?.workspaceId) }),
  'session/get': async (params, { engine }) => {
    const session = await getSession(engine, params.sessionId);
    return { session: { ...session, usage: await sessionUsage(engine, session.id) } };
  },
  'session/entries': (params, { engine }) => sessionEntries(engine, params),
  'execution/list': async (params, { engine }) => ({ executions: await listExecutions(engine, { workspaceId: params?.workspaceId, sessionId: params?.sessionId, status: params?.status }) }),
  'execution/get': async (params, { engine }) => {
    const execution = await loadExecution(engine.store.db, params.executionId);
    if (!execution) throw OrchdError.notFound('execution', params.executionId);
    return { execution };
  },
  'execution/stop': (params, { engine }) => stopExecution(engine, params.executionId, 'stopped by request'),
  'execution/logs': (params, { engine }) => readExecutionLogs(engine, params),
};
