// config/* handlers: thin adapters over src/config/.
import { OrchdError } from '../../errors.js';
import type { Handlers } from '../context.js';

const pending = (method: string) => () => {
  throw OrchdError.invalidState(`${method} is being built`);
};

export const configHandlers: Pick<Handlers, 'config/get' | 'config/update'> = {
  'config/get': pending('config/get'),
  'config/update': pending('config/update'),
};
