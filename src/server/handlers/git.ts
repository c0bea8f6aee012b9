// git/* handlers: read-only git views of a worktree or a project's main checkout.
import { listBranches } from '../../git/branches.js';
import { log, show } from '../../git/commit.js';
import { diffRefs, diffText, diffWorkingTree } from '../../git/diff.js';
import { status } from '../../git/status.js';
import { resolveGitTarget } from '../../workspaces/git-target.js';
import type { Handlers } from '../context.js';

export const gitHandlers: Pick<Handlers, 'git/status' | 'git/log' | 'git/branches' | 'git/show' | 'git/diff'> = {
  async 'git/status'(params, { engine, signal }) {
    const state = await status(await resolveGitTarget(engine, params), { signal });
    return {
      branch: state.branch,
      head: state.oid,
      upstream: state.upstream,
      ahead: state.ahead,
      behind: state.behind,
      staged: state.staged.map(({ path, oldPath, change }) => ({ path, change, ...(oldPath ? { oldPath } : {}) })),
      unstaged: state.unstaged.map(({ path, oldPath, change }) => ({ path, change, ...(oldPath ? { oldPath } : {}) })),
      untracked: state.untracked,
      conflicted: state.conflicted.map((c) => c.path),
      clean: state.isClean,
    };
  },
  async 'git/log'(params, { engine, signal }) {
    const commits = await log(await resolveGitTarget(engine, params), { n: params.limit, ...(params.ref ? { ref: params.ref } : {}), signal });
    return { commits };
  },
  async 'git/branches'(params, { engine, signal }) {
    const branches = await listBranches(await resolveGitTarget(engine, params), { scope: 'all', signal });
    return {
      current: branches.find((b) => b.current)?.name ?? null,
      branches: branches.map((b) => ({ name: b.name, oid: b.oid, remote: b.remote !== null, upstream: b.upstream })),
    };
  },
  async 'git/show'(params, { engine, signal }) {
    return show(await resolveGitTarget(engine, params), { ref: params.ref, signal });
  },
  async 'git/diff'(params, { engine, signal }) {
    const path = await resolveGitTarget(engine, params);
    const files =
      params.from !== undefined && params.to !== undefined
        ? await diffRefs(path, { from: params.from, to: params.to, signal })
        : await diffWorkingTree(path, { ...(params.from ? { ref: params.from } : {}), signal });
    const result: { files: typeof files; text?: string } = { files };
    if (params.path !== undefined) {
      result.text = await diffText(path, { file: params.path, ...(params.from ? { from: params.from } : {}), ...(params.to ? { to: params.to } : {}), signal });
    }
    return result;
  },
};
