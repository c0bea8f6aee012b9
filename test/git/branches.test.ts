import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkout, createBranch, currentBranch, deleteBranch, listBranches, setUpstream } from '../../src/git/index.js';
import { commitFiles, git, makeBareRepo, makeRepo, rejectsKind, write } from './helpers.js';

test('createBranch from HEAD and from a start point, without switching', async (t) => {
  const repo = await makeRepo(t);
  const first = (await git(repo, 'rev-parse', 'HEAD')).trim();
  const second = await commitFiles(repo, { 'a.txt': 'a\n' }, 'second');
  assert.deepEqual(await createBranch(repo, { name: 'feature/one' }), { name: 'feature/one', oid: second });
  assert.deepEqual(await createBranch(repo, { name: 'old', startPoint: 'HEAD~1' }), { name: 'old', oid: first });
  assert.equal(await currentBranch(repo), 'main');

  const exists = await rejectsKind(createBranch(repo, { name: 'old' }), 'branchExists');
  assert.equal(exists.message, 'Expected `name` to name a new branch, but `old` already exists');
  assert.deepEqual(await createBranch(repo, { name: 'old', force: true }), { name: 'old', oid: second });

  const missing = await rejectsKind(createBranch(repo, { name: 'x', startPoint: 'mian' }), 'branchNotFound');
  assert.equal(missing.message, 'Expected `startPoint` to name an existing branch, got `mian`');
});

test('checkout switches branches, detaches, creates, and refuses to clobber changes', async (t) => {
  const repo = await makeRepo(t);
  await createBranch(repo, { name: 'other' });
  await checkout(repo, { ref: 'other' });
  assert.equal(await currentBranch(repo), 'other');
  await commitFiles(repo, { 'f.txt': 'other\n' }, 'on other');
  await checkout(repo, { ref: 'main' });
  assert.equal(await currentBranch(repo), 'main');

  await write(repo, 'f.txt', 'untracked here would be overwritten\n');
  const dirty = await rejectsKind(checkout(repo, { ref: 'other' }), 'dirtyWorkingTree');
  assert.deepEqual(dirty.details.files, ['f.txt']);
  assert.equal(await currentBranch(repo), 'main');
  await git(repo, 'clean', '-fdq');

  await commitFiles(repo, { 'README.md': 'main change\n' }, 'main change');
  await checkout(repo, { ref: 'other' });
  await write(repo, 'README.md', 'local edit\n');
  await rejectsKind(checkout(repo, { ref: 'main' }), 'dirtyWorkingTree');
  await checkout(repo, { ref: 'main', force: true });
  assert.equal(await readFile(join(repo, 'README.md'), 'utf8'), 'main change\n');

  await checkout(repo, { ref: 'HEAD~1', detach: true });
  assert.equal(await currentBranch(repo), null);
  await checkout(repo, { ref: 'made', createFrom: 'main' });
  assert.equal(await currentBranch(repo), 'made');

  const missing = await rejectsKind(checkout(repo, { ref: 'mian' }), 'branchNotFound');
  assert.equal(missing.message, 'Expected `ref` to name an existing branch, got `mian`');
});

test('deleteBranch: merged, unmerged without and with force, checked out, missing', async (t) => {
  const repo = await makeRepo(t);
  await createBranch(repo, { name: 'merged' });
  await deleteBranch(repo, { name: 'merged' });
  assert.equal((await git(repo, 'branch', '--list', 'merged')).trim(), '');

  await checkout(repo, { ref: 'unmerged', createFrom: 'main' });
  await commitFiles(repo, { 'u.txt': 'u\n' }, 'unmerged work');
  await checkout(repo, { ref: 'main' });
  const unmerged = await rejectsKind(deleteBranch(repo, { name: 'unmerged' }), 'invalidState');
  assert.equal(unmerged.details.reason, 'notMerged');
  await deleteBranch(repo, { name: 'unmerged', force: true });

  const current = await rejectsKind(deleteBranch(repo, { name: 'main', force: true }), 'invalidState');
  assert.equal(current.details.reason, 'checkedOut');
  const missing = await rejectsKind(deleteBranch(repo, { name: 'nope' }), 'branchNotFound');
  assert.equal(missing.message, 'Expected `name` to name an existing branch, got `nope`');
});

test('listBranches with oids, upstreams, remote-tracking branches; setUpstream', async (t) => {
  const bare = await makeBareRepo(t);
  const repo = await makeRepo(t);
  await git(repo, 'remote', 'add', 'origin', bare);
  await git(repo, 'remote', 'add', 'my/fork', bare);
  await createBranch(repo, { name: 'feature' });
  await git(repo, 'push', '--quiet', 'origin', 'main', 'feature');
  await git(repo, 'fetch', '--quiet', 'my/fork');
  await setUpstream(repo, { branch: 'main', upstream: 'origin/main' });
  await commitFiles(repo, { 'ahead.txt': '1\n' }, 'ahead');

  const local = await listBranches(repo);
  const head = (await git(repo, 'rev-parse', 'HEAD')).trim();
  assert.deepEqual(
    local.map((b) => [b.name, b.current, b.upstream, b.ahead, b.behind, b.remote]),
    [
      ['feature', false, null, 0, 0, null],
      ['main', true, 'origin/main', 1, 0, null],
    ],
  );
  assert.equal(local.find((b) => b.name === 'main')?.oid, head);
  assert.equal(local.find((b) => b.name === 'main')?.ref, 'refs/heads/main');

  const remote = await listBranches(repo, { scope: 'remote' });
  assert.deepEqual(
    remote.map((b) => [b.name, b.remote]).sort(),
    [
      ['my/fork/feature', 'my/fork'],
      ['my/fork/main', 'my/fork'],
      ['origin/feature', 'origin'],
      ['origin/main', 'origin'],
    ],
  );
  assert.equal((await listBranches(repo, { scope: 'all' })).length, 6);

  // No branch option: the current branch.
  await setUpstream(repo, { upstream: null });
  assert.equal((await listBranches(repo)).find((b) => b.name === 'main')?.upstream, null);
  await checkout(repo, { ref: 'feature' });
  await setUpstream(repo, { upstream: 'origin/feature' });
  assert.equal((await listBranches(repo)).find((b) => b.name === 'feature')?.upstream, 'origin/feature');
  await rejectsKind(setUpstream(repo, { branch: 'main', upstream: 'origin/nope' }), 'branchNotFound');

  // The upstream disappears: gone.
  await git(repo, 'push', '--quiet', 'origin', '--delete', 'feature');
  const gone = (await listBranches(repo)).find((b) => b.name === 'feature');
  assert.equal(gone?.upstreamGone, true);
});

test('currentBranch on an unborn branch', async (t) => {
  const repo = await makeRepo(t, { commit: false, branch: 'trunk' });
  assert.equal(await currentBranch(repo), 'trunk');
  assert.deepEqual(await listBranches(repo), []);
});
