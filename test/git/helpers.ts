// Real repositories in temp dirs for the git service tests.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { isOrchdError } from '../../src/errors.js';
import { runGit } from '../../src/git/exec.js';
import type { ErrorKind } from '../../protocol/errors.js';

/** A fresh empty directory, removed when the test ends. */
export async function tempDir(t: TestContext, prefix = 'orchd-git-'): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Run git in `cwd`; fail the test on a non-zero exit. Returns stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await runGit(args, cwd);
  assert.equal(out.exitCode, 0, `git ${args.join(' ')} failed: ${out.stderr}`);
  return out.stdout;
}

export interface RepoOptions {
  /** Make the initial commit (README.md); default true. */
  readonly commit?: boolean;
  readonly branch?: string;
}

/** A repository on `main` with a local identity and (by default) one commit with README.md. */
export async function makeRepo(t: TestContext, options: RepoOptions = {}): Promise<string> {
  const dir = await tempDir(t);
  await git(dir, 'init', '--quiet', `--initial-branch=${options.branch ?? 'main'}`);
  await setIdentity(dir);
  if (options.commit !== false) {
    await write(dir, 'README.md', '# test\n');
    await git(dir, 'add', '--all');
    await git(dir, 'commit', '--quiet', '-m', 'initial');
  }
  return dir;
}

/** A bare repository, e.g. to push to. */
export async function makeBareRepo(t: TestContext): Promise<string> {
  const dir = await tempDir(t, 'orchd-bare-');
  await git(dir, 'init', '--quiet', '--bare', '--initial-branch=main');
  return dir;
}

/** Set a local identity so commits do not depend on the machine's config. */
export async function setIdentity(dir: string): Promise<void> {
  await git(dir, 'config', 'user.name', 'Test User');
  await git(dir, 'config', 'user.email', 'test@example.com');
  await git(dir, 'config', 'commit.gpgsign', 'false');
}

/** Write a file (creating directories) relative to `dir`. */
export async function write(dir: string, relative: string, content: string | Buffer): Promise<void> {
  const path = join(dir, relative);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** Write files and commit them all with `message`; returns the new HEAD oid. */
export async function commitFiles(dir: string, files: Record<string, string | Buffer>, message: string): Promise<string> {
  for (const [name, content] of Object.entries(files)) await write(dir, name, content);
  await git(dir, 'add', '--all');
  await git(dir, 'commit', '--quiet', '-m', message);
  return (await git(dir, 'rev-parse', 'HEAD')).trim();
}

/** `git status --porcelain` is empty: nothing staged, modified or untracked, no operation stopped. */
export async function assertCleanTree(dir: string): Promise<void> {
  assert.equal(await git(dir, 'status', '--porcelain'), '');
}

/** Assert that `promise` rejects with an OrchdError of `kind`; returns it for more checks. */
export async function rejectsKind(promise: Promise<unknown>, kind: ErrorKind): Promise<import('../../src/errors.js').OrchdError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isOrchdError(error), `expected an OrchdError of kind ${kind}, got ${String(error)}`);
    assert.equal(error.kind, kind, `expected kind ${kind}, got ${error.kind}: ${error.message}`);
    assert.ok(!error.message.endsWith('.'), `message ends with a period: ${error.message}`);
    return error;
  }
  assert.fail(`expected a rejection of kind ${kind}`);
}
