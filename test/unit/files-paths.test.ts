// Confinement of fs/* paths (src/files/paths.ts) as a table over a real directory with real symlinks: what resolves,
// to where, and what is refused with `pathOutsideWorkspace` and which `data.reason`.
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OrchdError } from '../../src/errors.js';
import { isGitInternal, isOrchdTempFile, relativeInside, resolvePath, tempFileName, type ResolvedPath } from '../../src/files/paths.js';
import { tempDir } from '../support/client.js';

const top = realpathSync(tempDir('orchd-files-paths-'));
after(() => rmSync(top, { recursive: true, force: true }));
const root = join(top, 'worktree');
const outside = join(top, 'outside');
mkdirSync(join(root, 'src'), { recursive: true });
mkdirSync(join(root, '.git'));
mkdirSync(join(root, '.github'));
mkdirSync(outside);
writeFileSync(join(root, 'a.txt'), 'a');
writeFileSync(join(root, '.git', 'config'), '[core]');
writeFileSync(join(outside, 'secret.txt'), 'secret');
symlinkSync(join(outside, 'secret.txt'), join(root, 'out-file'));
symlinkSync(outside, join(root, 'out-dir'));
symlinkSync('../outside', join(root, 'out-dir-relative'));
symlinkSync('src', join(root, 'in-dir'));
symlinkSync('a.txt', join(root, 'in-file'));
symlinkSync(join(outside, 'missing', 'deeper'), join(root, 'dangling-out'));
symlinkSync('src/not-yet.txt', join(root, 'dangling-in'));
symlinkSync('loop-b', join(root, 'loop-a'));
symlinkSync('loop-a', join(root, 'loop-b'));
symlinkSync('.git', join(root, 'git-link'));
symlinkSync(join(root, 'out-dir'), join(root, 'src', 'via-link'));

type Expected = { relative: string; entry: string; real: string | null } | { refused: string } | { kind: string };

/** [path, follow, expected]: `entry` and `real` are relative to the worktree (`!` prefix: relative to `outside`). */
const table: [string, boolean, Expected][] = [
  ['a.txt', true, { relative: 'a.txt', entry: 'a.txt', real: 'a.txt' }],
  ['', true, { relative: '', entry: '', real: '' }],
  ['.', true, { relative: '', entry: '', real: '' }],
  ['src/', true, { relative: 'src', entry: 'src', real: 'src' }],
  ['./src//x.ts', true, { relative: 'src/x.ts', entry: 'src/x.ts', real: 'src/x.ts' }],
  ['src/../a.txt', true, { relative: 'a.txt', entry: 'a.txt', real: 'a.txt' }],
  ['new/deep/path.txt', true, { relative: 'new/deep/path.txt', entry: 'new/deep/path.txt', real: 'new/deep/path.txt' }],
  ['.gitignore', true, { relative: '.gitignore', entry: '.gitignore', real: '.gitignore' }],
  ['.github/workflows/ci.yml', true, { relative: '.github/workflows/ci.yml', entry: '.github/workflows/ci.yml', real: '.github/workflows/ci.yml' }],
  ['..', true, { refused: 'escape' }],
  ['../outside/secret.txt', true, { refused: 'escape' }],
  ['src/../../outside', false, { refused: 'escape' }],
  ['/etc/passwd', true, { refused: 'absolute' }],
  [`${root}/a.txt`, false, { refused: 'absolute' }],
  ['a\0.txt', true, { refused: 'nul' }],
  ['.git', true, { refused: 'gitDir' }],
  ['.git/config', true, { refused: 'gitDir' }],
  ['.git/config', false, { refused: 'gitDir' }],
  ['.GIT/config', true, { refused: 'gitDir' }],
  ['src/.Git/hooks/pre-commit', false, { refused: 'gitDir' }],
  ['git-link/config', true, { refused: 'gitDir' }],
  ['git-link/config', false, { refused: 'gitDir' }],
  // A symlinked file that leads outside: refused to follow; the link itself may be described, moved, deleted.
  ['out-file', true, { refused: 'symlink' }],
  ['out-file', false, { relative: 'out-file', entry: 'out-file', real: '!secret.txt' }],
  // Through a symlinked directory that leads outside: refused either way, existing or not, however deep.
  ['out-dir/secret.txt', true, { refused: 'symlink' }],
  ['out-dir/secret.txt', false, { refused: 'symlink' }],
  ['out-dir-relative/secret.txt', false, { refused: 'symlink' }],
  ['out-dir/new/deep/file.txt', false, { refused: 'symlink' }],
  ['src/via-link/secret.txt', true, { refused: 'symlink' }],
  ['dangling-out', true, { refused: 'symlink' }],
  ['dangling-out/x/y', false, { refused: 'symlink' }],
  // Symlinks that stay inside are fine.
  ['in-dir/x.ts', true, { relative: 'in-dir/x.ts', entry: 'src/x.ts', real: 'src/x.ts' }],
  ['in-file', true, { relative: 'in-file', entry: 'in-file', real: 'a.txt' }],
  ['dangling-in', true, { relative: 'dangling-in', entry: 'dangling-in', real: 'src/not-yet.txt' }],
  // A loop resolves to nothing: nothing to read; the link itself can still be deleted.
  ['loop-a', true, { kind: 'pathNotFound' }],
  ['loop-a', false, { relative: 'loop-a', entry: 'loop-a', real: null }],
];

const absolute = (path: string) => (path.startsWith('!') ? join(outside, path.slice(1)) : path === '' ? root : join(root, path));

describe('fs path confinement', () => {
  for (const [path, follow, expected] of table) {
    it(`${JSON.stringify(path)} ${follow ? 'followed' : 'not followed'}: ${'refused' in expected ? `refused (${expected.refused})` : 'kind' in expected ? expected.kind : 'resolves'}`, async () => {
      let resolved: ResolvedPath | undefined;
      let error: unknown;
      try {
        resolved = await resolvePath(root, path, 'path', { follow });
      } catch (caught) {
        error = caught;
      }
      if ('refused' in expected) {
        assert.ok(error instanceof OrchdError, `expected a refusal, got ${JSON.stringify(resolved)}`);
        assert.equal(error.kind, 'pathOutsideWorkspace');
        assert.equal(error.details.reason, expected.refused);
        assert.equal(error.details.field, 'path');
        assert.equal(error.details.path, path);
        assert.match(error.message, /`path`/);
      } else if ('kind' in expected) {
        assert.ok(error instanceof OrchdError, `expected ${expected.kind}, got ${JSON.stringify(resolved)}`);
        assert.equal(error.kind, expected.kind);
      } else {
        assert.equal(error, undefined, String(error));
        assert.deepEqual(resolved, { root, relative: expected.relative, entry: absolute(expected.entry), real: expected.real === null ? null : absolute(expected.real) });
      }
    });
  }

  it('maps real paths back to worktree-relative ones, and names temporary files apart', () => {
    assert.equal(relativeInside(root, root), '');
    assert.equal(relativeInside(root, join(root, 'src', 'x.ts')), 'src/x.ts');
    assert.equal(relativeInside(root, `${root}-sibling/x`), null);
    assert.equal(relativeInside(root, outside), null);
    assert.ok(isGitInternal('.git') && isGitInternal('a/.GIT/b') && !isGitInternal('.gitignore') && !isGitInternal('a/.github'));
    const temp = tempFileName('a'.repeat(300), '0123456789ab');
    assert.ok(isOrchdTempFile(temp) && Buffer.byteLength(temp) <= 255);
    assert.ok(isOrchdTempFile(tempFileName('notes.md', 'abcdefabcdef')));
    assert.ok(!isOrchdTempFile('notes.md') && !isOrchdTempFile('.notes.md.tmp'));
  });
});
