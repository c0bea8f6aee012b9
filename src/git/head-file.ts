// HEAD read from the repository's files, without starting git. Every session reads each repository's HEAD before and
// after its agent and after its commit; on a daemon holding a large heap each git process is a fork() of that heap on
// the event loop (about 4 ms each here), so these reads were three of the eight processes a session started.
//
// Only the plain layout is read: a work tree top holding `.git` (a directory, or a `gitdir:` file of a linked
// worktree), HEAD a symbolic ref to a loose or packed ref, or a detached object id. Anything else — a reftable
// repository, a path below the top, GIT_DIR in the environment, a ref that is not a full object id — answers
// `undefined`, and the caller asks git. Git writes refs by renaming a lock file over them and packs refs by writing
// packed-refs before it deletes the loose files, so reading the loose ref first and then packed-refs never misses one.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

/** Environment variables that change which repository or refs git would read. */
const REDIRECTING_ENV = ['GIT_DIR', 'GIT_COMMON_DIR', 'GIT_WORK_TREE', 'GIT_NAMESPACE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY'];

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** How many symbolic refs are followed before giving up (git's own limit is 5). */
const MAX_SYMREF_DEPTH = 5;

/**
 * The object id HEAD points at for the work tree whose top is `path`: a string, `null` when HEAD's branch is unborn,
 * or `undefined` when the layout is not one this reader knows (ask git).
 */
export async function readHeadFromFiles(path: string): Promise<string | null | undefined> {
  if (REDIRECTING_ENV.some((name) => process.env[name] !== undefined)) return undefined;
  try {
    const dirs = await gitDirectories(path);
    if (!dirs) return undefined;
    let ref = 'HEAD';
    for (let depth = 0; depth <= MAX_SYMREF_DEPTH; depth++) {
      const value = await readRef(dirs, ref);
      if (value === undefined) return undefined;
      if (value === null) return null;
      if (!value.startsWith('ref:')) return OBJECT_ID.test(value) ? value : undefined;
      ref = value.slice(4).trim();
      if (!/^refs\/[^\0]+$/.test(ref) || ref.includes('..')) return undefined;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

interface GitDirectories {
  /** Where this work tree's HEAD and per-worktree refs live. */
  readonly gitDir: string;
  /** Where branches, tags and packed-refs live (the same as gitDir outside linked worktrees). */
  readonly commonDir: string;
}

async function gitDirectories(path: string): Promise<GitDirectories | undefined> {
  const dotGit = join(path, '.git');
  let gitDir: string;
  const pointer = await readFile(dotGit, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EISDIR') return null;
    throw error;
  });
  if (pointer === null) gitDir = dotGit;
  else {
    const match = /^gitdir: (.+)$/m.exec(pointer);
    if (!match) return undefined;
    const target = match[1]!.trim();
    gitDir = isAbsolute(target) ? target : resolve(path, target);
  }
  const common = await readFile(join(gitDir, 'commondir'), 'utf8').catch(missingAsNull);
  const commonDir = common === null ? gitDir : resolve(gitDir, common.trim());
  // A reftable repository keeps a stub HEAD and its refs in reftable/: git alone reads those.
  if ((await readFile(join(commonDir, 'reftable', 'tables.list'), 'utf8').catch(missingAsNull)) !== null) return undefined;
  return { gitDir, commonDir };
}

/** A ref's content (`ref: …` or an object id), null when it does not exist, undefined when it cannot be told. */
async function readRef(dirs: GitDirectories, ref: string): Promise<string | null | undefined> {
  // HEAD, refs/bisect/, refs/worktree/ and refs/rewritten/ are per work tree; the rest are shared.
  const perWorktree = ref === 'HEAD' || /^refs\/(?:bisect|worktree|rewritten)\//.test(ref);
  const loose = await readFile(join(perWorktree ? dirs.gitDir : dirs.commonDir, ref), 'utf8').catch((error: NodeJS.ErrnoException) => {
    // A directory where the ref would be (refs/heads/a when a/b exists) means no such loose ref.
    if (error.code === 'ENOENT' || error.code === 'EISDIR' || error.code === 'ENOTDIR') return null;
    throw error;
  });
  if (loose !== null) return loose.trim();
  if (ref === 'HEAD') return undefined;
  if (perWorktree) return null;
  const packed = await readFile(join(dirs.commonDir, 'packed-refs'), 'utf8').catch(missingAsNull);
  if (packed === null) return null;
  for (const line of packed.split('\n')) {
    if (line.length < 42 || line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(space + 1).trimEnd() === ref) return line.slice(0, space);
  }
  return null;
}

function missingAsNull(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
  throw error;
}
