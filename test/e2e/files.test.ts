// fs/* file operations end to end over real stdio against the built binary (issue 14, "Done means"): read, write,
// list, move, delete on a real worktree; a save with a stale `expectedHash` refused with the file unchanged; every
// escape (`..`, absolute, symlink out, `.git/config`) refused for read and write; a 1 MB file both ways in one frame.
// test/inproc/files.test.ts covers the rest (modes, binary, ranges, ignores, the size limit, concurrent saves).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnOrchd, tempDir, type SpawnedOrchd } from '../support/client.js';
import { makeRepo } from '../support/repo.js';

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('fs/* over stdio (built binary)', () => {
  let orchd: SpawnedOrchd;
  let repo: string;
  let outside: string;
  let workspaceId: string;
  let worktree: string;

  before(async () => {
    orchd = spawnOrchd({ env: { ORCHD_LOG_LEVEL: 'info' } });
    await orchd.client.initialize();
    repo = realpathSync(makeRepo({ 'README.md': '# e2e\n', 'src/main.ts': 'console.log(1);\n', '.gitignore': '*.log\n' }));
    outside = realpathSync(tempDir('orchd-files-e2e-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'secret\n');
    const project = (await orchd.client.request('project/create', { name: 'Files e2e', repositories: [{ path: repo }] })).project;
    const task = (await orchd.client.request('task/create', { projectId: project.id, title: 'Files e2e' })).task;
    const workspace = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
    workspaceId = workspace.id;
    worktree = workspace.repositories[0]!.path;
  });
  after(async () => {
    await orchd.close();
    rmSync(repo, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('reads, saves against a hash, refuses a stale save, lists, moves and deletes', async () => {
    const { client } = orchd;
    const opened = await client.request('fs/read', { workspaceId, path: 'src/main.ts' });
    assert.deepEqual([opened.content, opened.hash], ['console.log(1);\n', sha256('console.log(1);\n')]);
    const saved = await client.request('fs/write', { workspaceId, path: 'src/main.ts', content: 'console.log(2);\n', expectedHash: opened.hash });
    assert.equal(saved.hash, sha256('console.log(2);\n'));

    writeFileSync(join(worktree, 'src/main.ts'), 'console.log("agent");\n');
    const stale = await client.failure('fs/write', { workspaceId, path: 'src/main.ts', content: 'console.log(3);\n', expectedHash: saved.hash });
    assert.equal(stale.data.kind, 'conflict');
    assert.equal(stale.data.currentHash, sha256('console.log("agent");\n'));
    assert.equal(readFileSync(join(worktree, 'src/main.ts'), 'utf8'), 'console.log("agent");\n', 'the file is unchanged');

    writeFileSync(join(worktree, 'debug.log'), 'noise\n');
    const listed = await client.request('fs/list', { workspaceId, depth: 2 });
    assert.deepEqual(listed.entries.map((e) => e.path), ['src', '.gitignore', 'README.md', 'src/main.ts'], 'no .git, no ignored debug.log');

    await client.request('fs/mkdir', { workspaceId, path: 'lib' });
    const moved = await client.request('fs/move', { workspaceId, from: 'src/main.ts', to: 'lib/main.ts' });
    assert.equal(moved.stat.path, 'lib/main.ts');
    assert.ok(existsSync(join(worktree, 'lib/main.ts')) && !existsSync(join(worktree, 'src/main.ts')));
    assert.equal((await client.failure('fs/delete', { workspaceId, path: 'lib' })).data.kind, 'invalidState');
    await client.request('fs/delete', { workspaceId, path: 'lib', recursive: true });
    assert.ok(!existsSync(join(worktree, 'lib')));
  });

  it('refuses every escape for read and write', async () => {
    const { client } = orchd;
    symlinkSync(join(outside, 'secret.txt'), join(worktree, 'out-file'));
    symlinkSync(outside, join(worktree, 'out-dir'));
    for (const path of ['../escape.txt', join(outside, 'secret.txt'), 'out-file', 'out-dir/secret.txt', 'out-dir/new.txt', '.git/config', '.GIT/config']) {
      const read = await client.failure('fs/read', { workspaceId, path });
      assert.equal(read.data.kind, 'pathOutsideWorkspace', `fs/read ${path}: ${read.message}`);
      const write = await client.failure('fs/write', { workspaceId, path, content: 'owned\n' });
      assert.equal(write.data.kind, 'pathOutsideWorkspace', `fs/write ${path}: ${write.message}`);
    }
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret\n');
    assert.ok(!existsSync(join(outside, 'new.txt')));
    assert.match(readFileSync(join(worktree, '.git'), 'utf8'), /^gitdir: /);
    await client.request('fs/delete', { workspaceId, path: 'out-file' });
    await client.request('fs/delete', { workspaceId, path: 'out-dir' });
    assert.ok(existsSync(join(outside, 'secret.txt')), 'deleting a link leaves its target');
  });

  it('carries a 1 MB file both ways', async () => {
    const { client } = orchd;
    const content = 'x'.repeat(1023).concat('\n').repeat(1024);
    const written = await client.request('fs/write', { workspaceId, path: 'big.txt', content });
    const read = await client.request('fs/read', { workspaceId, path: 'big.txt' });
    assert.equal(read.size, 1024 * 1024);
    assert.equal(read.content, content);
    assert.equal(read.hash, written.hash);
    await client.request('fs/delete', { workspaceId, path: 'big.txt' });
  });
});
