// What git ignores in a worktree, asked in bulk: the ignored paths when a watcher starts, and whether newly seen
// paths are ignored, one `git check-ignore` per batch (never one git per file).
import { runGit, type GitOptions } from '../git/exec.js';

/** Untracked paths git ignores: whole directories (no trailing slash) and single files, relative to the worktree. */
export interface IgnoredPaths {
  readonly dirs: Set<string>;
  readonly files: Set<string>;
}

/**
 * The worktree's ignored untracked paths, with wholly ignored directories (`node_modules`) listed once. `ls-files
 * --directory` also names a directory whose files all happen to be ignored, though the directory itself is not (a new
 * file there would be reported), so directories count only when `check-ignore` confirms them.
 */
export async function ignoredPaths(worktree: string, options: GitOptions = {}): Promise<IgnoredPaths> {
  const out = await runGit(['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], worktree, options);
  if (out.exitCode !== 0) throw new Error(`git ls-files failed in ${worktree}: ${out.stderr.trim()}`);
  const files = new Set<string>();
  const candidates: string[] = [];
  for (const entry of out.stdout.split('\0')) {
    if (!entry) continue;
    if (entry.endsWith('/')) candidates.push(entry.slice(0, -1));
    else files.add(entry);
  }
  const dirs = candidates.length ? await checkIgnored(worktree, candidates, options) : new Set<string>();
  return { dirs, files };
}

/**
 * Which of `paths` (relative to the worktree) git ignores, in one `git check-ignore --stdin` (tracked files never
 * are). git refuses a whole batch for a path beyond a symbolic link or inside a submodule; such paths are taken as
 * not ignored and the rest asked again.
 */
export async function checkIgnored(worktree: string, paths: readonly string[], options: GitOptions = {}): Promise<Set<string>> {
  let asked = [...paths];
  for (let attempt = 0; attempt < 8 && asked.length; attempt++) {
    const out = await runGit(['check-ignore', '-z', '--stdin'], worktree, { ...options, stdin: `${asked.join('\0')}\0` });
    if (out.exitCode === 0 || out.exitCode === 1) return new Set(out.stdout.split('\0').filter(Boolean));
    const refused = refusedPaths(out.stderr);
    if (!refused.size) throw new Error(`git check-ignore failed in ${worktree}: ${out.stderr.trim()}`);
    asked = asked.filter((path) => !refused.has(path));
  }
  return new Set();
}

const REFUSED = /pathspec '(.+)' is (?:beyond a symbolic link|in submodule '.*')/gi;

function refusedPaths(stderr: string): Set<string> {
  return new Set([...stderr.matchAll(REFUSED)].map((match) => match[1]!));
}
