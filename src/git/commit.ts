// Staging, committing, resetting and reading history.
import { OrchdError } from '../errors.js';
import { diffCommit, type FileChange } from './diff.js';
import { gitFailure, gitStdout, runGit, type GitOptions } from './exec.js';
import { identityArgs } from './identity.js';
import { conflictedFiles } from './merge.js';
import { assertPaths, assertRevision } from './refs.js';
import { headOid, revParse } from './repo.js';

export interface Commit {
  readonly oid: string;
  readonly parents: string[];
  readonly author: { readonly name: string; readonly email: string; readonly date: string };
  readonly committer: { readonly name: string; readonly email: string; readonly date: string };
  /** The first line of the message. */
  readonly subject: string;
  /** The message after the subject and its blank line, trailing whitespace trimmed. */
  readonly body: string;
}

export interface StageOptions extends GitOptions {
  /** Paths relative to `path`; all changes (`add -A`) when omitted. */
  readonly paths?: readonly string[];
}

/** Stage changes (additions, modifications and deletions) for the given paths, or everything. */
export async function stage(path: string, options: StageOptions = {}): Promise<void> {
  const args = options.paths ? ['--literal-pathspecs', 'add', '--all', '--', ...assertPaths('paths', options.paths)] : ['add', '--all'];
  await gitStdout(args, path, options);
}

export interface CommitOptions extends GitOptions {
  /** The message; may be omitted only with `amend` (the old message is kept). */
  readonly message?: string;
  /** Replace the last commit instead of adding one. */
  readonly amend?: boolean;
  /** Record a commit even with no changes. */
  readonly allowEmpty?: boolean;
  /** Skip pre-commit and commit-msg hooks. */
  readonly noVerify?: boolean;
}

/** Commit what is staged; `nothingToCommit` when nothing is. Returns the new commit's oid. */
export async function commit(path: string, options: CommitOptions): Promise<{ oid: string }> {
  if (options.message === undefined && !options.amend) {
    throw OrchdError.invalidState('Expected `message` to be given unless `amend` is set, got `undefined`', { field: 'message' });
  }
  const identity = await identityArgs(path, options);
  const args = [...identity, 'commit', '--quiet', '--no-edit', '--cleanup=strip'];
  if (options.amend) args.push('--amend');
  if (options.allowEmpty) args.push('--allow-empty');
  if (options.noVerify) args.push('--no-verify');
  // The message goes through stdin, so nothing in it can be read as an option.
  if (options.message !== undefined) args.push('--file=-');
  const out = await runGit(args, path, { ...options, ...(options.message !== undefined ? { stdin: options.message } : {}) });
  if (out.exitCode !== 0) {
    if (/Aborting commit due to empty commit message/.test(out.stderr)) {
      throw OrchdError.invalidState('Expected `message` to hold more than whitespace and comments, got an empty message', { field: 'message' });
    }
    if (/nothing (?:added )?to commit|no changes added to commit/.test(`${out.stdout}\n${out.stderr}`)) throw OrchdError.nothingToCommit(path);
    throw gitFailure(args, path, out);
  }
  return { oid: (await headOid(path, options))! };
}

/**
 * Stage every change in the work tree (`add -A`) and commit it; `mergeConflict` while paths are unmerged, since
 * `add -A` would mark them resolved with their conflict markers (stage resolved paths with `stage` first).
 * `conflicted`: the unmerged paths, when the caller has just read them from `status`.
 */
export async function commitAll(path: string, options: CommitOptions & { readonly conflicted?: readonly string[] }): Promise<{ oid: string }> {
  // A caller that has just read the status knows the unmerged paths: one git process fewer.
  const conflicts = options.conflicted ? [...options.conflicted] : await conflictedFiles(path, options);
  if (conflicts.length) throw OrchdError.mergeConflict('commit', conflicts);
  await stage(path, options);
  return commit(path, options);
}

export interface ResetOptions extends GitOptions {
  readonly mode: 'soft' | 'mixed' | 'hard';
  /** Where to move the branch; HEAD unless given. */
  readonly ref?: string;
}

/** Move the current branch to `ref`, resetting the index (mixed) and the work tree too (hard). */
export async function reset(path: string, options: ResetOptions): Promise<{ oid: string }> {
  const ref = options.ref === undefined ? 'HEAD' : assertRevision('ref', options.ref);
  if (!['soft', 'mixed', 'hard'].includes(options.mode)) {
    throw OrchdError.invalidState(`Expected \`mode\` to be one of \`soft\`, \`mixed\`, \`hard\`, got \`${String(options.mode)}\``, { field: 'mode' });
  }
  const oid = await revParse(path, { ref, peel: 'commit', signal: options.signal });
  await gitStdout(['reset', '--quiet', `--${options.mode}`, oid, '--'], path, options, { ref: { field: 'ref', value: ref } });
  return { oid };
}

export interface LogOptions extends GitOptions {
  /** At most this many commits. */
  readonly n?: number;
  /** The commit to start from; HEAD unless given. */
  readonly ref?: string;
  /** Commits reachable from `to` (HEAD by default) but not from `from`: git's `from..to`. Overrides `ref`. */
  readonly range?: { readonly from: string; readonly to?: string };
  /** Only commits touching these paths. */
  readonly paths?: readonly string[];
  /** Follow only first parents (the mainline of merges). */
  readonly firstParent?: boolean;
}

const LOG_FORMAT = ['%H', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%s', '%b'].join('%x00');
const LOG_FIELDS = 10;

/** Commits newest first: from `ref` or within `range`; an unborn HEAD has none. */
export async function log(path: string, options: LogOptions = {}): Promise<Commit[]> {
  let revs: string[];
  if (options.range) {
    const from = assertRevision('range.from', options.range.from);
    const to = options.range.to === undefined ? 'HEAD' : assertRevision('range.to', options.range.to);
    revs = [`${from}..${to}`];
  } else if (options.ref !== undefined) {
    revs = [assertRevision('ref', options.ref)];
  } else {
    if ((await headOid(path, options)) === null) return [];
    revs = ['HEAD'];
  }
  const args = ['--literal-pathspecs', 'log', `--format=${LOG_FORMAT}`, '-z', '--no-color', '--no-show-signature'];
  if (options.n !== undefined) args.push(`--max-count=${Math.max(0, Math.floor(options.n))}`);
  if (options.firstParent) args.push('--first-parent');
  args.push('--end-of-options', ...revs, '--');
  if (options.paths) args.push(...assertPaths('paths', options.paths));
  const field = options.range ? 'range' : 'ref';
  const out = await gitStdout(args, path, options, { ref: { field, value: revs[0]! } });
  return parseLog(out);
}

/** Parse `log --format=<LOG_FORMAT> -z`. */
export function parseLog(out: string): Commit[] {
  const parts = out.split('\0');
  const commits: Commit[] = [];
  for (let i = 0; i + LOG_FIELDS <= parts.length; i += LOG_FIELDS) {
    const [oid, parents, an, ae, ad, cn, ce, cd, subject, body] = parts.slice(i, i + LOG_FIELDS) as [
      string, string, string, string, string, string, string, string, string, string,
    ];
    commits.push({
      // Every record after the first starts right after the separating NUL, but git puts a newline between
      // records when the format ends in a field; trim it.
      oid: oid.replace(/^\n/, ''),
      parents: parents ? parents.split(' ') : [],
      author: { name: an, email: ae, date: ad },
      committer: { name: cn, email: ce, date: cd },
      subject,
      body: body.replace(/\s+$/, ''),
    });
  }
  return commits;
}

export interface ShowOptions extends GitOptions {
  /** The commit; HEAD unless given. */
  readonly ref?: string;
}

/** One commit's metadata and the files it changed against its first parent. */
export async function show(path: string, options: ShowOptions = {}): Promise<{ commit: Commit; files: FileChange[] }> {
  const ref = options.ref === undefined ? 'HEAD' : assertRevision('ref', options.ref);
  const oid = await revParse(path, { ref, peel: 'commit', signal: options.signal });
  const [commits, files] = await Promise.all([
    log(path, { ref: oid, n: 1, signal: options.signal }),
    diffCommit(path, { ref: oid, signal: options.signal }),
  ]);
  return { commit: commits[0]!, files };
}
