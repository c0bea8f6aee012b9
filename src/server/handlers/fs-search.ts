// fs/search and fs/findFiles handlers: thin adapters over src/files/. With a `progressToken`, results stream as
// `partial` progress between `begin` and `end`; search matches sent that way are left out of the result.
import { findFiles } from '../../files/find-files.js';
import { searchWorkspace } from '../../files/search.js';
import type { Handlers } from '../context.js';

export const fsSearchHandlers: Pick<Handlers, 'fs/search' | 'fs/findFiles'> = {
  'fs/search': async (params, ctx) => {
    const streaming = params.progressToken !== undefined;
    if (streaming) ctx.progress({ kind: 'begin', title: `Searching for ${params.query}` });
    try {
      return await searchWorkspace(ctx.engine, params.workspaceId, params, {
        signal: ctx.signal,
        partial: streaming ? (matches) => ctx.progress({ kind: 'partial', matches }) : undefined,
      });
    } finally {
      if (streaming) ctx.progress({ kind: 'end' });
    }
  },
  'fs/findFiles': async (params, ctx) => {
    const streaming = params.progressToken !== undefined;
    if (streaming) ctx.progress({ kind: 'begin', title: `Finding files matching ${params.query}` });
    try {
      return await findFiles(ctx.engine, params.workspaceId, params, {
        signal: ctx.signal,
        partial: streaming ? (files) => ctx.progress({ kind: 'partial', files }) : undefined,
      });
    } finally {
      if (streaming) ctx.progress({ kind: 'end' });
    }
  },
};
