// Domain errors for the engine. They carry a stable `kind` (the wire's `data.kind`) but know nothing of JSON-RPC:
// src/server/ maps a kind to its code through protocol/errors.ts.
import type { ErrorKind } from '../protocol/errors.js';

export type ErrorDetails = Record<string, unknown>;

/** Render a received value for an error message: short, quoted in backticks. */
export function shown(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  if (text.length > 120) text = `${text.slice(0, 117)}...`;
  return `\`${text}\``;
}

/** An expected failure with a stable kind, a one-sentence message and structured details. */
export class OrchdError extends Error {
  readonly kind: ErrorKind;
  readonly details: ErrorDetails;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OrchdError';
    this.kind = kind;
    this.details = details;
  }

  /** No `entity` with this id. */
  static notFound(entity: string, id: string, field = `${entity}Id`): OrchdError {
    return new OrchdError('notFound', `Expected \`${field}\` to name an existing ${entity}, got ${shown(id)}`, { entity, id, field });
  }

  /** Params that pass the schema but not a cross-field check. */
  static invalidParams(field: string, message: string, details: ErrorDetails = {}): OrchdError {
    return new OrchdError('invalidParams', message, { field, ...details });
  }

  /** The agent CLI an executor needs is missing. */
  static executorUnavailable(executor: string, hint: string | null): OrchdError {
    return new OrchdError('executorUnavailable', `Expected executor \`${executor}\` to be installed, but it is not${hint ? `: ${hint}` : ''}`, { executor, hint });
  }

  /** The entity exists in a state that forbids the operation. */
  static invalidState(message: string, details: ErrorDetails = {}): OrchdError {
    return new OrchdError('invalidState', message, details);
  }

  /** A status transition the state machine does not allow. */
  static invalidTransition(entity: string, from: string, to: string, allowed: readonly string[]): OrchdError {
    const allowedText = allowed.length ? allowed.map((s) => `\`${s}\``).join(', ') : 'nothing';
    return new OrchdError(
      'invalidTransition',
      `Expected \`status\` of ${entity} in \`${from}\` to move to one of ${allowedText}, got ${shown(to)}`,
      { entity, from, to, allowed },
    );
  }

  /** A path that does not exist. */
  static pathNotFound(field: string, path: string): OrchdError {
    return new OrchdError('pathNotFound', `Expected \`${field}\` to be an existing path, got ${shown(path)}`, { field, path });
  }

  /** A path that is not inside a git repository. */
  static notAGitRepository(field: string, path: string): OrchdError {
    return new OrchdError('notAGitRepository', `Expected \`${field}\` to be a git repository, got ${shown(path)}`, { field, path });
  }

  /** A path that escapes the directory it must stay within. */
  static pathOutsideWorkspace(field: string, path: string, root: string): OrchdError {
    return new OrchdError('pathOutsideWorkspace', `Expected \`${field}\` to stay inside ${shown(root)}, got ${shown(path)}`, { field, path, root });
  }

  /** A conflict-safe write whose `expectedHash` no longer matches the file on disk (null: absent). */
  static conflict(field: string, path: string, expectedHash: string | null, currentHash: string | null): OrchdError {
    const now = currentHash === null ? 'the file does not exist' : `its hash is now ${currentHash}`;
    return new OrchdError('conflict', `Expected \`${field}\` ${shown(path)} to have hash ${expectedHash ?? 'null (no file)'}, but ${now}`, { field, path, expectedHash, currentHash });
  }

  /** A read without a range of a file larger than one read returns. */
  static fileTooLarge(field: string, path: string, size: number, limit: number): OrchdError {
    return new OrchdError('fileTooLarge', `Expected \`${field}\` ${shown(path)} to be at most ${limit} bytes to read whole, got ${size} bytes; pass \`range\``, { field, path, size, limit });
  }

  /** A path of the wrong type: a file where a directory is needed, or the reverse. */
  static notADirectory(field: string, path: string, expected: 'directory' | 'file', got: string): OrchdError {
    return new OrchdError('notADirectory', `Expected \`${field}\` ${shown(path)} to be a ${expected}, got a ${got}`, { field, path, expected, got });
  }

  /** A configuration document that does not match the schema: where (file and JSON path) and what was there. */
  static invalidConfig(file: string | null, jsonPath: string, received: string, message: string): OrchdError {
    const where = file === null ? 'the project settings' : shown(file);
    return new OrchdError('invalidConfig', `Expected ${jsonPath} in ${where} to be valid (${message}), got ${received}`, { file, jsonPath, received });
  }

  /** A ref, branch or remote name git would reject, or one that would be read as an option. */
  static invalidRef(field: string, value: string, why: string): OrchdError {
    return new OrchdError('invalidRef', `Expected \`${field}\` to be a valid git name (${why}), got ${shown(value)}`, { field, value, why });
  }

  /** An entity that already exists. */
  static alreadyExists(entity: string, field: string, value: string): OrchdError {
    return new OrchdError('alreadyExists', `Expected \`${field}\` to be unused, but a ${entity} with ${shown(value)} exists`, { entity, field, value });
  }

  /** git exited with an error no narrower kind covers. */
  /** `orchd serve` on a data directory another live process already serves. */
  static serviceRunning(dataDir: string, pid: number, url: string | null): OrchdError {
    const where = url ? `at ${url} (pid ${pid})` : `as pid ${pid}`;
    return new OrchdError('alreadyExists', `Expected no other orchd service on \`${dataDir}\`, but one is running ${where}`, { entity: 'service', field: 'dataDir', pid, url });
  }

  static gitFailed(args: readonly string[], exitCode: number, stderr: string): OrchdError {
    const command = gitCommand(args);
    const said = firstLine(stderr);
    const suffix = said ? ` (${said})` : '';
    return new OrchdError('gitFailed', `Expected \`${command}\` to succeed, got exit code ${shown(String(exitCode))}${suffix}`, {
      args: [...args],
      exitCode,
      stderr,
    });
  }

  /** No usable git executable. */
  static gitNotFound(searched: string, why: string): OrchdError {
    return new OrchdError('gitNotFound', `Expected a \`git\` executable on \`PATH\` (${why}), got ${shown(searched)}`, { searched, why });
  }

  /** A branch that already exists. */
  static branchExists(field: string, name: string): OrchdError {
    return new OrchdError('branchExists', `Expected \`${field}\` to name a new branch, but ${shown(name)} already exists`, { field, name });
  }

  /** A branch or ref that does not exist. */
  static branchNotFound(field: string, name: string): OrchdError {
    return new OrchdError('branchNotFound', `Expected \`${field}\` to name an existing branch, got ${shown(name)}`, { field, name });
  }

  /** Uncommitted changes that block the operation or would be lost. */
  static dirtyWorkingTree(path: string, files: readonly string[] = []): OrchdError {
    const got = files.length ? `changes in ${shown(files.slice(0, 5).join(', '))}` : `uncommitted changes in ${shown(path)}`;
    return new OrchdError('dirtyWorkingTree', `Expected \`path\` to have a clean working tree, got ${got}`, { path, files: [...files] });
  }

  /** An operation that stopped on conflicts. */
  static mergeConflict(operation: string, files: readonly string[]): OrchdError {
    const where = files.length ? ` in ${shown(files.join(', '))}` : '';
    return new OrchdError('mergeConflict', `Expected \`git ${operation}\` to apply cleanly, got unresolved conflicts${where}`, {
      operation,
      files: [...files],
    });
  }

  /** Another git process holds a lock in the repository. */
  static lockHeld(path: string, lockFile: string | null): OrchdError {
    return new OrchdError('lockHeld', `Expected \`path\` to be free of other git processes, got a lock at ${shown(lockFile ?? path)}`, { path, lockFile });
  }

  /** A commit with no changes to record. */
  static nothingToCommit(path: string): OrchdError {
    return new OrchdError('nothingToCommit', `Expected \`path\` to have changes to commit, got a clean tree in ${shown(path)}`, { path });
  }

  /** A fetch, pull or push that failed. */
  static remoteFailed(operation: string, remote: string, stderr: string, reason = 'failed'): OrchdError {
    const said = firstLine(stderr);
    return new OrchdError('remoteFailed', `Expected \`git ${operation}\` to succeed for \`remote\` ${shown(remote)}, got ${shown(said || reason)}`, {
      operation,
      remote,
      reason,
      stderr,
    });
  }

  /** git-lfs is missing. */
  static lfsNotInstalled(stderr: string): OrchdError {
    return new OrchdError('lfsNotInstalled', `Expected \`git lfs\` to be installed, got ${shown(firstLine(stderr) || 'no git-lfs')}`, { stderr });
  }

  /** A rebase, merge or cherry-pick already under way. */
  static rebaseInProgress(path: string, operation: string): OrchdError {
    return new OrchdError('rebaseInProgress', `Expected \`path\` to have no rebase, merge or cherry-pick in progress, got a ${shown(operation)} in ${shown(path)}`, {
      path,
      operation,
    });
  }

  /** A git call stopped by its AbortSignal. */
  static gitCancelled(args: readonly string[]): OrchdError {
    const command = gitCommand(args);
    return new OrchdError('cancelled', `Expected \`${command}\` to run to completion, got ${shown('aborted')}`, { args: [...args] });
  }
}

/** `git <subcommand>` for an argv, skipping global options such as `-c key=value`. */
function gitCommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '-C') i++;
    else if (!arg.startsWith('-')) return `git ${arg}`;
  }
  return 'git';
}

/** The first non-empty line of a tool's output, without a trailing period. */
function firstLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('hint:')) ?? '';
  return line.replace(/\.$/, '');
}

/** True for an OrchdError of the given kind. */
export function isOrchdError(error: unknown, kind?: ErrorKind): error is OrchdError {
  return error instanceof OrchdError && (kind === undefined || error.kind === kind);
}
