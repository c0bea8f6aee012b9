import assert from 'node:assert/strict';
import { existsSync, realpathSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  addWorktree,
  createBranch,
  gitVersion,
  lfsFetch,
  lfsPull,
  lfsVersion,
  listSubmodules,
  listWorktrees,
  parseWorktreeList,
  pruneWorktrees,
  removeWorktree,
  submoduleInit,
  submoduleUpdate,
  versionAtLeast,
} from '../../src/git/index.js';
import { commitFiles, git, makeBareRepo, makeRepo, rejectsKind, setIdentity, tempDir, write } from './helpers.js';

test('submodules: init and recursive update from local repositories', async (t) => {
  // inner <- middle (submodule) <- top (submodule, recursive)
  const inner = await makeRepo(t);
  await commitFiles(inner, { 'inner.txt': 'inner\n' }, 'inner');
  const middle = await makeRepo(t);
  await git(middle, '-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'add', inner, 'deps/inner');
  await git(middle, 'commit', '--quiet', '-m', 'add inner');
  const top = await makeRepo(t);
  await git(top, '-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'add', middle, 'deps/middle');
  await git(top, 'commit', '--quiet', '-m', 'add middle');

  const clone = join(await tempDir(t), 'clone');
  await git(top, 'clone', '--quiet', top, clone);
  await setIdentity(clone);
  assert.deepEqual(
    (await listSubmodules(clone)).map((s) => [s.path, s.state]),
    [['deps/middle', 'uninitialized']],
  );

  // Modern git refuses file-based submodule URLs unless allowed.
  if (versionAtLeast(await gitVersion(), '2.38.1')) {
    const refused = await rejectsKind(submoduleUpdate(clone), 'remoteFailed');
    assert.equal(refused.details.reason, 'transportNotAllowed');
    assert.equal(refused.details.remote, middle);
    assert.ok(!existsSync(join(clone, 'deps/middle/deps/inner/inner.txt')));
  }

  await submoduleInit(clone);
  assert.match(await git(clone, 'config', '--get', 'submodule.deps/middle.url'), /\S/);
  await submoduleUpdate(clone, { allowFileProtocol: true });
  assert.equal(await readFile(join(clone, 'deps/middle/deps/inner/inner.txt'), 'utf8'), 'inner\n');
  assert.deepEqual(
    (await listSubmodules(clone)).map((s) => [s.path, s.state]),
    [
      ['deps/middle', 'current'],
      ['deps/middle/deps/inner', 'current'],
    ],
  );

  // Move the inner checkout: reported as changed.
  await git(join(clone, 'deps/middle/deps/inner'), 'checkout', '--quiet', '--detach', 'HEAD~1');
  const changed = await listSubmodules(clone);
  assert.equal(changed.find((s) => s.path === 'deps/middle/deps/inner')?.state, 'changed');
  assert.deepEqual((await listSubmodules(clone, { recursive: false })).map((s) => s.path), ['deps/middle']);
});

test('lfs: pull and fetch need git-lfs', async (t) => {
  const bare = await makeBareRepo(t);
  const repo = await makeRepo(t);
  await git(repo, 'remote', 'add', 'origin', bare);
  await git(repo, 'push', '--quiet', 'origin', 'main');
  const version = await lfsVersion(repo);
  if (version === null) {
    const error = await rejectsKind(lfsPull(repo), 'lfsNotInstalled');
    assert.match(error.message, /^Expected `git lfs` to be installed, got `git: 'lfs' is not a git command/);
    await rejectsKind(lfsFetch(repo, { remote: 'origin' }), 'lfsNotInstalled');
  } else {
    assert.match(version, /git-lfs/);
    await git(repo, 'lfs', 'install', '--local');
    await lfsFetch(repo);
    await lfsPull(repo);
    assert.equal(await readFile(join(repo, 'README.md'), 'utf8'), '# test\n');
  }
  await rejectsKind(lfsPull(repo, { remote: '--upload-pack=x' }), 'invalidRef');
});

test('worktrees: add with a new branch, an existing branch, detached; list; remove; prune', async (t) => {
  const repo = await makeRepo(t);
  const base = (await git(repo, 'rev-parse', 'HEAD')).trim();
  const second = await commitFiles(repo, { 'a.txt': 'a\n' }, 'second');
  const parent = await tempDir(t, 'orchd-wt-');

  const one = await addWorktree(repo, { worktreePath: join(parent, 'one'), newBranch: 'task/one', startPoint: base });
  assert.deepEqual(one, { path: join(parent, 'one'), head: base, branch: 'task/one' });
  assert.ok(!existsSync(join(parent, 'one', 'a.txt')));

  await createBranch(repo, { name: 'existing' });
  const two = await addWorktree(repo, { worktreePath: join(parent, 'two'), branch: 'existing' });
  assert.deepEqual(two, { path: join(parent, 'two'), head: second, branch: 'existing' });

  const three = await addWorktree(repo, { worktreePath: join(parent, 'three'), startPoint: 'HEAD~1' });
  assert.deepEqual(three, { path: join(parent, 'three'), head: base, branch: null });

  const list = await listWorktrees(repo); // the main worktree, then git's order (by path)
  assert.deepEqual(
    list.map((w) => [w.path, w.head, w.branch, w.detached, w.bare, w.locked, w.prunable]),
    [
      [realpathSync(repo), second, 'main', false, false, null, null],
      [join(parent, 'one'), base, 'task/one', false, false, null, null],
      [join(parent, 'three'), base, null, true, false, null, null],
      [join(parent, 'two'), second, 'existing', false, false, null, null],
    ],
  );

  // Errors.
  const busy = await rejectsKind(addWorktree(repo, { worktreePath: join(parent, 'four'), branch: 'existing' }), 'invalidState');
  assert.equal(busy.details.reason, 'checkedOut');
  await rejectsKind(addWorktree(repo, { worktreePath: join(parent, 'four'), newBranch: 'existing' }), 'branchExists');
  await rejectsKind(addWorktree(repo, { worktreePath: join(parent, 'four'), branch: 'nope' }), 'branchNotFound');
  await rejectsKind(addWorktree(repo, { worktreePath: join(parent, 'four'), newBranch: 'x', startPoint: 'nope' }), 'branchNotFound');
  await rejectsKind(addWorktree(repo, { worktreePath: join(parent, 'one'), newBranch: 'fresh' }), 'alreadyExists');

  // Dirty worktrees are kept unless forced.
  await write(join(parent, 'one'), 'scratch.txt', 'uncommitted\n');
  await rejectsKind(removeWorktree(repo, { worktreePath: join(parent, 'one') }), 'dirtyWorkingTree');
  assert.ok(existsSync(join(parent, 'one', 'scratch.txt')));
  await removeWorktree(repo, { worktreePath: join(parent, 'one'), force: true });
  assert.ok(!existsSync(join(parent, 'one')));
  await removeWorktree(repo, { worktreePath: join(parent, 'three') });
  await rejectsKind(removeWorktree(repo, { worktreePath: join(parent, 'three') }), 'notFound');

  // A worktree whose directory vanished is prunable until pruned.
  await rm(join(parent, 'two'), { recursive: true, force: true });
  const stale = await listWorktrees(repo);
  assert.ok(stale.find((w) => w.path === join(parent, 'two'))?.prunable !== null);
  await pruneWorktrees(repo);
  assert.deepEqual((await listWorktrees(repo)).map((w) => w.branch), ['main']);
  // The branch survives its worktree.
  assert.equal((await git(repo, 'rev-parse', 'existing')).trim(), second);
});

test('parseWorktreeList handles bare, locked and prunable entries', () => {
  const out = [
    'worktree /srv/repo.git',
    'bare',
    '',
    'worktree /tmp/wt one',
    'HEAD 1111111111111111111111111111111111111111',
    'branch refs/heads/feature/x',
    'locked reason with spaces',
    '',
    'worktree /tmp/gone',
    'HEAD 2222222222222222222222222222222222222222',
    'detached',
    'locked',
    'prunable gitdir file points to non-existent location',
    '',
  ].join('\0');
  assert.deepEqual(parseWorktreeList(out), [
    { path: '/srv/repo.git', head: null, branch: null, detached: false, bare: true, locked: null, prunable: null },
    { path: '/tmp/wt one', head: '1'.repeat(40), branch: 'feature/x', detached: false, bare: false, locked: 'reason with spaces', prunable: null },
    {
      path: '/tmp/gone',
      head: '2'.repeat(40),
      branch: null,
      detached: true,
      bare: false,
      locked: '',
      prunable: 'gitdir file points to non-existent location',
    },
  ]);
});
