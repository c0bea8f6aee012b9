// fs/watch and fs/unwatch handlers: thin adapters over src/files/.
import { OrchdError } from '../../errors.js';
import type { Handlers } from '../context.js';

const pending = (method: string) => () => {
  throw OrchdError.invalidState(`${method} is being built`);
};

export const fsWatchHandlers: Pick<Handlers, 'fs/watch' | 'fs/unwatch'> = {
  'fs/watch': pending('fs/watch'),
  'fs/unwatch': pending('fs/unwatch'),
};
