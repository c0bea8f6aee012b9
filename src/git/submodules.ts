// Submodules: init, update, and their status.
import { gitFailure, gitStdout, runGit, splitLines, type GitOptions } from './exec.js';
import { assertPaths } from './refs.js';

export interface Submodule {
  readonly path: string;
  /** The commit checked out in it (or recorded for it, when not initialized). */
  readonly oid: string;
  /** `current`: checked out at the recorded commit; `uninitialized`; `changed`: at another commit; `conflicted`. */
  readonly state: 'current' | 'uninitialized' | 'changed' | 'conflicted';
}

export interface SubmoduleOptions extends GitOptions {
  /** Only these submodule paths. */
  readonly paths?: readonly string[];
  /** Recurse into nested submodules (default true). */
  readonly recursive?: boolean;
  /**
   * Allow `file://` and local-path submodule URLs, which git refuses for submodules by default since 2.38.1
   * (`-c protocol.file.allow=always`). Only for repositories you trust.
   */
  readonly allowFileProtocol?: boolean;
}

/** Copy submodule URLs from .gitmodules into the repository config. */
export async function submoduleInit(path: string, options: Omit<SubmoduleOptions, 'recursive' | 'allowFileProtocol'> = {}): Promise<void> {
  await gitStdout(['submodule', '--quiet', 'init', '--', ...assertPaths('paths', options.paths ?? [])], path, options);
}

/** Initialize (when needed) and check out submodules at their recorded commits, recursively unless told otherwise. */
export async function submoduleUpdate(path: string, options: SubmoduleOptions = {}): Promise<void> {
  const args = options.allowFileProtocol ? ['-c', 'protocol.file.allow=always'] : [];
  args.push('submodule', '--quiet', 'update', '--init');
  if (options.recursive !== false) args.push('--recursive');
  args.push('--', ...assertPaths('paths', options.paths ?? []));
  const out = await runGit(args, path, options);
  if (out.exitCode !== 0) {
    // Name the submodule URL that failed, when git says which.
    const url = /clone of '([^']+)' into submodule path/.exec(out.stderr)?.[1] ?? /Unable to fetch in submodule path '([^']+)'/.exec(out.stderr)?.[1];
    throw gitFailure(args, path, out, { remote: url ?? '.gitmodules' });
  }
}

/** Submodules and whether each is initialized and at its recorded commit. */
export async function listSubmodules(path: string, options: Omit<SubmoduleOptions, 'allowFileProtocol'> = {}): Promise<Submodule[]> {
  const args = ['submodule', 'status'];
  if (options.recursive !== false) args.push('--recursive');
  args.push('--', ...assertPaths('paths', options.paths ?? []));
  const out = await gitStdout(args, path, options);
  const result: Submodule[] = [];
  for (const line of splitLines(out)) {
    // "<flag><oid> <path>[ (<describe>)]" with flag one of ' ', '-', '+', 'U'
    const match = /^([ +\-U])([0-9a-f]+) (.*?)(?: \(.*\))?$/.exec(line);
    if (!match) continue;
    const flag = match[1];
    const state = flag === '-' ? 'uninitialized' : flag === '+' ? 'changed' : flag === 'U' ? 'conflicted' : 'current';
    result.push({ path: match[3]!, oid: match[2]!, state });
  }
  return result;
}
