import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { RepositoryName } from '../../protocol/project.js';
import { isOrchdError } from '../../src/errors.js';
import { deriveRepositoryName } from '../../src/projects/validate.js';
import { checkCopyFilePattern } from '../../src/worktrees/copy-files.js';
import { assertWorktreePath, repositoryWorktreePath } from '../../src/worktrees/layout.js';

const refusedAs = (kind: string) => (error: unknown) => isOrchdError(error) && error.kind === kind;

describe('repository names (schema)', () => {
  const table: [string, boolean][] = [
    ['app', true],
    ['App.v2_x-y', true],
    ['9lives', true],
    ['a.b.c', true],
    ['x'.repeat(100), true],
    ['x'.repeat(101), false],
    ['', false],
    ['.', false],
    ['..', false],
    ['.git', false],
    ['.GIT', false],
    ['.hidden', false],
    ['-rf', false],
    ['_x', false],
    ['a..b', false],
    ['a/b', false],
    ['a\\b', false],
    ['my repo', false],
    ['café', false],
  ];
  for (const [name, ok] of table) it(`${JSON.stringify(name)}: ${ok}`, () => assert.equal(v.is(RepositoryName, name), ok));
});

describe('names derived from directory names', () => {
  const table: [string, string][] = [
    ['app', 'app'],
    ['-rf', 'rf'],
    ['.foo', 'foo'],
    ['..', 'repo'],
    ['...', 'repo'],
    ['--', 'repo'],
    ['my repo!', 'my-repo'],
    ['café-au-lait', 'cafe-au-lait'],
    ['a..b', 'a.b'],
    ['.git', 'git'],
    ['x'.repeat(150), 'x'.repeat(100)],
  ];
  for (const [directory, name] of table) {
    it(`${JSON.stringify(directory)} -> ${name}`, () => {
      assert.equal(deriveRepositoryName(directory), name);
      assert.ok(v.is(RepositoryName, name));
    });
  }
});

describe('worktree paths are strict children of their workspace', () => {
  const workspace = '/data/worktrees/abcd1234-fix-it';
  const table: [string, string | null][] = [
    ['app', '/data/worktrees/abcd1234-fix-it/app'],
    ['my repo', '/data/worktrees/abcd1234-fix-it/my repo'],
    ['a.b', '/data/worktrees/abcd1234-fix-it/a.b'],
    ['..', null],
    ['.', null],
    ['', null],
    ['.git', null],
    ['-rf', null],
    ['a/b', null],
    ['a/../..', null],
    ['../other', null],
    ['/etc', null],
    ['x\0y', null],
  ];
  for (const [name, expected] of table) {
    it(`${JSON.stringify(name)} -> ${expected ?? 'refused'}`, () => {
      if (expected === null) assert.throws(() => repositoryWorktreePath(workspace, name, 'repositories[0].name'), refusedAs('pathOutsideWorkspace'));
      else assert.equal(repositoryWorktreePath(workspace, name), expected);
    });
  }

  it('names the field and the received name', () => {
    assert.throws(
      () => repositoryWorktreePath(workspace, '..', 'repositories[2].name'),
      (error: unknown) => isOrchdError(error) && /`repositories\[2\]\.name`/.test(error.message) && /`\.\.`/.test(error.message),
    );
  });
});

describe('paths the worktree manager acts on', () => {
  const table: [string, { plainName?: boolean }, boolean][] = [
    ['/data/worktrees/abcd1234-fix-it/app', {}, true],
    ['/data/worktrees/abcd1234-fix-it/app', { plainName: true }, true],
    ['/data/worktrees/abcd1234-fix-it/-rf', {}, true],
    ['/data/worktrees/abcd1234-fix-it/-rf', { plainName: true }, false],
    ['/data/worktrees/abcd1234-fix-it/.git', { plainName: true }, false],
    ['/data/worktrees/abcd1234-fix-it/..', {}, false],
    ['/data/worktrees/abcd1234-fix-it', {}, false],
    ['/data/worktrees', {}, false],
    ['/data/worktrees/abcd1234-fix-it/app/deeper', {}, false],
    ['/data/worktrees/../repo/app', {}, false],
    ['/elsewhere/ws/app', {}, false],
  ];
  for (const [path, options, ok] of table) {
    it(`${path} ${JSON.stringify(options)}: ${ok}`, () => {
      if (ok) assert.equal(assertWorktreePath('/data', path, options), path);
      else assert.throws(() => assertWorktreePath('/data', path, options), refusedAs('pathOutsideWorkspace'));
    });
  }
});

describe('copyFiles patterns', () => {
  const table: [string, string | null][] = [
    ['.env', '.env'],
    ['./config/.env', 'config/.env'],
    ['dir/', 'dir'],
    ['**/*.env', '**/*.env'],
    ['a//b', 'a/b'],
    ['..', null],
    ['../x', null],
    ['a/../../x', null],
    ['/etc/passwd', null],
    ['.git/config', null],
    ['sub/.GIT/hooks', null],
    ['.', null],
    ['a\\..\\b', null],
  ];
  for (const [pattern, expected] of table) {
    it(`${JSON.stringify(pattern)} -> ${expected ?? 'refused'}`, () => {
      if (expected === null) assert.throws(() => checkCopyFilePattern(pattern, 'copyFiles[3]'), (e: unknown) => refusedAs('pathOutsideWorkspace')(e) && /`copyFiles\[3\]`/.test((e as Error).message));
      else assert.equal(checkCopyFilePattern(pattern, 'copyFiles[3]'), expected);
    });
  }
});
