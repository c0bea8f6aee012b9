import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { commit, commitAll, identityArgs, initRepository, log, reset, show, stage, status } from '../../src/git/index.js';
import { commitFiles, git, makeRepo, rejectsKind, tempDir, write } from './helpers.js';

test('commitAll stages additions, modifications and deletions, then commits', async (t) => {
  const repo = await makeRepo(t);
  await commitFiles(repo, { 'keep.txt': 'keep\n', 'drop.txt': 'drop\n' }, 'base');
  await write(repo, 'keep.txt', 'changed\n');
  await rm(join(repo, 'drop.txt'));
  await write(repo, 'dir/new file.txt', 'new\n');
  const { oid } = await commitAll(repo, { message: '-n looks like an option\n\nbody text' });
  assert.equal(oid, (await git(repo, 'rev-parse', 'HEAD')).trim());
  assert.equal((await status(repo)).isClean, true);
  const [latest] = await log(repo, { n: 1 });
  assert.equal(latest?.subject, '-n looks like an option');
  assert.equal(latest?.body, 'body text');
  assert.equal(latest?.author.email, 'test@example.com');
  assert.deepEqual((await git(repo, 'show', '--name-status', '--format=', 'HEAD')).trim().split('\n').sort(), [
    'A\tdir/new file.txt',
    'D\tdrop.txt',
    'M\tkeep.txt',
  ]);

  const nothing = await rejectsKind(commitAll(repo, { message: 'again' }), 'nothingToCommit');
  assert.equal(nothing.message, `Expected \`path\` to have changes to commit, got a clean tree in \`${repo}\``);
  const empty = await commitAll(repo, { message: 'empty', allowEmpty: true });
  assert.notEqual(empty.oid, oid);
});

test('commit commits only what is staged; stage takes paths; amend keeps or replaces the message', async (t) => {
  const repo = await makeRepo(t);
  await write(repo, 'a.txt', 'a\n');
  await write(repo, 'b.txt', 'b\n');
  await stage(repo, { paths: ['a.txt'] });
  await commit(repo, { message: 'only a' });
  assert.deepEqual((await status(repo)).untracked, ['b.txt']);
  await rejectsKind(commit(repo, { message: 'nothing staged' }), 'nothingToCommit');

  const before = (await git(repo, 'rev-parse', 'HEAD~1')).trim();
  await stage(repo, { paths: ['b.txt'] });
  const amended = await commit(repo, { amend: true });
  const [top] = await log(repo, { n: 1 });
  assert.equal(top?.oid, amended.oid);
  assert.equal(top?.subject, 'only a');
  assert.deepEqual(top?.parents, [before]);
  await commit(repo, { amend: true, message: 'a and b' });
  assert.equal((await log(repo, { n: 1 }))[0]?.subject, 'a and b');
  assert.equal((await log(repo)).length, 2);
  await rejectsKind(commit(repo, {}), 'invalidState');
});

test('the fallback identity is used only when no user.email is configured', async (t) => {
  const home = await tempDir(t, 'orchd-home-');
  isolateHome(t, home);
  const repo = await initRepository(join(await tempDir(t), 'repo'));
  assert.deepEqual(await identityArgs(repo), ['-c', 'user.name=orchd', '-c', 'user.email=orchd@localhost']);
  await write(repo, 'file.txt', 'x\n');
  await commitAll(repo, { message: 'no identity configured' });
  assert.equal((await git(repo, 'log', '-1', '--format=%an <%ae>|%cn <%ce>')).trim(), 'orchd <orchd@localhost>|orchd <orchd@localhost>');
  // Nothing was written to the repository's config.
  assert.doesNotMatch(await readFile(join(repo, '.git', 'config'), 'utf8'), /orchd@localhost/);

  await git(repo, 'config', 'user.name', 'Real Person');
  await git(repo, 'config', 'user.email', 'real@example.com');
  assert.deepEqual(await identityArgs(repo), []);
  await write(repo, 'file.txt', 'y\n');
  await commitAll(repo, { message: 'configured identity' });
  assert.equal((await git(repo, 'log', '-1', '--format=%an <%ae>')).trim(), 'Real Person <real@example.com>');
});

test('the identity is read in one git call, each key as `git config --get` would read it', async (t) => {
  const home = await tempDir(t, 'orchd-home-');
  isolateHome(t, home);
  const repo = await initRepository(join(await tempDir(t), 'repo'));
  await git(repo, 'config', 'user.email', 'only@example.com');
  assert.deepEqual(await identityArgs(repo), ['-c', 'user.name=orchd'], 'an email and no name: the name alone falls back');
  // Several values of a key: the last one counts, so an empty last email means none.
  await git(repo, 'config', '--add', 'user.email', '');
  assert.equal(await git(repo, 'config', '--get', 'user.email'), '\n');
  assert.deepEqual(await identityArgs(repo), ['-c', 'user.name=orchd', '-c', 'user.email=orchd@localhost']);
  await git(repo, 'config', '--add', 'user.email', 'again@example.com');
  await git(repo, 'config', 'user.name', 'Some One');
  assert.deepEqual(await identityArgs(repo), []);
  // Other user.* keys do not count.
  await git(repo, 'config', '--unset', 'user.name');
  await git(repo, 'config', 'user.nameless', 'x');
  assert.deepEqual(await identityArgs(repo), ['-c', 'user.name=orchd']);
});

test('commitAll takes the unmerged paths from a status its caller just read', async (t) => {
  const repo = await makeRepo(t);
  await write(repo, 'a.txt', 'a\n');
  const error = await rejectsKind(commitAll(repo, { message: 'x', conflicted: ['a.txt'] }), 'mergeConflict');
  assert.match(error.message, /a\.txt/);
  assert.equal((await status(repo)).staged.length, 0, 'nothing was staged');
  await commitAll(repo, { message: 'no conflicts', conflicted: [] });
  assert.equal((await status(repo)).isClean, true);
});

test('reset soft, mixed and hard', async (t) => {
  const repo = await makeRepo(t);
  const base = (await git(repo, 'rev-parse', 'HEAD')).trim();
  await commitFiles(repo, { 'a.txt': 'a\n' }, 'add a');

  assert.deepEqual(await reset(repo, { mode: 'soft', ref: 'HEAD~1' }), { oid: base });
  let s = await status(repo);
  assert.deepEqual(s.staged.map((e) => [e.path, e.change]), [['a.txt', 'added']]);

  await commit(repo, { message: 'add a again' });
  await reset(repo, { mode: 'mixed', ref: base });
  s = await status(repo);
  assert.deepEqual(s.staged, []);
  assert.deepEqual(s.untracked, ['a.txt']);

  await commit(repo, { message: 'x', allowEmpty: true });
  await write(repo, 'README.md', 'dirty\n');
  await reset(repo, { mode: 'hard' });
  assert.equal(await readFile(join(repo, 'README.md'), 'utf8'), '# test\n');
  await reset(repo, { mode: 'hard', ref: base });
  assert.equal((await git(repo, 'rev-parse', 'HEAD')).trim(), base);
  await rejectsKind(reset(repo, { mode: 'hard', ref: 'nope' }), 'branchNotFound');
});

test('log: n, ref, range, paths, merges and an unborn branch', async (t) => {
  const repo = await makeRepo(t);
  const c1 = (await git(repo, 'rev-parse', 'HEAD')).trim();
  const c2 = await commitFiles(repo, { 'a.txt': '1\n' }, 'second');
  const c3 = await commitFiles(repo, { 'b.txt': '1\n' }, 'third\n\nwith a body\nof two lines');
  const all = await log(repo);
  assert.deepEqual(all.map((c) => c.oid), [c3, c2, c1]);
  assert.deepEqual(all[0]?.parents, [c2]);
  assert.deepEqual(all[2]?.parents, []);
  assert.equal(all[0]?.body, 'with a body\nof two lines');
  assert.equal(all[0]?.author.name, 'Test User');
  assert.match(all[0]?.author.date ?? '', /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual((await log(repo, { n: 1 })).map((c) => c.oid), [c3]);
  assert.deepEqual((await log(repo, { ref: 'HEAD~1' })).map((c) => c.oid), [c2, c1]);
  assert.deepEqual((await log(repo, { range: { from: c1 } })).map((c) => c.oid), [c3, c2]);
  assert.deepEqual((await log(repo, { range: { from: c1, to: c2 } })).map((c) => c.oid), [c2]);
  assert.deepEqual((await log(repo, { paths: ['a.txt'] })).map((c) => c.oid), [c2]);
  await rejectsKind(log(repo, { ref: 'nope' }), 'branchNotFound');

  await git(repo, 'switch', '--quiet', '-c', 'side', c2);
  const side = await commitFiles(repo, { 'side.txt': 's\n' }, 'side');
  await git(repo, 'switch', '--quiet', 'main');
  await git(repo, 'merge', '--quiet', '--no-ff', '--no-edit', 'side');
  const [mergeCommit] = await log(repo, { n: 1 });
  assert.deepEqual(mergeCommit?.parents, [c3, side]);
  assert.equal((await log(repo, { firstParent: true })).length, 4);

  const unborn = await makeRepo(t, { commit: false });
  assert.deepEqual(await log(unborn), []);
});

test('show: a commit and its file changes, including the root commit', async (t) => {
  const repo = await makeRepo(t);
  await commitFiles(repo, { 'a.txt': 'one\ntwo\n', 'gone.txt': 'x\n' }, 'base');
  await write(repo, 'a.txt', 'one\nTWO\nthree\n');
  await rm(join(repo, 'gone.txt'));
  await commitAll(repo, { message: 'change' });
  const { commit: c, files } = await show(repo, { ref: 'HEAD' });
  assert.equal(c.subject, 'change');
  assert.deepEqual(
    files.map((f) => [f.path, f.status, f.additions, f.deletions]),
    [
      ['a.txt', 'modified', 2, 1],
      ['gone.txt', 'deleted', 0, 1],
    ],
  );
  const root = await show(repo, { ref: 'HEAD~2' });
  assert.equal(root.commit.subject, 'initial');
  assert.deepEqual(root.files, [{ path: 'README.md', status: 'added', additions: 1, deletions: 0, binary: false }]);
});

/** Point HOME and XDG_CONFIG_HOME at an empty dir (no global identity) for this test only. */
function isolateHome(t: TestContext, home: string): void {
  const keys = ['HOME', 'XDG_CONFIG_HOME', 'GIT_CONFIG_GLOBAL', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'EMAIL'];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  for (const key of keys) delete process.env[key];
  process.env.HOME = home;
  process.env.XDG_CONFIG_HOME = join(home, '.config');
  t.after(() => {
    for (const key of keys) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });
}
