// HEAD read from the files must say what `git rev-parse HEAD^{commit}` says, or step aside (undefined).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { runGit } from '../../src/git/exec.js';
import { readHeadFromFiles } from '../../src/git/head-file.js';
import { headOid } from '../../src/git/repo.js';
import { commitFiles, git, makeBareRepo, makeRepo, tempDir } from './helpers.js';

/** What git says HEAD is: the commit's id, or null on an unborn branch. */
async function gitHead(path: string): Promise<string | null> {
  const out = await runGit(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], path);
  return out.exitCode === 0 ? out.stdout.trim() : null;
}

async function assertAgrees(path: string, label: string): Promise<void> {
  const fromFiles = await readHeadFromFiles(path);
  assert.notEqual(fromFiles, undefined, `${label}: the reader stepped aside on a plain layout`);
  assert.equal(fromFiles, await gitHead(path), label);
}

test('HEAD from the files: unborn, loose, packed, detached, linked worktrees', async (t) => {
  const repo = await makeRepo(t, { commit: false });
  await assertAgrees(repo, 'unborn');
  const first = await commitFiles(repo, { 'a.txt': 'a\n' }, 'first');
  await assertAgrees(repo, 'loose main');
  assert.equal(await readHeadFromFiles(repo), first);
  await git(repo, 'pack-refs', '--all');
  await assertAgrees(repo, 'packed main');
  const second = await commitFiles(repo, { 'a.txt': 'b\n' }, 'second');
  await assertAgrees(repo, 'loose over packed');
  assert.equal(await readHeadFromFiles(repo), second);
  await git(repo, 'checkout', '--quiet', '--detach', first);
  await assertAgrees(repo, 'detached');

  const root = await tempDir(t);
  const linked = join(root, 'linked');
  await git(repo, 'worktree', 'add', '--quiet', '-b', 'feature/x', linked, 'main');
  await assertAgrees(linked, 'linked worktree on a new branch');
  await commitFiles(linked, { 'b.txt': 'b\n' }, 'on feature');
  await git(repo, 'pack-refs', '--all');
  await assertAgrees(linked, 'linked worktree, branch packed');
  await assertAgrees(repo, 'main worktree still detached');

  // A symbolic ref in the chain.
  await git(repo, 'checkout', '--quiet', 'main');
  await git(repo, 'symbolic-ref', 'refs/heads/alias', 'refs/heads/feature/x');
  await git(repo, 'symbolic-ref', 'HEAD', 'refs/heads/alias');
  await assertAgrees(repo, 'HEAD -> alias -> feature/x');
  // A branch whose name is a directory of other branches' (refs/heads/feature exists as a directory).
  await git(repo, 'symbolic-ref', 'HEAD', 'refs/heads/feature');
  await assertAgrees(repo, 'HEAD on an unborn branch named like a directory');
  assert.equal(await headOid(repo), null);
});

test('HEAD from the files steps aside where git alone knows', async (t) => {
  const repo = await makeRepo(t);
  await mkdir(join(repo, 'sub'));
  assert.equal(await readHeadFromFiles(join(repo, 'sub')), undefined, 'a path below the top');
  assert.equal(await headOid(join(repo, 'sub')), await gitHead(repo), 'headOid asks git for it');
  assert.equal(await readHeadFromFiles(await makeBareRepo(t)), undefined, 'a bare repository');
  assert.equal(await readHeadFromFiles(join(repo, 'missing')), undefined, 'no such directory');

  const garbled = await makeRepo(t);
  await writeFile(join(garbled, '.git', 'refs', 'heads', 'main'), 'not an object id\n');
  assert.equal(await readHeadFromFiles(garbled), undefined, 'a ref that is not an object id');
  const loop = await makeRepo(t);
  await writeFile(join(loop, '.git', 'refs', 'heads', 'a'), 'ref: refs/heads/b\n');
  await writeFile(join(loop, '.git', 'refs', 'heads', 'b'), 'ref: refs/heads/a\n');
  await writeFile(join(loop, '.git', 'HEAD'), 'ref: refs/heads/a\n');
  assert.equal(await readHeadFromFiles(loop), undefined, 'a loop of symbolic refs');

  const saved = process.env.GIT_DIR;
  process.env.GIT_DIR = join(repo, '.git');
  try {
    assert.equal(await readHeadFromFiles(repo), undefined, 'GIT_DIR in the environment');
  } finally {
    if (saved === undefined) delete process.env.GIT_DIR;
    else process.env.GIT_DIR = saved;
  }
});

type Step =
  | { readonly kind: 'commit' }
  | { readonly kind: 'branch'; readonly name: string }
  | { readonly kind: 'checkout'; readonly name: string }
  | { readonly kind: 'orphan'; readonly name: string }
  | { readonly kind: 'detach' }
  | { readonly kind: 'pack' }
  | { readonly kind: 'deleteBranch'; readonly name: string };

const branchName = fc.constantFrom('main', 'a', 'b', 'x/y', 'x/z');
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: 'commit' as const }),
  branchName.map((name) => ({ kind: 'branch' as const, name })),
  branchName.map((name) => ({ kind: 'checkout' as const, name })),
  branchName.map((name) => ({ kind: 'orphan' as const, name })),
  fc.constant({ kind: 'detach' as const }),
  fc.constant({ kind: 'pack' as const }),
  branchName.map((name) => ({ kind: 'deleteBranch' as const, name })),
);

test('HEAD from the files agrees with git after any sequence of ref changes, in a linked worktree too', async (t) => {
  let round = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
      const repo = await makeRepo(t);
      const linked = join(await tempDir(t), `wt${round++}`);
      await git(repo, 'worktree', 'add', '--quiet', '--detach', linked);
      let n = 0;
      for (const s of steps) {
        // Steps run alternately in the main and the linked worktree; a refused one (a branch checked out elsewhere,
        // an existing name) changes nothing, which is also a state to read.
        const where = n++ % 2 === 0 ? repo : linked;
        if (s.kind === 'commit') await commitFiles(where, { [`f${n}.txt`]: `${n}\n` }, `c${n}`);
        else if (s.kind === 'branch') await runGit(['branch', s.name], where);
        else if (s.kind === 'checkout') await runGit(['checkout', '--quiet', s.name], where);
        else if (s.kind === 'orphan') await runGit(['checkout', '--quiet', '--orphan', s.name], where);
        else if (s.kind === 'detach') await runGit(['checkout', '--quiet', '--detach'], where);
        else if (s.kind === 'pack') await runGit(['pack-refs', '--all'], where);
        else await runGit(['branch', '-D', s.name], where);
        await assertAgrees(repo, `main worktree after ${JSON.stringify(s)}`);
        await assertAgrees(linked, `linked worktree after ${JSON.stringify(s)}`);
      }
    }),
    { numRuns: 15 },
  );
});
