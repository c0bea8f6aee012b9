import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runGit } from '../../src/git/exec.js';
import {
  addRemote,
  addWorktree,
  checkout,
  createBranch,
  createTag,
  deleteRemoteBranch,
  diffText,
  fetch,
  log,
  merge,
  push,
  rebase,
  revParse,
  setConfig,
  stage,
} from '../../src/git/index.js';
import {
  branchNameProblem,
  configKeyProblem,
  refFormatProblem,
  remoteNameProblem,
  revisionProblem,
  tagNameProblem,
} from '../../src/git/refs.js';
import { git, makeRepo, rejectsKind, tempDir } from './helpers.js';

// [name, valid as a branch name]
const BRANCHES: Array<[string, boolean]> = [
  ['main', true],
  ['feature/x', true],
  ['feature/x-1_2', true],
  ['orchd/tsk_01jf3k7q9c4m8x2v5n6b7t8r9w', true],
  ['a.b', true],
  ['a@b', true],
  ['+plus', true],
  ['ünïcödé', true],
  ['a{b}', true],
  ['x.lockx', true],
  ['', false],
  ['-b', false],
  ['--upload-pack=evil', false],
  ['HEAD', false],
  ['@', false],
  ['a..b', false],
  ['foo.lock', false],
  ['dir/foo.lock/x', false],
  ['has space', false],
  ['tilde~1', false],
  ['caret^', false],
  ['co:lon', false],
  ['q?', false],
  ['star*', false],
  ['br[acket', false],
  ['back\\slash', false],
  ['at@{brace', false],
  ['@{-1}', false],
  ['/lead', false],
  ['trail/', false],
  ['dou//ble', false],
  ['.hidden', false],
  ['dir/.hidden', false],
  ['enddot.', false],
  ['tab\there', false],
  ['new\nline', false],
  ['del\x7f', false],
  ['nul\0', false],
];

test('branchNameProblem follows check-ref-format --branch', () => {
  for (const [name, valid] of BRANCHES) {
    const problem = branchNameProblem(name);
    assert.equal(problem === null, valid, `${JSON.stringify(name)}: ${problem}`);
  }
});

test('branchNameProblem agrees with the real git check-ref-format --branch', async (t) => {
  const dir = await tempDir(t); // not a repository, so git does not expand @{-1} and friends
  // argv cannot hold NUL; `@` alone is stricter here on purpose (git would read it as HEAD).
  const sample = BRANCHES.filter(([name]) => !name.includes('\0') && name !== '@');
  const results = await Promise.all(sample.map(([name]) => runGit(['check-ref-format', '--branch', name], dir)));
  sample.forEach(([name], i) => {
    const gitSays = results[i]!.exitCode === 0;
    assert.equal(branchNameProblem(name) === null, gitSays, `${JSON.stringify(name)}: git says ${gitSays}`);
  });
});

test('refFormatProblem matches git check-ref-format for full ref names', async (t) => {
  const dir = await tempDir(t);
  const names = ['refs/heads/main', 'refs/tags/v1.0', 'main', 'refs/heads/a..b', 'refs/heads/x.lock', 'refs//x', 'refs/heads/@', '@', 'refs/a/.b', 'refs/a.'];
  for (const [allowOneLevel, flag] of [
    [false, []],
    [true, ['--allow-onelevel']],
  ] as const) {
    for (const name of names) {
      const out = await runGit(['check-ref-format', ...flag, name], dir);
      assert.equal(refFormatProblem(name, allowOneLevel) === null, out.exitCode === 0, `${name} allowOneLevel=${allowOneLevel}`);
    }
  }
});

test('revisions allow revision syntax but refuse ranges, paths and options', () => {
  for (const ok of ['HEAD', 'HEAD~2', 'main^', 'v1.0^{commit}', 'origin/main', '@{upstream}', 'a1b2c3d', 'main@{1}']) {
    assert.equal(revisionProblem(ok), null, ok);
  }
  for (const bad of ['', '-b', '--output=/tmp/x', 'a..b', 'a...b', 'HEAD:file', 'has space', 'x\ny', '*', 'a[1]']) {
    assert.notEqual(revisionProblem(bad), null, bad);
  }
});

test('remote, tag and config key rules', () => {
  assert.equal(remoteNameProblem('origin'), null);
  assert.equal(remoteNameProblem('my/fork'), null);
  assert.notEqual(remoteNameProblem('--upload-pack=evil'), null);
  assert.notEqual(remoteNameProblem('a b'), null);
  assert.notEqual(remoteNameProblem('x.lock'), null);
  assert.equal(tagNameProblem('v1.2.3'), null);
  assert.notEqual(tagNameProblem('v1^'), null);
  assert.notEqual(tagNameProblem('-f'), null);
  assert.equal(configKeyProblem('user.email'), null);
  assert.equal(configKeyProblem('branch.feature/x.remote'), null);
  assert.notEqual(configKeyProblem('user'), null);
  assert.notEqual(configKeyProblem('--global'), null);
  assert.notEqual(configKeyProblem('user.1name'), null);
  assert.notEqual(configKeyProblem('us er.name'), null);
});

test('injection attempts are refused before git runs', async (t) => {
  // A path that does not exist: had git run, the error would be pathNotFound, not invalidRef.
  const nowhere = '/nonexistent/orchd-test-repo';
  const attempts: Array<[string, () => Promise<unknown>, string]> = [
    ['branch --upload-pack', () => createBranch(nowhere, { name: '--upload-pack=evil' }), 'name'],
    ['branch -b', () => createBranch(nowhere, { name: '-b' }), 'name'],
    ['branch range', () => createBranch(nowhere, { name: 'a..b' }), 'name'],
    ['branch .lock', () => createBranch(nowhere, { name: 'foo.lock' }), 'name'],
    ['branch space', () => createBranch(nowhere, { name: 'foo bar' }), 'name'],
    ['branch tilde', () => createBranch(nowhere, { name: 'foo~1' }), 'name'],
    ['branch caret', () => createBranch(nowhere, { name: 'foo^' }), 'name'],
    ['branch colon', () => createBranch(nowhere, { name: 'foo:bar' }), 'name'],
    ['start point option', () => createBranch(nowhere, { name: 'ok', startPoint: '--orphan' }), 'startPoint'],
    ['checkout option', () => checkout(nowhere, { ref: '-f' }), 'ref'],
    ['fetch remote option', () => fetch(nowhere, { remote: '--upload-pack=evil' }), 'remote'],
    ['push remote option', () => push(nowhere, { remote: '--receive-pack=evil', branch: 'main' }), 'remote'],
    ['push branch force', () => push(nowhere, { remote: 'origin', branch: '-f' }), 'branch'],
    ['delete remote branch', () => deleteRemoteBranch(nowhere, { remote: 'origin', branch: 'a:b' }), 'branch'],
    ['remote url option', () => addRemote(nowhere, { name: 'x', url: '--upload-pack=evil' }), 'url'],
    ['remote url ext', () => addRemote(nowhere, { name: 'x', url: 'ext::sh -c evil' }), 'url'],
    ['merge option', () => merge(nowhere, { ref: '--no-verify' }), 'ref'],
    ['rebase range', () => rebase(nowhere, { onto: 'a..b' }), 'onto'],
    ['log range', () => log(nowhere, { ref: 'main..evil' }), 'ref'],
    // Found by the chaos fuzzer: a 1.1 MB ref reached spawn, which failed with E2BIG as an internal error.
    ['log huge ref', () => log(nowhere, { ref: 'A'.repeat(1_100_000) }), 'ref'],
    ['branch huge name', () => createBranch(nowhere, { name: `a/${'b'.repeat(5000)}` }), 'name'],
    ['log huge path', () => log(nowhere, { ref: 'HEAD', paths: ['p'.repeat(200_000)] }), 'paths[0]'],
    ['log path option', () => log(nowhere, { ref: 'HEAD', paths: ['--output=/tmp/pwned'] }), 'paths[0]'],
    ['rev-parse option', () => revParse(nowhere, { ref: '--git-dir' }), 'ref'],
    ['diff file option', () => diffText(nowhere, { file: '--output=/tmp/pwned' }), 'file'],
    ['stage path newline', () => stage(nowhere, { paths: ['a\nb'] }), 'paths[0]'],
    ['tag option', () => createTag(nowhere, { name: '-d' }), 'name'],
    ['config key option', () => setConfig(nowhere, { key: '--global', value: 'x' }), 'key'],
    ['worktree path option', () => addWorktree(nowhere, { worktreePath: '--lock', newBranch: 'x' }), 'worktreePath'],
  ];
  for (const [label, attempt, field] of attempts) {
    const error = await rejectsKind(attempt(), 'invalidRef');
    assert.equal(error.details.field, field, label);
    assert.match(error.message, new RegExp(`^Expected \`${field.replace(/[[\]]/g, '\\$&')}\` to be a valid git name`), label);
  }

  // And in a real repository nothing happened.
  const repo = await makeRepo(t);
  await rejectsKind(createBranch(repo, { name: '--upload-pack=evil' }), 'invalidRef');
  await rejectsKind(createBranch(repo, { name: 'x', startPoint: 'HEAD..main' }), 'invalidRef');
  assert.equal((await git(repo, 'branch', '--list')).trim(), '* main');
});
