import assert from 'node:assert/strict';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runGit } from '../../src/git/exec.js';
import {
  headOid,
  initRepository,
  isClean,
  isGitRepository,
  operationInProgress,
  repositoryRoot,
  resolveRef,
  revParse,
  status,
} from '../../src/git/index.js';
import { commitFiles, git, makeBareRepo, makeRepo, rejectsKind, tempDir, write } from './helpers.js';

test('repositoryRoot, isGitRepository and errors for non-repositories', async (t) => {
  const repo = await makeRepo(t);
  await mkdir(join(repo, 'sub', 'dir'), { recursive: true });
  assert.equal(await repositoryRoot(join(repo, 'sub', 'dir')), repo);
  assert.equal(await isGitRepository(repo), true);
  assert.equal(await isGitRepository(join(repo, 'sub')), true);
  const plain = await tempDir(t);
  assert.equal(await isGitRepository(plain), false);
  assert.equal(await isGitRepository(join(plain, 'missing')), false);
  const bare = await makeBareRepo(t);
  assert.equal(await isGitRepository(bare), true);
  const error = await rejectsKind(repositoryRoot(plain), 'notAGitRepository');
  assert.equal(error.message, `Expected \`path\` to be a git repository, got \`${plain}\``);
  await rejectsKind(repositoryRoot(join(plain, 'missing')), 'pathNotFound');
});

test('initRepository creates a repository on the named branch', async (t) => {
  const dir = join(await tempDir(t), 'new repo');
  assert.equal(await initRepository(dir, { initialBranch: 'trunk' }), dir);
  assert.equal((await git(dir, 'symbolic-ref', 'HEAD')).trim(), 'refs/heads/trunk');
  await rejectsKind(initRepository(dir, { initialBranch: 'bad..name' }), 'invalidRef');
});

test('revParse, resolveRef and headOid', async (t) => {
  const repo = await makeRepo(t);
  const head = (await git(repo, 'rev-parse', 'HEAD')).trim();
  assert.equal(await headOid(repo), head);
  assert.equal(await revParse(repo, { ref: 'main' }), head);
  const second = await commitFiles(repo, { 'a.txt': 'a\n' }, 'second');
  assert.equal(await revParse(repo, { ref: 'HEAD~1' }), head);
  assert.equal(await revParse(repo, { ref: 'HEAD' }), second);
  await git(repo, 'tag', '-a', '-m', 'annotated', 'v1');
  assert.notEqual(await revParse(repo, { ref: 'v1' }), second); // the tag object
  assert.equal(await revParse(repo, { ref: 'v1', peel: 'commit' }), second);
  const error = await rejectsKind(revParse(repo, { ref: 'mian' }), 'branchNotFound');
  assert.equal(error.message, 'Expected `ref` to name an existing branch, got `mian`');
  assert.equal(await resolveRef(repo, { ref: 'nope' }), null);

  const unborn = await makeRepo(t, { commit: false });
  assert.equal(await headOid(unborn), null);
});

test('status reports each category', async (t) => {
  const repo = await makeRepo(t);
  await commitFiles(repo, { 'mod.txt': 'one\n', 'del.txt': 'gone\n', 'old name.txt': 'rename me\n'.repeat(20), 'both.txt': 'x\n', 'wt-del.txt': 'y\n' }, 'base');
  const clean = await status(repo);
  assert.equal(clean.isClean, true);
  assert.equal(clean.branch, 'main');
  assert.equal(clean.detached, false);
  assert.equal(clean.upstream, null);
  assert.equal(clean.oid, (await git(repo, 'rev-parse', 'HEAD')).trim());

  await write(repo, 'mod.txt', 'two\n');
  await git(repo, 'add', 'mod.txt'); // staged modification
  await write(repo, 'new.txt', 'new\n');
  await git(repo, 'add', 'new.txt'); // staged addition
  await git(repo, 'rm', '--quiet', 'del.txt'); // staged deletion
  await git(repo, 'mv', 'old name.txt', 'new name.txt'); // staged rename, with spaces
  await write(repo, 'both.txt', 'staged\n');
  await git(repo, 'add', 'both.txt');
  await write(repo, 'both.txt', 'then unstaged\n'); // staged and unstaged
  await rm(join(repo, 'wt-del.txt')); // unstaged deletion
  await write(repo, 'untracked dir/u.txt', 'u\n'); // untracked, listed per file
  await write(repo, '.gitignore', 'ignored.log\n');
  await write(repo, 'ignored.log', 'ignored\n');

  const s = await status(repo);
  assert.equal(s.isClean, false);
  const staged = Object.fromEntries(s.staged.map((e) => [e.path, e]));
  assert.equal(staged['mod.txt']?.change, 'modified');
  assert.equal(staged['new.txt']?.change, 'added');
  assert.equal(staged['del.txt']?.change, 'deleted');
  assert.equal(staged['new name.txt']?.change, 'renamed');
  assert.equal(staged['new name.txt']?.oldPath, 'old name.txt');
  assert.equal(staged['both.txt']?.change, 'modified');
  const unstaged = Object.fromEntries(s.unstaged.map((e) => [e.path, e.change]));
  assert.deepEqual(unstaged, { 'both.txt': 'modified', 'wt-del.txt': 'deleted' });
  assert.deepEqual(s.untracked.sort(), ['.gitignore', 'untracked dir/u.txt']);
  assert.deepEqual(s.conflicted, []);
  assert.equal(await isClean(repo), false);
});

test('status: type change, conflicts, detached HEAD, unborn branch', async (t) => {
  const repo = await makeRepo(t);
  await commitFiles(repo, { 'link.txt': 'file\n', 'c.txt': 'base\n' }, 'base');
  await rm(join(repo, 'link.txt'));
  await symlink('README.md', join(repo, 'link.txt'));
  const typeChanged = await status(repo);
  assert.deepEqual(typeChanged.unstaged, [{ path: 'link.txt', change: 'typeChanged' }]);
  await git(repo, 'checkout', '--quiet', '--', 'link.txt');

  await git(repo, 'switch', '--quiet', '-c', 'other');
  await commitFiles(repo, { 'c.txt': 'theirs\n' }, 'theirs');
  await git(repo, 'switch', '--quiet', 'main');
  await commitFiles(repo, { 'c.txt': 'ours\n' }, 'ours');
  assert.equal((await runGit(['merge', 'other'], repo)).exitCode, 1);
  const conflicted = await status(repo);
  assert.deepEqual(conflicted.conflicted, [{ path: 'c.txt', kind: 'bothModified' }]);
  assert.equal(conflicted.isClean, false);
  assert.equal(await operationInProgress(repo), 'merge');
  await git(repo, 'merge', '--abort');
  assert.equal(await operationInProgress(repo), null);

  await git(repo, 'switch', '--quiet', '--detach', 'HEAD~1');
  const detached = await status(repo);
  assert.equal(detached.detached, true);
  assert.equal(detached.branch, null);

  const unborn = await makeRepo(t, { commit: false });
  await write(unborn, 'first.txt', 'x\n');
  const s = await status(unborn);
  assert.equal(s.oid, null);
  assert.equal(s.branch, 'main');
  assert.deepEqual(s.untracked, ['first.txt']);
  assert.equal(await isClean(unborn, { ignoreUntracked: true }), true);
});

test('status: upstream and ahead/behind', async (t) => {
  const bare = await makeBareRepo(t);
  const repo = await makeRepo(t);
  await git(repo, 'remote', 'add', 'origin', bare);
  await git(repo, 'push', '--quiet', '-u', 'origin', 'main');
  await commitFiles(repo, { 'ahead1.txt': '1\n' }, 'ahead 1');
  await commitFiles(repo, { 'ahead2.txt': '2\n' }, 'ahead 2');
  const s = await status(repo);
  assert.equal(s.upstream, 'origin/main');
  assert.equal(s.ahead, 2);
  assert.equal(s.behind, 0);
  await git(repo, 'reset', '--quiet', '--hard', 'HEAD~2');
  await git(repo, 'push', '--quiet', '--force', 'origin', 'HEAD~0:refs/heads/main');
  await git(repo, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
  await commitFiles(repo, { 'x.txt': 'x\n' }, 'local');
  await git(repo, 'update-ref', 'refs/remotes/origin/main', (await git(repo, 'commit-tree', '-p', 'HEAD~1', '-m', 'remote', 'HEAD~1^{tree}')).trim());
  const diverged = await status(repo);
  assert.equal(diverged.ahead, 1);
  assert.equal(diverged.behind, 1);
});
