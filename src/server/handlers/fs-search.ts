// fs/search and fs/findFiles handlers: thin adapters over src/files/.
import { OrchdError } from '../../errors.js';
import type { Handlers } from '../context.js';

const pending = (method: string) => () => {
  throw OrchdError.invalidState(`${method} is being built`);
};

export const fsSearchHandlers: Pick<Handlers, 'fs/search' | 'fs/findFiles'> = {
  'fs/search': pending('fs/search'),
  'fs/findFiles': pending('fs/findFiles'),
};
