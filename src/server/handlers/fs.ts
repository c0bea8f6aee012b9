// fs/* file handlers: thin adapters over src/files/.
import { OrchdError } from '../../errors.js';
import type { Handlers } from '../context.js';

type FsMethods = 'fs/read' | 'fs/write' | 'fs/list' | 'fs/stat' | 'fs/mkdir' | 'fs/move' | 'fs/delete';

const pending = (method: string) => () => {
  throw OrchdError.invalidState(`${method} is being built`);
};

export const fsHandlers: Pick<Handlers, FsMethods> = {
  'fs/read': pending('fs/read'),
  'fs/write': pending('fs/write'),
  'fs/list': pending('fs/list'),
  'fs/stat': pending('fs/stat'),
  'fs/mkdir': pending('fs/mkdir'),
  'fs/move': pending('fs/move'),
  'fs/delete': pending('fs/delete'),
};
