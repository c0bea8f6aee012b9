// fs/* file handlers: thin adapters over src/files/.
import { listWorktreeDirectory } from '../../files/list.js';
import { readWorktreeFile } from '../../files/read.js';
import { deleteWorktreePath, makeWorktreeDirectory, moveWorktreePath, statWorktreePath } from '../../files/tree.js';
import { writeWorktreeFile } from '../../files/write.js';
import type { Handlers } from '../context.js';

type FsMethods = 'fs/read' | 'fs/write' | 'fs/list' | 'fs/stat' | 'fs/mkdir' | 'fs/move' | 'fs/delete';

export const fsHandlers: Pick<Handlers, FsMethods> = {
  'fs/read': (params, ctx) => readWorktreeFile(ctx.engine, params),
  'fs/write': (params, ctx) => writeWorktreeFile(ctx.engine, params),
  'fs/list': (params, ctx) => listWorktreeDirectory(ctx.engine, params, ctx.signal),
  'fs/stat': async (params, ctx) => ({ stat: await statWorktreePath(ctx.engine, params) }),
  'fs/mkdir': async (params, ctx) => ({ stat: await makeWorktreeDirectory(ctx.engine, params) }),
  'fs/move': async (params, ctx) => ({ stat: await moveWorktreePath(ctx.engine, params) }),
  'fs/delete': async (params, ctx) => {
    await deleteWorktreePath(ctx.engine, params);
    return { ok: true };
  },
};
