// terminal/* handlers: thin adapters over src/terminals/service.ts.
import { createTerminal, getTerminal, inputTerminal, killTerminal, listTerminals, resizeTerminal, terminalOutput } from '../../terminals/service.js';
import type { Handlers } from '../context.js';

export const terminalHandlers: Pick<Handlers, 'terminal/create' | 'terminal/input' | 'terminal/resize' | 'terminal/kill' | 'terminal/list' | 'terminal/get' | 'terminal/output'> = {
  'terminal/create': async (params, { engine }) => ({ terminal: await createTerminal(engine, params) }),
  'terminal/input': async ({ terminalId, data }, { engine }) => ({ bytes: await inputTerminal(engine, terminalId, data) }),
  'terminal/resize': async ({ terminalId, cols, rows }, { engine }) => ({ terminal: await resizeTerminal(engine, terminalId, cols, rows) }),
  'terminal/kill': async ({ terminalId, signal }, { engine }) => ({ terminal: await killTerminal(engine, terminalId, signal) }),
  'terminal/list': async (params, { engine }) => ({ terminals: await listTerminals(engine, params) }),
  'terminal/get': async ({ terminalId }, { engine }) => ({ terminal: await getTerminal(engine, terminalId) }),
  'terminal/output': ({ terminalId, sinceSeq }, { engine }) => terminalOutput(engine, terminalId, sinceSeq),
};
