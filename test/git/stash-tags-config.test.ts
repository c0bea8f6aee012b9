import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  createTag,
  deleteTag,
  describe,
  getConfig,
  listTags,
  setConfig,
  stashApply,
  stashDrop,
  stashList,
  stashPop,
  stashPush,
  status,
  unsetConfig,
} from '../../src/git/index.js';
import { assertCleanTree, commitFiles, git, makeRepo, rejectsKind, write } from './helpers.js';

test('stash push with a message and untracked files, list, apply, pop, drop', async (t) => {
  const repo = await makeRepo(t);
  assert.deepEqual(await stashPush(repo), { created: false, oid: null });

  await write(repo, 'README.md', 'first change\n');
  const first = await stashPush(repo, { message: 'first' });
  assert.equal(first.created, true);
  await assertCleanTree(repo);

  await write(repo, 'README.md', 'second change\n');
  await write(repo, 'untracked.txt', 'u\n');
  const second = await stashPush(repo, { message: 'second with untracked', includeUntracked: true });
  assert.equal(second.created, true);
  await assertCleanTree(repo);

  const list = await stashList(repo);
  assert.deepEqual(
    list.map((e) => [e.index, e.ref, e.message, e.oid]),
    [
      [0, 'stash@{0}', 'On main: second with untracked', second.oid],
      [1, 'stash@{1}', 'On main: first', first.oid],
    ],
  );
  assert.match(list[0]!.date, /^\d{4}-/);

  assert.deepEqual(await stashApply(repo, { index: 1 }), { ok: true });
  assert.equal(await readFile(join(repo, 'README.md'), 'utf8'), 'first change\n');
  assert.equal((await stashList(repo)).length, 2);
  await git(repo, 'checkout', '--quiet', '--', 'README.md');

  assert.deepEqual(await stashPop(repo), { ok: true });
  assert.equal(await readFile(join(repo, 'README.md'), 'utf8'), 'second change\n');
  assert.ok(existsSync(join(repo, 'untracked.txt')));
  assert.equal((await stashList(repo)).length, 1);

  await stashDrop(repo, { index: 0 });
  assert.deepEqual(await stashList(repo), []);
  await rejectsKind(stashDrop(repo, { index: 0 }), 'notFound');
  await rejectsKind(stashApply(repo, { index: 3 }), 'notFound');
  await rejectsKind(stashDrop(repo, { index: -1 }), 'invalidState');
});

test('stash pop with conflicts comes back typed and keeps the entry', async (t) => {
  const repo = await makeRepo(t);
  await write(repo, 'README.md', 'stashed\n');
  await stashPush(repo, { message: 'will conflict' });
  await commitFiles(repo, { 'README.md': 'committed meanwhile\n' }, 'meanwhile');
  const result = await stashPop(repo);
  assert.deepEqual(result, { ok: false, conflicts: ['README.md'] });
  assert.equal((await stashList(repo)).length, 1);
  assert.deepEqual((await status(repo)).conflicted, [{ path: 'README.md', kind: 'bothModified' }]);
});

test('stash push of selected paths', async (t) => {
  const repo = await makeRepo(t);
  await commitFiles(repo, { 'a.txt': 'a\n', 'b.txt': 'b\n' }, 'ab');
  await write(repo, 'a.txt', 'A\n');
  await write(repo, 'b.txt', 'B\n');
  await stashPush(repo, { paths: ['a.txt'], message: 'only a' });
  assert.deepEqual((await status(repo)).unstaged.map((e) => e.path), ['b.txt']);
  await write(repo, 'c.txt', 'c\n');
  await write(repo, 'd.txt', 'd\n');
  await stashPush(repo, { paths: ['c.txt'], includeUntracked: true });
  assert.deepEqual((await status(repo)).untracked, ['d.txt']);
  assert.equal((await stashList(repo)).length, 2);
});

test('tags: lightweight and annotated, list, describe, exists, delete', async (t) => {
  const repo = await makeRepo(t);
  const first = (await git(repo, 'rev-parse', 'HEAD')).trim();
  assert.equal(await describe(repo), null);
  assert.equal(await describe(repo, { always: true }), first.slice(0, 7));

  assert.deepEqual(await createTag(repo, { name: 'light' }), { name: 'light', oid: first });
  assert.equal(await describe(repo), null); // only annotated tags without `tags`
  assert.equal(await describe(repo, { tags: true }), 'light');

  const second = await commitFiles(repo, { 'a.txt': 'a\n' }, 'second');
  assert.deepEqual(await createTag(repo, { name: 'v1.0.0', message: '-release one\n\ndetails' }), { name: 'v1.0.0', oid: second });
  await commitFiles(repo, { 'b.txt': 'b\n' }, 'third');
  assert.match((await describe(repo)) ?? '', /^v1\.0\.0-1-g[0-9a-f]{7,}$/);
  assert.equal(await describe(repo, { ref: 'HEAD~1' }), 'v1.0.0');
  assert.equal(await createTag(repo, { name: 'old', ref: 'HEAD~2' }).then((r) => r.oid), first);

  const tags = await listTags(repo);
  assert.deepEqual(
    tags.map((tag) => [tag.name, tag.oid, tag.annotated, tag.message]),
    [
      ['light', first, false, null],
      ['old', first, false, null],
      ['v1.0.0', second, true, '-release one'],
    ],
  );
  assert.notEqual(tags[2]?.tagOid, second);

  const exists = await rejectsKind(createTag(repo, { name: 'v1.0.0' }), 'alreadyExists');
  assert.equal(exists.details.value, 'v1.0.0');
  assert.equal((await createTag(repo, { name: 'v1.0.0', force: true })).oid, (await git(repo, 'rev-parse', 'HEAD')).trim());
  await rejectsKind(createTag(repo, { name: 'x', ref: 'nope' }), 'branchNotFound');

  await deleteTag(repo, { name: 'light' });
  assert.deepEqual((await listTags(repo)).map((tag) => tag.name), ['old', 'v1.0.0']);
  await rejectsKind(deleteTag(repo, { name: 'light' }), 'branchNotFound');
});

test('config get, set and unset in local scope', async (t) => {
  const repo = await makeRepo(t);
  assert.equal(await getConfig(repo, { key: 'orchd.task' }), null);
  await setConfig(repo, { key: 'orchd.task', value: '-starts with a dash' });
  assert.equal(await getConfig(repo, { key: 'orchd.task' }), '-starts with a dash');
  assert.match(await readFile(join(repo, '.git', 'config'), 'utf8'), /task = -starts with a dash/);
  await setConfig(repo, { key: 'branch.feature/x.description', value: 'multi\nline' });
  assert.equal(await getConfig(repo, { key: 'branch.feature/x.description' }), 'multi\nline');
  await unsetConfig(repo, { key: 'orchd.task' });
  await unsetConfig(repo, { key: 'orchd.task' });
  assert.equal(await getConfig(repo, { key: 'orchd.task' }), null);
  assert.equal(await getConfig(repo, { key: 'user.email' }), 'test@example.com');
  // `effective` sees what git would use; local scope does not see global or system values.
  await git(repo, 'config', '--unset', 'user.email');
  assert.equal(await getConfig(repo, { key: 'user.email' }), null);
  await rejectsKind(getConfig(repo, { key: 'nodot' }), 'invalidRef');
});
