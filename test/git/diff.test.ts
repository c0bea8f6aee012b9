import assert from 'node:assert/strict';
import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gitCallCount } from '../../src/git/exec.js';
import { diffCommit, diffRefs, diffText, diffWorkingTree, parseNameStatus, parseNumstat } from '../../src/git/index.js';
import { commitFiles, git, makeRepo, rejectsKind, write } from './helpers.js';

const BINARY = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x03, 0x00, 0xff]);
const LONG = Array.from({ length: 40 }, (_, i) => `line ${i} of a file long enough for rename detection`).join('\n') + '\n';

test('diffRefs: modified, added, deleted, renamed and binary files with line counts', async (t) => {
  const repo = await makeRepo(t);
  const from = await commitFiles(repo, { 'mod.txt': 'a\nb\nc\n', 'del.txt': 'x\ny\n', 'old/name.txt': LONG, 'img.png': BINARY }, 'base');
  await write(repo, 'mod.txt', 'a\nB\nc\nd\n');
  await rm(join(repo, 'del.txt'));
  await rm(join(repo, 'old/name.txt'));
  await write(repo, 'new dir/näme.txt', LONG.replace('line 3 ', 'line three '));
  await write(repo, 'img.png', Buffer.concat([BINARY, BINARY]));
  await write(repo, 'added.txt', '1\n2\n3\n');
  await git(repo, 'add', '--all');
  await git(repo, 'commit', '--quiet', '-m', 'change');

  const files = await diffRefs(repo, { from, to: 'HEAD' });
  const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
  assert.deepEqual(byPath['mod.txt'], { path: 'mod.txt', status: 'modified', additions: 2, deletions: 1, binary: false });
  assert.deepEqual(byPath['del.txt'], { path: 'del.txt', status: 'deleted', additions: 0, deletions: 2, binary: false });
  assert.deepEqual(byPath['added.txt'], { path: 'added.txt', status: 'added', additions: 3, deletions: 0, binary: false });
  assert.deepEqual(byPath['img.png'], { path: 'img.png', status: 'modified', additions: 0, deletions: 0, binary: true });
  assert.deepEqual(byPath['new dir/näme.txt'], {
    path: 'new dir/näme.txt',
    oldPath: 'old/name.txt',
    status: 'renamed',
    additions: 1,
    deletions: 1,
    binary: false,
  });
  assert.equal(files.length, 5);

  // Three dots: what HEAD changed since it forked from `from`'s line.
  await git(repo, 'switch', '--quiet', '-c', 'side', from);
  await commitFiles(repo, { 'side.txt': 's\n' }, 'side');
  const sinceFork = await diffRefs(repo, { from: 'main', to: 'side', mergeBase: true });
  assert.deepEqual(sinceFork.map((f) => f.path), ['side.txt']);
  await rejectsKind(diffRefs(repo, { from: 'nope', to: 'HEAD' }), 'branchNotFound');
});

test('diffWorkingTree: staged and unstaged changes plus untracked files as added', async (t) => {
  const repo = await makeRepo(t);
  await commitFiles(repo, { 'staged.txt': '1\n', 'unstaged.txt': '1\n', 'gone.txt': 'g\n', 'mv-src.txt': LONG }, 'base');
  await write(repo, 'staged.txt', '1\n2\n');
  await git(repo, 'add', 'staged.txt');
  await write(repo, 'unstaged.txt', 'changed\n');
  await rm(join(repo, 'gone.txt'));
  await git(repo, 'mv', 'mv-src.txt', 'mv-dst.txt');
  await write(repo, 'untracked.txt', 'u1\nu2\nno newline at end');
  await write(repo, 'deep/untracked bin.dat', BINARY);
  await write(repo, 'empty.txt', '');
  await symlink('README.md', join(repo, 'link'));
  await write(repo, '.gitignore', '*.log\n');
  await write(repo, 'ignored.log', 'ignored\n');

  const files = await diffWorkingTree(repo);
  const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
  assert.deepEqual(byPath['staged.txt'], { path: 'staged.txt', status: 'modified', additions: 1, deletions: 0, binary: false });
  assert.deepEqual(byPath['unstaged.txt'], { path: 'unstaged.txt', status: 'modified', additions: 1, deletions: 1, binary: false });
  assert.deepEqual(byPath['gone.txt'], { path: 'gone.txt', status: 'deleted', additions: 0, deletions: 1, binary: false });
  assert.equal(byPath['mv-dst.txt']?.status, 'renamed');
  assert.equal(byPath['mv-dst.txt']?.oldPath, 'mv-src.txt');
  assert.deepEqual(byPath['untracked.txt'], { path: 'untracked.txt', status: 'added', additions: 3, deletions: 0, binary: false });
  assert.deepEqual(byPath['deep/untracked bin.dat'], { path: 'deep/untracked bin.dat', status: 'added', additions: 0, deletions: 0, binary: true });
  assert.deepEqual(byPath['empty.txt'], { path: 'empty.txt', status: 'added', additions: 0, deletions: 0, binary: false });
  assert.deepEqual(byPath['link'], { path: 'link', status: 'added', additions: 1, deletions: 0, binary: false });
  assert.equal(byPath['.gitignore']?.status, 'added');
  assert.equal(byPath['ignored.log'], undefined);
  assert.equal(files.length, 9);

  // Untracked counts agree with what git itself reports once the files are added.
  await git(repo, 'add', '--all');
  const staged = await diffWorkingTree(repo);
  for (const path of ['untracked.txt', 'deep/untracked bin.dat', 'empty.txt', 'link']) {
    assert.deepEqual(staged.find((f) => f.path === path), byPath[path], path);
  }

  assert.equal((await diffWorkingTree(repo, { includeUntracked: false })).length, 9); // all staged now
  // From a subdirectory the paths are still relative to the root.
  assert.ok((await diffWorkingTree(join(repo, 'deep'))).some((f) => f.path === 'staged.txt'));
});

test('diffWorkingTree on an unborn branch and against another ref', async (t) => {
  const unborn = await makeRepo(t, { commit: false });
  await write(unborn, 'a.txt', 'a\n');
  await write(unborn, 'b.txt', 'b\n');
  await git(unborn, 'add', 'a.txt');
  assert.deepEqual(await diffWorkingTree(unborn), [
    { path: 'a.txt', status: 'added', additions: 1, deletions: 0, binary: false },
    { path: 'b.txt', status: 'added', additions: 1, deletions: 0, binary: false },
  ]);

  const repo = await makeRepo(t);
  await commitFiles(repo, { 'x.txt': 'x\n' }, 'x');
  assert.deepEqual(await diffWorkingTree(repo, { ref: 'HEAD~1' }), [{ path: 'x.txt', status: 'added', additions: 1, deletions: 0, binary: false }]);
  assert.deepEqual(await diffWorkingTree(repo), []);
});

test('diffCommit and diffText for modified, renamed, untracked and binary files', async (t) => {
  const repo = await makeRepo(t);
  await commitFiles(repo, { 'a.txt': 'one\ntwo\nthree\n', 'src.txt': LONG, 'bin.dat': BINARY }, 'base');
  await write(repo, 'a.txt', 'one\n2\nthree\n');
  await git(repo, 'mv', 'src.txt', 'dst.txt');
  await write(repo, 'bin.dat', Buffer.concat([BINARY, Buffer.from([1])]));
  await write(repo, 'untracked.txt', 'hello\n');

  const text = await diffText(repo, { file: 'a.txt' });
  assert.match(text, /^diff --git a\/a\.txt b\/a\.txt\n/);
  assert.match(text, /\n-two\n\+2\n/);
  const zeroContext = await diffText(repo, { file: 'a.txt', context: 0 });
  assert.doesNotMatch(zeroContext, /\n one\n/);

  const renamed = await diffText(repo, { file: 'dst.txt', oldPath: 'src.txt' });
  assert.match(renamed, /rename from src\.txt\nrename to dst\.txt/);

  const untracked = await diffText(repo, { file: 'untracked.txt' });
  assert.match(untracked, /new file mode 100644/);
  assert.match(untracked, /\n\+hello\n/);

  assert.match(await diffText(repo, { file: 'bin.dat' }), /Binary files a\/bin\.dat and b\/bin\.dat differ/);
  assert.equal(await diffText(repo, { file: 'README.md' }), '');

  await git(repo, 'add', '--all');
  await git(repo, 'commit', '--quiet', '-m', 'change');
  const between = await diffText(repo, { file: 'a.txt', from: 'HEAD~1', to: 'HEAD' });
  assert.match(between, /\n-two\n\+2\n/);
  const changes = await diffCommit(repo, { ref: 'HEAD' });
  assert.deepEqual(changes.map((f) => [f.path, f.status, f.binary]).sort(), [
    ['a.txt', 'modified', false],
    ['bin.dat', 'modified', true],
    ['dst.txt', 'renamed', false],
    ['untracked.txt', 'added', false],
  ]);
});

test('1,000 changed files take a constant number of git calls', async (t) => {
  const repo = await makeRepo(t);
  const files: Record<string, string> = {};
  for (let i = 0; i < 1000; i++) files[`dir${i % 10}/file ${i}.txt`] = `line\n`;
  await commitFiles(repo, files, 'many');
  for (let i = 0; i < 1000; i++) await write(repo, `dir${i % 10}/file ${i}.txt`, `line\nmore ${i}\n`);
  for (let i = 0; i < 300; i++) await write(repo, `new/untracked ${i}.txt`, `u\n`);

  const before = gitCallCount();
  const changes = await diffWorkingTree(repo);
  const calls = gitCallCount() - before;
  assert.equal(changes.length, 1300);
  assert.ok(changes.filter((c) => c.status === 'modified').every((c) => c.additions === 1 && c.deletions === 0));
  // What keeps a large diff fast is the number of git processes, not how fast this machine is.
  assert.ok(calls <= 6, `${calls} git calls`);

  const beforeRefs = gitCallCount();
  await git(repo, 'add', '--all');
  await git(repo, 'commit', '--quiet', '-m', 'all');
  const afterCommit = gitCallCount();
  assert.equal((await diffRefs(repo, { from: 'HEAD~1', to: 'HEAD' })).length, 1300);
  assert.ok(gitCallCount() - afterCommit <= 2, `${gitCallCount() - afterCommit} git calls`);
  assert.ok(afterCommit - beforeRefs === 2);
});

test('numstat and name-status parsers handle renames and binary entries', () => {
  assert.deepEqual(parseNumstat('1\t2\ta b.txt\0-\t-\tbin\0' + '3\t0\t\0old\0new\0'), [
    { path: 'a b.txt', additions: 1, deletions: 2, binary: false },
    { path: 'bin', additions: 0, deletions: 0, binary: true },
    { path: 'new', additions: 3, deletions: 0, binary: false },
  ]);
  assert.deepEqual(parseNameStatus('M\0a b.txt\0R087\0old\0new\0C100\0x\0y\0T\0t\0A\0n\0D\0d\0'), [
    { path: 'a b.txt', status: 'modified' },
    { path: 'new', oldPath: 'old', status: 'renamed' },
    { path: 'y', oldPath: 'x', status: 'copied' },
    { path: 't', status: 'typeChanged' },
    { path: 'n', status: 'added' },
    { path: 'd', status: 'deleted' },
  ]);
});
