// Validation of every name and path that reaches git's argv, so nothing a caller passes can be read as an option,
// a range, a pathspec magic or a name git would reject. Pure functions: no git runs here.
import { OrchdError } from '../errors.js';

/**
 * Why `refname` fails git's `check_refname_format` rules, or null when it passes.
 * `allowOneLevel` accepts names without a `/` (git's `--allow-onelevel`).
 */
export function refFormatProblem(refname: string, allowOneLevel = false): string | null {
  if (refname === '') return 'it is empty';
  if (refname === '@') return 'it is the single character `@`';
  if (refname.startsWith('/')) return 'it starts with `/`';
  if (refname.endsWith('/')) return 'it ends with `/`';
  if (refname.endsWith('.')) return 'it ends with `.`';
  let last = '';
  for (const ch of refname) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return 'it contains a control character';
    if (ch === ' ') return 'it contains a space';
    if (ch === '~' || ch === '^' || ch === ':' || ch === '?' || ch === '*' || ch === '[' || ch === '\\') {
      return `it contains \`${ch}\``;
    }
    if (ch === '.' && last === '.') return 'it contains `..`';
    if (ch === '{' && last === '@') return 'it contains `@{`';
    last = ch;
  }
  const components = refname.split('/');
  for (const component of components) {
    if (component === '') return 'it contains `//`';
    if (component.startsWith('.')) return 'a `/`-separated part starts with `.`';
    if (component.endsWith('.lock')) return 'a `/`-separated part ends with `.lock`';
  }
  if (!allowOneLevel && components.length < 2) return 'it has no `/`';
  return null;
}

/** Why `name` is not a branch name `git check-ref-format --branch` accepts, or null. */
export function branchNameProblem(name: string): string | null {
  const basic = argumentProblem(name);
  if (basic) return basic;
  if (name === 'HEAD') return 'it is `HEAD`';
  // `@` alone is valid as refs/heads/@ but every git command reads it as HEAD; refuse it.
  if (name === '@') return 'it is the single character `@`';
  return refFormatProblem(`refs/heads/${name}`);
}

/** Why `name` is not a valid tag name, or null. */
export function tagNameProblem(name: string): string | null {
  const basic = argumentProblem(name);
  if (basic) return basic;
  if (name === 'HEAD' || name === '@') return `it is \`${name}\``;
  return refFormatProblem(`refs/tags/${name}`);
}

/** Why `name` is not a valid remote name (git's `valid_remote_name`), or null. */
export function remoteNameProblem(name: string): string | null {
  const basic = argumentProblem(name);
  if (basic) return basic;
  return refFormatProblem(`refs/remotes/${name}/test`);
}

/**
 * Why `rev` is not a single revision orchd passes to git, or null. Revision syntax (`~`, `^`, `@{u}`) is allowed;
 * ranges (`..`), path lookups (`:`), whitespace and globs are not: callers build ranges themselves.
 */
export function revisionProblem(rev: string): string | null {
  const basic = argumentProblem(rev);
  if (basic) return basic;
  if (/[\s]/.test(rev)) return 'it contains whitespace';
  if (/[\x00-\x1f\x7f]/.test(rev)) return 'it contains a control character';
  if (rev.includes('..')) return 'it contains `..`, a range';
  for (const ch of [':', '?', '*', '[', '\\']) if (rev.includes(ch)) return `it contains \`${ch}\``;
  return null;
}

/** Why a path (pathspec, worktree path, URL) cannot go into argv, or null. */
export function pathProblem(path: string): string | null {
  return argumentProblem(path);
}

/** Why a config key is not `section[.subsection].name`, or null. */
export function configKeyProblem(key: string): string | null {
  const basic = argumentProblem(key);
  if (basic) return basic;
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first <= 0 || last === key.length - 1) return 'it is not `section.name`';
  const section = key.slice(0, first);
  const name = key.slice(last + 1);
  if (!/^[A-Za-z0-9-]+$/.test(section)) return 'its section has characters other than letters, digits and `-`';
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(name)) return 'its name does not start with a letter or has characters other than letters, digits and `-`';
  return null;
}

/**
 * The longest argv element a caller may pass, in bytes: PATH_MAX, longer than any ref or path git can use, and far
 * below Linux's 128 KiB per-argument limit, past which spawning fails with E2BIG.
 */
export const MAX_ARGUMENT_BYTES = 4096;

/** The rules every argv element from a caller obeys: a non-empty string of bounded length, no leading `-`, no NUL or line break. */
function argumentProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'it is not a string';
  if (value === '') return 'it is empty';
  const bytes = Buffer.byteLength(value);
  if (bytes > MAX_ARGUMENT_BYTES) return `it is ${bytes} bytes long, more than ${MAX_ARGUMENT_BYTES}`;
  if (value.startsWith('-')) return 'it starts with `-`';
  if (value.includes('\0')) return 'it contains NUL';
  if (value.includes('\n') || value.includes('\r')) return 'it contains a line break';
  return null;
}

function check(problem: string | null, field: string, value: string): string {
  if (problem) throw OrchdError.invalidRef(field, String(value), problem);
  return value;
}

/** `name` as a branch name, or an `invalidRef` error naming `field`. */
export function assertBranchName(field: string, name: string): string {
  return check(branchNameProblem(name), field, name);
}

/** `name` as a tag name, or an `invalidRef` error. */
export function assertTagName(field: string, name: string): string {
  return check(tagNameProblem(name), field, name);
}

/** `name` as a remote name, or an `invalidRef` error. */
export function assertRemoteName(field: string, name: string): string {
  return check(remoteNameProblem(name), field, name);
}

/** `rev` as a single revision, or an `invalidRef` error. */
export function assertRevision(field: string, rev: string): string {
  return check(revisionProblem(rev), field, rev);
}

/** `path` as an argv-safe path, or an `invalidRef` error. */
export function assertPath(field: string, path: string): string {
  return check(pathProblem(path), field, path);
}

/** Each of `paths` as an argv-safe path, or an `invalidRef` error naming `field[i]`. */
export function assertPaths(field: string, paths: readonly string[]): string[] {
  return paths.map((p, i) => check(pathProblem(p), `${field}[${i}]`, p));
}

/** `key` as a config key, or an `invalidRef` error. */
export function assertConfigKey(field: string, key: string): string {
  return check(configKeyProblem(key), field, key);
}

/** A remote URL or path: argv-safe, and not git's `ext::` transport, which runs a command. */
export function assertRemoteUrl(field: string, url: string): string {
  check(pathProblem(url), field, url);
  if (/^ext::/i.test(url)) throw OrchdError.invalidRef(field, url, 'the `ext::` transport runs commands');
  return url;
}
