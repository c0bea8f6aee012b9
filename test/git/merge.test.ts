import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  abortCherryPick,
  abortMerge,
  abortRebase,
  cherryPick,
  commitAll,
  conflictedFiles,
  continueCherryPick,
  continueRebase,
  log,
  merge,
  mergeBase,
  operationInProgress,
  rebase,
  stage,
  status,
} from '../../src/git/index.js';
import { assertCleanTree, commitFiles, git, makeRepo, rejectsKind, write } from './helpers.js';

/** main and feature both change conflict.txt after `base`; feature also adds feature.txt. */
async function divergedRepo(t: TestContext): Promise<{ repo: string; base: string; mainTip: string; featureTip: string }> {
  const repo = await makeRepo(t);
  const base = await commitFiles(repo, { 'conflict.txt': 'base\n', 'shared.txt': 'shared\n' }, 'base');
  await git(repo, 'switch', '--quiet', '-c', 'feature');
  await commitFiles(repo, { 'feature.txt': 'f\n' }, 'feature only');
  const featureTip = await commitFiles(repo, { 'conflict.txt': 'feature\n' }, 'feature edit');
  await git(repo, 'switch', '--quiet', 'main');
  const mainTip = await commitFiles(repo, { 'conflict.txt': 'main\n' }, 'main edit');
  return { repo, base, mainTip, featureTip };
}

test('mergeBase, and null for unrelated histories', async (t) => {
  const { repo, base } = await divergedRepo(t);
  assert.equal(await mergeBase(repo, { a: 'main', b: 'feature' }), base);
  await git(repo, 'switch', '--quiet', '--orphan', 'lonely');
  await commitFiles(repo, { 'l.txt': 'l\n' }, 'lonely root');
  assert.equal(await mergeBase(repo, { a: 'main', b: 'lonely' }), null);
  await rejectsKind(mergeBase(repo, { a: 'main', b: 'nope' }), 'branchNotFound');
});

test('merge: no-ff merge commit, fast-forward, ff-only refusal, already up to date', async (t) => {
  const repo = await makeRepo(t);
  const start = (await git(repo, 'rev-parse', 'HEAD')).trim();
  await git(repo, 'switch', '--quiet', '-c', 'topic');
  const topic = await commitFiles(repo, { 't.txt': 't\n' }, 'topic');
  await git(repo, 'switch', '--quiet', 'main');

  const ff = await merge(repo, { ref: 'topic', mode: 'fastForwardOnly' });
  assert.deepEqual(ff, { ok: true, oid: topic, fastForward: true, upToDate: false, squashed: false });
  const same = await merge(repo, { ref: 'topic' });
  assert.equal(same.ok && same.upToDate, true);

  await git(repo, 'reset', '--quiet', '--hard', start);
  const noFf = await merge(repo, { ref: 'topic', mode: 'noFastForward', message: 'Merge topic the orchd way' });
  assert.equal(noFf.ok, true);
  const [mergeCommit] = await log(repo, { n: 1 });
  assert.deepEqual(mergeCommit?.parents, [start, topic]);
  assert.equal(mergeCommit?.subject, 'Merge topic the orchd way');
  assert.equal(noFf.ok && noFf.oid, mergeCommit?.oid);

  await commitFiles(repo, { 'm.txt': 'm\n' }, 'main moves on');
  await git(repo, 'switch', '--quiet', 'topic');
  await commitFiles(repo, { 't2.txt': 't\n' }, 'topic moves on');
  const refused = await rejectsKind(merge(repo, { ref: 'main', mode: 'fastForwardOnly' }), 'invalidState');
  assert.equal(refused.details.reason, 'notFastForward');
  await assertCleanTree(repo);
  await rejectsKind(merge(repo, { ref: 'nope' }), 'branchNotFound');
});

test('merge conflicts come back typed; abort restores a clean tree', async (t) => {
  const { repo, mainTip } = await divergedRepo(t);
  const result = await merge(repo, { ref: 'feature', mode: 'noFastForward' });
  assert.deepEqual(result, { ok: false, conflicts: ['conflict.txt'] });
  assert.deepEqual(await conflictedFiles(repo), ['conflict.txt']);
  assert.equal(await operationInProgress(repo), 'merge');
  // A second merge while one is stopped is refused with its own kind.
  await rejectsKind(merge(repo, { ref: 'feature' }), 'rebaseInProgress');
  await rejectsKind(commitAll(repo, { message: 'not yet' }), 'mergeConflict');

  await abortMerge(repo);
  await assertCleanTree(repo);
  assert.equal((await git(repo, 'rev-parse', 'HEAD')).trim(), mainTip);
  assert.equal(await operationInProgress(repo), null);
  await rejectsKind(abortMerge(repo), 'invalidState');
});

test('merge conflict resolved and committed', async (t) => {
  const { repo, mainTip, featureTip } = await divergedRepo(t);
  assert.equal((await merge(repo, { ref: 'feature' })).ok, false);
  await write(repo, 'conflict.txt', 'resolved\n');
  // Unmerged paths are never swept in by commitAll; they are staged explicitly once resolved.
  const refused = await rejectsKind(commitAll(repo, { message: 'merge feature' }), 'mergeConflict');
  assert.deepEqual(refused.details.files, ['conflict.txt']);
  await stage(repo, { paths: ['conflict.txt'] });
  await commitAll(repo, { message: 'merge feature' });
  const [top] = await log(repo, { n: 1 });
  assert.deepEqual(top?.parents, [mainTip, featureTip]);
  await assertCleanTree(repo);
});

test('merge refuses when local changes would be overwritten', async (t) => {
  const { repo } = await divergedRepo(t);
  await write(repo, 'conflict.txt', 'local edit\n');
  const error = await rejectsKind(merge(repo, { ref: 'feature' }), 'dirtyWorkingTree');
  assert.deepEqual(error.details.files, ['conflict.txt']);
  assert.equal(await readFile(join(repo, 'conflict.txt'), 'utf8'), 'local edit\n');
});

test('squash merge stages without committing; squash conflicts abort cleanly', async (t) => {
  const { repo, mainTip } = await divergedRepo(t);
  await git(repo, 'switch', '--quiet', '-c', 'clean-topic', 'main');
  await git(repo, 'switch', '--quiet', 'main');
  await git(repo, 'switch', '--quiet', 'clean-topic');
  await commitFiles(repo, { 'extra.txt': 'e\n' }, 'extra');
  await git(repo, 'switch', '--quiet', 'main');
  const squashed = await merge(repo, { ref: 'clean-topic', mode: 'squash' });
  assert.deepEqual(squashed, { ok: true, oid: mainTip, fastForward: false, upToDate: false, squashed: true });
  assert.deepEqual((await status(repo)).staged.map((e) => [e.path, e.change]), [['extra.txt', 'added']]);
  await git(repo, 'reset', '--quiet', '--hard');

  const conflicted = await merge(repo, { ref: 'feature', mode: 'squash' });
  assert.deepEqual(conflicted, { ok: false, conflicts: ['conflict.txt'] });
  await abortMerge(repo);
  await assertCleanTree(repo);
});

test('rebase onto a branch; conflicts typed; abort restores; continue after resolving', async (t) => {
  const { repo, featureTip } = await divergedRepo(t);
  await git(repo, 'switch', '--quiet', 'feature');
  const stopped = await rebase(repo, { onto: 'main' });
  assert.equal(stopped.ok, false);
  assert.ok(!stopped.ok);
  assert.deepEqual(stopped.conflicts, ['conflict.txt']);
  assert.equal(stopped.stoppedAt, featureTip);
  assert.equal(await operationInProgress(repo), 'rebase');
  await rejectsKind(rebase(repo, { onto: 'main' }), 'rebaseInProgress');

  await abortRebase(repo);
  await assertCleanTree(repo);
  assert.equal((await git(repo, 'rev-parse', 'HEAD')).trim(), featureTip);
  assert.equal((await git(repo, 'symbolic-ref', '--short', 'HEAD')).trim(), 'feature');
  await rejectsKind(abortRebase(repo), 'invalidState');

  assert.equal((await rebase(repo, { onto: 'main' })).ok, false);
  // Continuing with the conflict unresolved stays stopped.
  const still = await continueRebase(repo);
  assert.equal(still.ok, false);
  await write(repo, 'conflict.txt', 'main and feature\n');
  await stage(repo, { paths: ['conflict.txt'] });
  const done = await continueRebase(repo);
  assert.equal(done.ok, true);
  const subjects = (await log(repo, { n: 4 })).map((c) => c.subject);
  assert.deepEqual(subjects, ['feature edit', 'feature only', 'main edit', 'base']);
  await assertCleanTree(repo);
  await rejectsKind(continueRebase(repo), 'invalidState');
});

test('rebase without conflicts, with --onto upstream, and with a dirty tree', async (t) => {
  const repo = await makeRepo(t);
  await git(repo, 'switch', '--quiet', '-c', 'topic');
  await commitFiles(repo, { 'a.txt': 'a\n' }, 'topic a');
  await commitFiles(repo, { 'b.txt': 'b\n' }, 'topic b');
  await git(repo, 'switch', '--quiet', 'main');
  const mainTip = await commitFiles(repo, { 'm.txt': 'm\n' }, 'main');
  await git(repo, 'switch', '--quiet', 'topic');

  await write(repo, 'README.md', 'dirty\n');
  await rejectsKind(rebase(repo, { onto: 'main' }), 'dirtyWorkingTree');
  await git(repo, 'checkout', '--quiet', '--', 'README.md');

  // Replay only the last commit onto main.
  const result = await rebase(repo, { onto: 'main', upstream: 'topic~1' });
  assert.equal(result.ok, true);
  const commits = await log(repo, { n: 2 });
  assert.deepEqual(commits.map((c) => c.subject), ['topic b', 'main']);
  assert.equal(commits[1]?.oid, mainTip);
  assert.equal(result.ok && result.oid, commits[0]?.oid);
});

test('cherry-pick: success, conflict typed, abort restores, continue, empty picks skipped', async (t) => {
  const { repo, mainTip } = await divergedRepo(t);
  const featureOnly = (await git(repo, 'rev-parse', 'feature~1')).trim();
  const picked = await cherryPick(repo, { commits: [featureOnly] });
  assert.equal(picked.ok, true);
  assert.equal((await log(repo, { n: 1 }))[0]?.subject, 'feature only');
  const afterPick = (await git(repo, 'rev-parse', 'HEAD')).trim();

  const conflicted = await cherryPick(repo, { commits: ['feature'] });
  assert.deepEqual(conflicted, { ok: false, conflicts: ['conflict.txt'] });
  assert.equal(await operationInProgress(repo), 'cherry-pick');
  await rejectsKind(cherryPick(repo, { commits: ['feature'] }), 'rebaseInProgress');
  await abortCherryPick(repo);
  await assertCleanTree(repo);
  assert.equal((await git(repo, 'rev-parse', 'HEAD')).trim(), afterPick);
  await rejectsKind(abortCherryPick(repo), 'invalidState');

  assert.equal((await cherryPick(repo, { commits: ['feature'] })).ok, false);
  await write(repo, 'conflict.txt', 'resolved\n');
  await stage(repo, { paths: ['conflict.txt'] });
  const continued = await continueCherryPick(repo);
  assert.equal(continued.ok, true);
  assert.equal((await log(repo, { n: 1 }))[0]?.subject, 'feature edit');

  // Picking something already applied is dropped, not left stopped.
  const again = await cherryPick(repo, { commits: [featureOnly] });
  assert.deepEqual(again, { ok: true, oid: (await git(repo, 'rev-parse', 'HEAD')).trim(), skipped: 1 });
  await assertCleanTree(repo);
  assert.notEqual(mainTip, afterPick);
  await rejectsKind(cherryPick(repo, { commits: ['nope'] }), 'branchNotFound');
});
