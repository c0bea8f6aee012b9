// The one place orchd runs git: dugite's exec with the resolved installation's env, and the mapping from git's exit
// codes and stderr to typed OrchdErrors.
import { statSync } from 'node:fs';
import type * as Dugite from 'dugite';
import type { GitError } from 'dugite';
import { OrchdError, isOrchdError } from '../errors.js';
import { gitInstallation } from './git-environment.js';

// dugite is loaded on the first git call, not at start-up: a daemon that has not touched git yet should not pay for it.
let dugiteModule: typeof Dugite | undefined;

/** dugite, loaded once. */
export async function loadDugite(): Promise<typeof Dugite> {
  dugiteModule ??= await import('dugite');
  return dugiteModule;
}

/** dugite after a git call has loaded it (error mapping only ever runs after one). */
function loadedDugite(): typeof Dugite {
  if (!dugiteModule) throw new Error('dugite used before any git call loaded it');
  return dugiteModule;
}

/** Options every git operation accepts. */
export interface GitOptions {
  /** Aborting kills the git process (dugite passes it to child_process, which sends SIGTERM). */
  readonly signal?: AbortSignal;
}

export interface RunOptions extends GitOptions {
  /** Extra env for this call only. */
  readonly env?: Record<string, string | undefined>;
  /** Written to git's stdin. */
  readonly stdin?: string;
}

export interface GitOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** What a failure mapping knows beyond git's words: which caller field an unknown ref came from, and the operation. */
export interface FailureContext {
  /** The caller's field and value a "no such ref" error refers to. */
  readonly ref?: { readonly field: string; readonly value: string };
  /** The caller's field and value an "already exists" error refers to. */
  readonly created?: { readonly field: string; readonly value: string; readonly entity?: 'branch' | 'tag' | 'remote' | 'worktree' };
  /** For fetch, pull and push: the remote; failures without a narrower kind become `remoteFailed`. */
  readonly remote?: string;
}

let calls = 0;

/** How many git processes this process has started (for tests and metrics). */
export function gitCallCount(): number {
  return calls;
}

/** Run git; resolves with its output whatever the exit code, rejects only when git cannot run or is aborted. */
export async function runGit(args: readonly string[], cwd: string, options: RunOptions = {}): Promise<GitOutput> {
  const found = await gitInstallation();
  if (options.signal?.aborted) throw OrchdError.gitCancelled(args);
  calls++;
  try {
    const { exec } = await loadDugite();
    const result = await exec([...args], cwd, {
      env: options.env ? { ...found.env, ...options.env } : found.env,
      encoding: 'utf8',
      signal: options.signal,
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
  } catch (error) {
    throw spawnFailure(error, args, cwd, found.binary, options.signal);
  }
}

/** Run git and return stdout; a non-zero exit becomes the mapped OrchdError. */
export async function gitStdout(args: readonly string[], cwd: string, options: RunOptions = {}, context: FailureContext = {}): Promise<string> {
  const out = await runGit(args, cwd, options);
  if (out.exitCode !== 0) throw gitFailure(args, cwd, out, context);
  return out.stdout;
}

function spawnFailure(error: unknown, args: readonly string[], cwd: string, binary: string, signal?: AbortSignal): unknown {
  if (isOrchdError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (signal?.aborted || code === 'ABORT_ERR') return OrchdError.gitCancelled(args);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    let cwdIsDir = false;
    try {
      cwdIsDir = statSync(cwd).isDirectory();
    } catch {
      cwdIsDir = false;
    }
    if (!cwdIsDir) return OrchdError.pathNotFound('path', cwd);
    return OrchdError.gitNotFound(binary, 'it could not be started');
  }
  return error;
}

const LOCK_FILE = /Unable to create '([^']+\.lock)': File exists|could not lock config file ([^:]+): File exists/;
const OVERWRITTEN =
  /(?:Your local changes to the following files would be overwritten by \w+|The following untracked working tree files would be (?:overwritten|removed) by \w+):\n((?:\t.*\n)+)/;

/** The OrchdError for a failed git call. */
export function gitFailure(args: readonly string[], cwd: string, out: GitOutput, context: FailureContext = {}): OrchdError {
  const stderr = out.stderr;
  const text = `${stderr}\n${out.stdout}`;
  const parsed = loadedDugite().parseError(stderr) ?? loadedDugite().parseError(out.stdout);

  // Failures every command can hit, whatever it was doing.
  if (parsed === loadedDugite().GitError.NotAGitRepository || /fatal: not a git repository/i.test(stderr)) return OrchdError.notAGitRepository('path', cwd);
  if (parsed === loadedDugite().GitError.LockFileAlreadyExists || parsed === loadedDugite().GitError.ConfigLockFileAlreadyExists || LOCK_FILE.test(stderr)) {
    const match = LOCK_FILE.exec(stderr);
    return OrchdError.lockHeld(cwd, match?.[1] ?? match?.[2] ?? null);
  }
  const progress = inProgressOperation(stderr);
  if (progress) return OrchdError.rebaseInProgress(cwd, progress);

  switch (parsed) {
    case loadedDugite().GitError.LocalChangesOverwritten:
    case loadedDugite().GitError.MergeWithLocalChanges:
    case loadedDugite().GitError.RebaseWithLocalChanges:
      return OrchdError.dirtyWorkingTree(cwd, overwrittenFiles(stderr));
    case loadedDugite().GitError.MergeConflicts:
    case loadedDugite().GitError.RebaseConflicts:
    case loadedDugite().GitError.UnresolvedConflicts:
    case loadedDugite().GitError.ConflictModifyDeletedInBranch:
    case loadedDugite().GitError.RevertConflicts:
      return OrchdError.mergeConflict(subcommand(args), conflictFilesFromText(text));
    case loadedDugite().GitError.BranchAlreadyExists:
      return OrchdError.branchExists(context.created?.field ?? 'branch', context.created?.value ?? quoted(stderr));
    case loadedDugite().GitError.TagAlreadyExists:
      return OrchdError.alreadyExists('tag', context.created?.field ?? 'name', context.created?.value ?? quoted(stderr));
    case loadedDugite().GitError.RemoteAlreadyExists:
      return OrchdError.alreadyExists('remote', context.created?.field ?? 'name', context.created?.value ?? quoted(stderr));
    case loadedDugite().GitError.BranchDeletionFailed:
      return OrchdError.branchNotFound(context.ref?.field ?? 'branch', context.ref?.value ?? quoted(stderr));
    default:
      break;
  }
  if (/nothing (?:added )?to commit/.test(text) || parsed === loadedDugite().GitError.NothingToCommit) return OrchdError.nothingToCommit(cwd);
  if (/would be overwritten by|You have unstaged changes|Please commit your changes or stash them|contains modified or untracked files/.test(stderr)) {
    return OrchdError.dirtyWorkingTree(cwd, overwrittenFiles(stderr));
  }
  if (/Committing is not possible because you have unmerged files|you need to resolve your current index first/.test(stderr)) {
    return OrchdError.mergeConflict(subcommand(args), conflictFilesFromText(text));
  }
  if (isUnknownRef(stderr, parsed)) {
    return OrchdError.branchNotFound(context.ref?.field ?? 'ref', context.ref?.value ?? quoted(stderr));
  }
  if (/already exists/.test(stderr) && context.created) {
    const { entity = 'branch', field, value } = context.created;
    return entity === 'branch' ? OrchdError.branchExists(field, value) : OrchdError.alreadyExists(entity, field, value);
  }
  if (context.remote !== undefined) return OrchdError.remoteFailed(subcommand(args), context.remote, stderr, remoteReason(stderr, parsed));
  return OrchdError.gitFailed(args, out.exitCode, stderr);
}

function isUnknownRef(stderr: string, parsed: GitError | null): boolean {
  return (
    parsed === loadedDugite().GitError.BadRevision ||
    parsed === loadedDugite().GitError.InvalidObjectName ||
    parsed === loadedDugite().GitError.InvalidMerge ||
    parsed === loadedDugite().GitError.InvalidRebase ||
    /unknown revision or path not in the working tree|Needed a single revision|invalid reference: |branch '.*' not found|did not match any file\(s\) known to git|not a valid object name|src refspec .* does not match any|couldn't find remote ref|not a commit|invalid upstream|no such branch|not a valid ref|missing branch or commit argument|is not a commit|Failed to resolve '.*' as a valid ref/i.test(
      stderr,
    )
  );
}

function remoteReason(stderr: string, parsed: GitError | null): string {
  if (parsed === loadedDugite().GitError.PushNotFastForward || /\((?:non-fast-forward|fetch first)\)/.test(stderr)) return 'nonFastForward';
  if (/\(stale info\)/.test(stderr)) return 'staleLease';
  if (parsed === loadedDugite().GitError.HTTPSRepositoryNotFound || parsed === loadedDugite().GitError.SSHRepositoryNotFound || /does not appear to be a git repository/.test(stderr)) {
    return 'repositoryNotFound';
  }
  if (
    parsed === loadedDugite().GitError.SSHAuthenticationFailed ||
    parsed === loadedDugite().GitError.HTTPSAuthenticationFailed ||
    parsed === loadedDugite().GitError.SSHPermissionDenied ||
    /could not read Username|terminal prompts disabled/.test(stderr)
  ) {
    return 'authentication';
  }
  if (parsed === loadedDugite().GitError.HostDown || parsed === loadedDugite().GitError.RemoteDisconnection || /Could not resolve host|Connection refused/.test(stderr)) {
    return 'unreachable';
  }
  if (/transport '[^']+' not allowed/.test(stderr)) return 'transportNotAllowed';
  if (/\[remote rejected\]|\[rejected\]/.test(stderr)) return 'rejected';
  return 'failed';
}

/** Which operation git says is already under way, from its complaint. */
function inProgressOperation(stderr: string): string | null {
  if (/already a rebase-(?:merge|apply) directory|rebase in progress|You are in the middle of an am session/.test(stderr)) return 'rebase';
  if (/You have not concluded your merge|MERGE_HEAD exists/.test(stderr)) return 'merge';
  if (/cherry-pick is already in progress|You have not concluded your cherry-pick|CHERRY_PICK_HEAD exists/.test(stderr)) return 'cherry-pick';
  if (/revert is already in progress/.test(stderr)) return 'revert';
  return null;
}

function overwrittenFiles(stderr: string): string[] {
  const match = OVERWRITTEN.exec(stderr);
  if (!match?.[1]) return [];
  return match[1]
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Paths named in `CONFLICT (...)` lines. */
export function conflictFilesFromText(text: string): string[] {
  const files = new Set<string>();
  for (const line of text.split('\n')) {
    const content = /^CONFLICT \([^)]*\): Merge conflict in (.+)$/.exec(line);
    if (content?.[1]) files.add(content[1]);
    const deleted = /^CONFLICT \([^)]*\): (.+?) deleted in /.exec(line);
    if (deleted?.[1]) files.add(deleted[1]);
    const added = /^CONFLICT \((?:add\/add|rename\/\w+|file location)\): .*? (?:in|at) (\S+)/.exec(line);
    if (!content && !deleted && added?.[1]) files.add(added[1]);
  }
  return [...files];
}

function quoted(stderr: string): string {
  return /'([^']+)'/.exec(stderr)?.[1] ?? stderr.split('\n')[0] ?? '';
}

/** The git subcommand in an argv (skipping `-c key=value` and other global options). */
export function subcommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '-C') {
      i++;
      continue;
    }
    if (!arg.startsWith('-')) return arg;
  }
  return '';
}

/** Split NUL-terminated output into records (dropping the empty tail). */
export function splitNul(text: string): string[] {
  const parts = text.split('\0');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Split output into non-empty lines. */
export function splitLines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}
