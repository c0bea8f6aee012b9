import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  addRemote,
  deleteRemoteBranch,
  fetch,
  listBranches,
  listRemotes,
  pull,
  push,
  removeRemote,
  status,
} from '../../src/git/index.js';
import { commitFiles, git, makeBareRepo, makeRepo, rejectsKind, setIdentity, tempDir } from './helpers.js';

/** A bare origin, a working copy that pushed main to it, and a second clone. */
async function pair(t: TestContext): Promise<{ bare: string; a: string; b: string }> {
  const bare = await makeBareRepo(t);
  const a = await makeRepo(t);
  await addRemote(a, { name: 'origin', url: bare });
  await push(a, { branch: 'main', setUpstream: true });
  const b = join(await tempDir(t), 'clone');
  await git(a, 'clone', '--quiet', bare, b);
  await setIdentity(b);
  return { bare, a, b };
}

test('addRemote, listRemotes, removeRemote', async (t) => {
  const repo = await makeRepo(t);
  const bare = await makeBareRepo(t);
  await addRemote(repo, { name: 'origin', url: bare });
  await addRemote(repo, { name: 'my/fork', url: 'https://example.com/fork.git' });
  assert.deepEqual(await listRemotes(repo), [
    { name: 'my/fork', fetchUrl: 'https://example.com/fork.git', pushUrl: 'https://example.com/fork.git' },
    { name: 'origin', fetchUrl: bare, pushUrl: bare },
  ]);
  const exists = await rejectsKind(addRemote(repo, { name: 'origin', url: bare }), 'alreadyExists');
  assert.equal(exists.details.value, 'origin');
  await removeRemote(repo, { name: 'my/fork' });
  assert.deepEqual((await listRemotes(repo)).map((r) => r.name), ['origin']);
  await rejectsKind(removeRemote(repo, { name: 'nope' }), 'notFound');
});

test('push with set-upstream, fetch and pull between two clones', async (t) => {
  const { bare, a, b } = await pair(t);
  assert.equal((await status(a)).upstream, 'origin/main');
  assert.equal((await git(bare, 'rev-parse', 'main')).trim(), (await git(a, 'rev-parse', 'HEAD')).trim());

  // A new branch pushed from a, fetched into b.
  await git(a, 'switch', '--quiet', '-c', 'feature');
  const featureTip = await commitFiles(a, { 'f.txt': 'f\n' }, 'feature');
  await push(a, { setUpstream: true }); // current branch
  assert.equal((await status(a)).upstream, 'origin/feature');
  await fetch(b);
  assert.equal((await git(b, 'rev-parse', 'origin/feature')).trim(), featureTip);

  // pull: fast-forward.
  await git(a, 'switch', '--quiet', 'main');
  const mainTip = await commitFiles(a, { 'm.txt': 'm\n' }, 'main work');
  await push(a);
  const pulled = await pull(b);
  assert.equal(pulled.ok, true);
  assert.ok(pulled.ok && pulled.fastForward && !pulled.upToDate);
  assert.equal((await git(b, 'rev-parse', 'HEAD')).trim(), mainTip);
  const again = await pull(b, { remote: 'origin', branch: 'main' });
  assert.ok(again.ok && again.upToDate);

  // fetch one branch only, and prune.
  await commitFiles(a, { 'n.txt': 'n\n' }, 'more');
  await push(a);
  await fetch(b, { branch: 'main' });
  assert.equal((await git(b, 'rev-parse', 'origin/main')).trim(), (await git(a, 'rev-parse', 'HEAD')).trim());
  await deleteRemoteBranch(a, { branch: 'feature' });
  assert.equal((await git(bare, 'branch', '--list', 'feature')).trim(), '');
  // a's own remote-tracking ref went with it.
  assert.ok(!(await listBranches(a, { scope: 'remote' })).some((br) => br.name === 'origin/feature'));
  await fetch(b, { prune: true });
  assert.ok(!(await listBranches(b, { scope: 'remote' })).some((br) => br.name === 'origin/feature'));
});

test('pull with conflicts comes back typed; ff-only refuses divergence', async (t) => {
  const { a, b } = await pair(t);
  await commitFiles(a, { 'README.md': 'from a\n' }, 'a edits');
  await push(a);
  await commitFiles(b, { 'README.md': 'from b\n' }, 'b edits');

  const refused = await rejectsKind(pull(b, { mode: 'fastForwardOnly' }), 'invalidState');
  assert.equal(refused.details.reason, 'notFastForward');
  const conflicted = await pull(b);
  assert.deepEqual(conflicted, { ok: false, conflicts: ['README.md'] });
  await git(b, 'merge', '--abort');

  const rebased = await pull(b, { mode: 'rebase' });
  assert.deepEqual(rebased, { ok: false, conflicts: ['README.md'] });
  await git(b, 'rebase', '--abort');
  assert.equal(await readFile(join(b, 'README.md'), 'utf8'), 'from b\n');
});

test('push: non-fast-forward is remoteFailed; force-with-lease overwrites only what we saw', async (t) => {
  const { bare, a, b } = await pair(t);
  await commitFiles(a, { 'a.txt': 'a\n' }, 'a');
  await push(a);
  const bTip = await commitFiles(b, { 'b.txt': 'b\n' }, 'b');

  const rejected = await rejectsKind(push(b), 'remoteFailed');
  assert.equal(rejected.details.reason, 'nonFastForward');
  assert.equal(rejected.details.remote, 'origin');
  assert.match(rejected.message, /^Expected `git push` to succeed for `remote` `origin`, got /);

  // b's origin/main is stale (it never fetched a's push): the lease fails.
  const stale = await rejectsKind(push(b, { forceWithLease: true }), 'remoteFailed');
  assert.equal(stale.details.reason, 'staleLease');
  await fetch(b);
  await push(b, { forceWithLease: true });
  assert.equal((await git(bare, 'rev-parse', 'main')).trim(), bTip);

  // An explicit expectation.
  const bNext = await commitFiles(b, { 'b2.txt': 'b\n' }, 'b2');
  await push(b, { forceWithLease: { expect: bTip } }); // the remote is at bTip: allowed
  assert.equal((await git(bare, 'rev-parse', 'main')).trim(), bNext);
  await commitFiles(b, { 'b3.txt': 'b\n' }, 'b3');
  const lease = await rejectsKind(push(b, { forceWithLease: { expect: bTip } }), 'remoteFailed'); // it is at bNext now
  assert.equal(lease.details.reason, 'staleLease');
});

test('remote errors: missing branch, missing remote, unreachable remote', async (t) => {
  const { a } = await pair(t);
  await rejectsKind(push(a, { branch: 'nope' }), 'branchNotFound');
  await rejectsKind(deleteRemoteBranch(a, { branch: 'nope' }), 'branchNotFound');
  await rejectsKind(fetch(a, { branch: 'nope' }), 'branchNotFound');
  const unreachable = await rejectsKind(fetch(a, { remote: 'nowhere' }), 'remoteFailed');
  assert.equal(unreachable.details.reason, 'repositoryNotFound');
  await addRemote(a, { name: 'gone', url: join(await tempDir(t), 'missing.git') });
  const gone = await rejectsKind(push(a, { remote: 'gone' }), 'remoteFailed');
  assert.equal(gone.details.reason, 'repositoryNotFound');
});
