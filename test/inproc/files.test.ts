// fs/read, fs/write, fs/list, fs/stat, fs/mkdir, fs/move, fs/delete through the protocol, in-process, on a real
// worktree made by workspace/create: conflict-safe saves, modes kept, binary and non-UTF-8 files, ranges, the size
// limit, .gitignore, and every escape (`..`, absolute, symlinks out, `.git`) refused for reads and writes alike.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { tempDir } from '../support/client.js';
import { makeRepo } from '../support/repo.js';

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The mode a new file gets here (0666 minus this process's umask), learnt from a file node itself creates. */
function newFileMode(dir: string): number {
  const probe = join(dir, 'umask-probe');
  writeFileSync(probe, '');
  const mode = statSync(probe).mode & 0o7777;
  rmSync(probe);
  return mode;
}

describe('fs/* file operations (in-process, real worktree)', () => {
  let orchd: InProcessOrchd;
  let repo: string;
  let outside: string;
  let workspaceId: string;
  let worktree: string;
  let repositoryId: string;

  const request = ((method: string, params: Record<string, unknown>) => orchd.client.request(method as any, { workspaceId, ...params })) as (method: string, params: Record<string, unknown>) => Promise<any>;
  const failure = (method: string, params: Record<string, unknown>) => orchd.client.failure(method, { workspaceId, ...params });

  before(async () => {
    orchd = inProcessOrchd();
    await orchd.client.initialize();
    repo = realpathSync(makeRepo({ 'README.md': '# files\n', 'src/app.ts': 'export const app = 1;\n', 'script.sh': '#!/bin/sh\necho hi\n', '.gitignore': 'dist/\n*.log\n' }));
    outside = realpathSync(tempDir('orchd-files-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'secret\n');
    const project = (await orchd.client.request('project/create', { name: 'Files', repositories: [{ path: repo }] })).project;
    const task = (await orchd.client.request('task/create', { projectId: project.id, title: 'Files' })).task;
    const workspace = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
    workspaceId = workspace.id;
    worktree = workspace.repositories[0]!.path;
    repositoryId = workspace.repositories[0]!.repositoryId;
  });
  after(async () => {
    await orchd.close();
    rmSync(repo, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('reads, writes, stats, lists, makes directories, moves and deletes', async () => {
    const read = await request('fs/read', { path: 'README.md' });
    assert.deepEqual(
      { ...read, mtime: undefined },
      { path: 'README.md', content: '# files\n', encoding: 'utf8', binary: false, size: 8, mtime: undefined, hash: sha256('# files\n') },
    );
    assert.equal(read.mtime, statSync(join(worktree, 'README.md')).mtime.toISOString());
    assert.deepEqual(await request('fs/read', { repository: repositoryId, path: './src/../README.md' }), read, 'the repository named, and a path that stays inside');

    const written = await request('fs/write', { path: 'notes/todo.md', content: 'one\n', createParents: true });
    assert.equal(written.hash, sha256('one\n'));
    assert.equal(written.stat.path, 'notes/todo.md');
    assert.equal(written.stat.type, 'file');
    assert.equal(written.stat.size, 4);
    assert.equal(written.stat.mode, newFileMode(worktree), 'a new file gets 0666 minus the umask');
    assert.equal(readFileSync(join(worktree, 'notes', 'todo.md'), 'utf8'), 'one\n');
    const missingParent = await failure('fs/write', { path: 'nowhere/deep/x.md', content: 'x' });
    assert.equal(missingParent.data.kind, 'pathNotFound');
    assert.equal(missingParent.data.path, 'nowhere/deep');
    assert.equal((await failure('fs/write', { path: 'README.md/x', content: 'x' })).data.kind, 'notADirectory');
    assert.equal((await failure('fs/write', { path: 'src', content: 'x' })).data.kind, 'notADirectory');

    const stat = (await request('fs/stat', { path: 'src' })).stat;
    assert.deepEqual([stat.path, stat.type], ['src', 'directory']);
    assert.equal((await request('fs/stat', { path: '' })).stat.type, 'directory');
    assert.equal((await failure('fs/stat', { path: 'missing.txt' })).data.kind, 'pathNotFound');

    const listed = await request('fs/list', {});
    assert.equal(listed.truncated, false);
    assert.deepEqual(
      listed.entries.map((e: any) => `${e.type}:${e.path}`),
      ['directory:notes', 'directory:src', 'file:.gitignore', 'file:README.md', 'file:script.sh'],
      'directories first, then by name; no .git',
    );
    const deep = await request('fs/list', { depth: 2 });
    assert.deepEqual(deep.entries.map((e: any) => e.path), ['notes', 'src', '.gitignore', 'README.md', 'script.sh', 'notes/todo.md', 'src/app.ts'], 'breadth first');
    const capped = await request('fs/list', { depth: 2, maxEntries: 6 });
    assert.equal(capped.truncated, true);
    assert.equal(capped.entries.length, 6);
    assert.equal((await failure('fs/list', { path: 'README.md' })).data.kind, 'notADirectory');
    assert.deepEqual((await request('fs/list', { path: 'src' })).entries.map((e: any) => e.path), ['src/app.ts']);

    const made = (await request('fs/mkdir', { path: 'a/b/c' })).stat;
    assert.deepEqual([made.path, made.type], ['a/b/c', 'directory']);
    assert.equal((await request('fs/mkdir', { path: 'a/b/c' })).stat.type, 'directory', 'recursive: an existing directory is fine');
    assert.equal((await failure('fs/mkdir', { path: 'a/b/c', recursive: false })).data.kind, 'alreadyExists');
    assert.equal((await failure('fs/mkdir', { path: 'x/y', recursive: false })).data.kind, 'pathNotFound');
    assert.equal((await failure('fs/mkdir', { path: 'README.md' })).data.kind, 'notADirectory');
    assert.equal((await failure('fs/mkdir', { path: 'README.md/sub' })).data.kind, 'notADirectory');

    const moved = (await request('fs/move', { from: 'notes/todo.md', to: 'a/b/c/todo.md' })).stat;
    assert.deepEqual([moved.path, moved.type, moved.size], ['a/b/c/todo.md', 'file', 4]);
    assert.ok(!existsSync(join(worktree, 'notes', 'todo.md')));
    await request('fs/write', { path: 'notes/other.md', content: 'other\n' });
    const taken = await failure('fs/move', { from: 'notes/other.md', to: 'a/b/c/todo.md' });
    assert.equal(taken.data.kind, 'alreadyExists');
    assert.equal(readFileSync(join(worktree, 'a/b/c/todo.md'), 'utf8'), 'one\n', 'not overwritten');
    await request('fs/move', { from: 'notes/other.md', to: 'a/b/c/todo.md', overwrite: true });
    assert.equal(readFileSync(join(worktree, 'a/b/c/todo.md'), 'utf8'), 'other\n');
    assert.equal((await failure('fs/move', { from: 'notes/gone.md', to: 'x.md' })).data.kind, 'pathNotFound');
    assert.equal((await failure('fs/move', { from: 'a', to: 'a/b/inside' })).data.kind, 'invalidParams');
    assert.equal((await failure('fs/move', { from: 'README.md', to: 'nowhere/README.md' })).data.kind, 'pathNotFound');
    await request('fs/move', { from: 'a/b', to: 'moved-dir' });
    assert.ok(existsSync(join(worktree, 'moved-dir', 'c', 'todo.md')));

    assert.equal((await failure('fs/delete', { path: 'moved-dir' })).data.kind, 'invalidState', 'a non-empty directory needs recursive');
    assert.deepEqual(await request('fs/delete', { path: 'moved-dir/c/todo.md' }), { ok: true });
    await request('fs/delete', { path: 'moved-dir', recursive: true });
    await request('fs/delete', { path: 'a' });
    await request('fs/delete', { path: 'notes' });
    assert.ok(!existsSync(join(worktree, 'moved-dir')) && !existsSync(join(worktree, 'a')) && !existsSync(join(worktree, 'notes')));
    assert.equal((await failure('fs/delete', { path: 'a' })).data.kind, 'pathNotFound');
    assert.equal((await failure('fs/delete', { path: '', recursive: true })).data.kind, 'invalidParams', 'never the worktree itself');
    assert.equal((await failure('fs/delete', { path: '.', recursive: true })).data.kind, 'invalidParams');
    assert.ok(existsSync(join(worktree, 'README.md')));

    const unknownRepository = await failure('fs/read', { repository: 'rep_nope', path: 'README.md' });
    assert.deepEqual([unknownRepository.data.kind, unknownRepository.data.field], ['notFound', 'repository']);
    assert.equal((await orchd.client.failure('fs/read', { workspaceId: 'wsp_nope', path: 'README.md' })).data.kind, 'notFound');
  });

  it('refuses a save with a stale expectedHash and leaves the file as the other writer left it', async () => {
    const path = 'src/app.ts';
    const opened = await request('fs/read', { path });
    // Someone else (an agent) changes the file after the host read it.
    writeFileSync(join(worktree, path), 'export const app = 2; // agent\n');
    const stale = await failure('fs/write', { path, content: 'export const app = 3; // person\n', expectedHash: opened.hash });
    assert.equal(stale.data.kind, 'conflict');
    assert.equal(stale.data.currentHash, sha256('export const app = 2; // agent\n'));
    assert.equal(stale.data.expectedHash, opened.hash);
    assert.match(stale.message, /`path`/);
    assert.equal(readFileSync(join(worktree, path), 'utf8'), 'export const app = 2; // agent\n', 'unchanged');

    // The host merges and saves against what is on disk now.
    const saved = await request('fs/write', { path, content: 'export const app = 3; // merged\n', expectedHash: stale.data.currentHash });
    assert.equal(saved.hash, (await request('fs/read', { path })).hash);

    // null: only when the file does not exist.
    const exists = await failure('fs/write', { path, content: 'x', expectedHash: null });
    assert.equal(exists.data.kind, 'conflict');
    assert.equal(exists.data.currentHash, saved.hash);
    assert.equal(readFileSync(join(worktree, path), 'utf8'), 'export const app = 3; // merged\n');
    await request('fs/write', { path: 'src/new.ts', content: 'new\n', expectedHash: null });
    const gone = await failure('fs/write', { path: 'src/vanished.ts', content: 'x', expectedHash: sha256('x') });
    assert.deepEqual([gone.data.kind, gone.data.currentHash], ['conflict', null]);
    assert.ok(!existsSync(join(worktree, 'src/vanished.ts')));

    // Two saves from the same version at once: exactly one wins, the other sees the winner's hash.
    const base = (await request('fs/read', { path })).hash;
    const results = await Promise.allSettled(['A', 'B', 'C'].map((who) => request('fs/write', { path, content: `by ${who}\n`, expectedHash: base })));
    const won = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<any>[];
    assert.equal(won.length, 1, 'one writer wins');
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    for (const r of lost) {
      assert.equal(r.reason.data.kind, 'conflict');
      assert.equal(r.reason.data.currentHash, won[0]!.value.hash);
    }
    assert.equal(sha256(readFileSync(join(worktree, path))), won[0]!.value.hash);
    await request('fs/delete', { path: 'src/new.ts' });
  });

  it('keeps the mode of the file it replaces, and leaves no temporary file behind', async () => {
    chmodSync(join(worktree, 'script.sh'), 0o755);
    const written = await request('fs/write', { path: 'script.sh', content: '#!/bin/sh\necho changed\n' });
    assert.equal(written.stat.mode, 0o755);
    assert.equal(statSync(join(worktree, 'script.sh')).mode & 0o7777, 0o755, 'still executable');
    writeFileSync(join(worktree, 'private.env'), 'A=1\n', { mode: 0o600 });
    chmodSync(join(worktree, 'private.env'), 0o600);
    await request('fs/write', { path: 'private.env', content: 'A=2\n' });
    assert.equal(statSync(join(worktree, 'private.env')).mode & 0o7777, 0o600);
    const inode = statSync(join(worktree, 'script.sh')).ino;
    await request('fs/write', { path: 'script.sh', content: '#!/bin/sh\necho again\n' });
    assert.notEqual(statSync(join(worktree, 'script.sh')).ino, inode, 'replaced by rename, not rewritten in place');
    assert.deepEqual(readdirSync(worktree).filter((name) => name.includes('orchd-')), [], 'no temporary file left');
    await request('fs/delete', { path: 'private.env' });
  });

  it('detects binary files as git does, and returns bytes that are not UTF-8 as base64', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0xff]);
    const written = await request('fs/write', { path: 'image.png', content: bytes.toString('base64'), encoding: 'base64' });
    assert.equal(written.hash, sha256(bytes));
    assert.deepEqual(readFileSync(join(worktree, 'image.png')), bytes);
    const binary = await request('fs/read', { path: 'image.png' });
    assert.deepEqual([binary.binary, binary.encoding, binary.content], [true, 'base64', bytes.toString('base64')]);

    const latin1 = Buffer.from('caf\xe9\n', 'latin1');
    writeFileSync(join(worktree, 'latin1.txt'), latin1);
    const notUtf8 = await request('fs/read', { path: 'latin1.txt' });
    assert.deepEqual([notUtf8.binary, notUtf8.encoding], [false, 'base64']);
    assert.deepEqual(Buffer.from(notUtf8.content, 'base64'), latin1, 'no byte replaced');

    const asked = await request('fs/read', { path: 'README.md', encoding: 'base64' });
    assert.deepEqual([asked.encoding, Buffer.from(asked.content, 'base64').toString()], ['base64', '# files\n']);
    // A NUL after the first 8000 bytes does not make a file binary (git looks no further).
    writeFileSync(join(worktree, 'late-nul.txt'), Buffer.concat([Buffer.alloc(8000, 'a'), Buffer.from([0])]));
    assert.equal((await request('fs/read', { path: 'late-nul.txt' })).binary, false);
    assert.equal((await failure('fs/write', { path: 'bad.bin', content: 'not base64!', encoding: 'base64' })).data.kind, 'invalidParams');
    for (const path of ['image.png', 'latin1.txt', 'late-nul.txt']) await request('fs/delete', { path });
  });

  it('reads ranges, and refuses a whole read of a file over 16 MB', async () => {
    const text = Array.from({ length: 100 }, (_, i) => String(i % 10)).join('');
    writeFileSync(join(worktree, 'digits.txt'), text);
    const part = await request('fs/read', { path: 'digits.txt', range: { offset: 10, length: 20 } });
    assert.deepEqual([part.content, part.size, part.range, part.hash], [text.slice(10, 30), 100, { offset: 10, length: 20 }, sha256(text)]);
    const tail = await request('fs/read', { path: 'digits.txt', range: { offset: 95, length: 20 } });
    assert.deepEqual([tail.content, tail.range], [text.slice(95), { offset: 95, length: 5 }]);
    const past = await request('fs/read', { path: 'digits.txt', range: { offset: 500, length: 20 } });
    assert.deepEqual([past.content, past.range], ['', { offset: 100, length: 0 }]);

    const big = join(worktree, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, 16 * 1024 * 1024 + 1);
    const tooLarge = await failure('fs/read', { path: 'big.bin' });
    assert.deepEqual([tooLarge.data.kind, tooLarge.data.size, tooLarge.data.limit], ['fileTooLarge', 16 * 1024 * 1024 + 1, 16 * 1024 * 1024]);
    const ranged = await request('fs/read', { path: 'big.bin', range: { offset: 1024, length: 16 } });
    assert.deepEqual([ranged.binary, ranged.encoding, ranged.size, ranged.content], [true, 'base64', 16 * 1024 * 1024 + 1, Buffer.alloc(16).toString('base64')]);
    assert.equal(ranged.hash, sha256(Buffer.alloc(16 * 1024 * 1024 + 1)));
    // A second range of the same unchanged file is served the same hash; after a change, the new one.
    assert.equal((await request('fs/read', { path: 'big.bin', range: { offset: 0, length: 1 } })).hash, ranged.hash);
    writeFileSync(big, 'x', { flag: 'r+' });
    assert.equal((await request('fs/read', { path: 'big.bin', range: { offset: 0, length: 1 } })).hash, sha256(Buffer.concat([Buffer.from('x'), Buffer.alloc(16 * 1024 * 1024)])));
    await request('fs/delete', { path: 'big.bin' });
    await request('fs/delete', { path: 'digits.txt' });
  });

  it('hides what .gitignore excludes unless includeIgnored, then marks it', async () => {
    mkdirSync(join(worktree, 'dist', 'chunks'), { recursive: true });
    writeFileSync(join(worktree, 'dist', 'chunks', 'bundle.js'), '');
    writeFileSync(join(worktree, 'app.log'), '');
    writeFileSync(join(worktree, 'src', 'debug.log'), '');
    mkdirSync(join(worktree, 'logs'));
    writeFileSync(join(worktree, 'logs', 'today.log'), '');
    const plain = (await request('fs/list', { depth: 3 })).entries.map((e: any) => e.path);
    for (const hidden of ['dist', 'dist/chunks', 'dist/chunks/bundle.js', 'app.log', 'src/debug.log', 'logs/today.log']) assert.ok(!plain.includes(hidden), `${hidden} is hidden`);
    assert.ok(plain.includes('logs'), 'a directory holding only ignored files is not itself ignored');
    assert.ok(plain.includes('src/app.ts'));

    const all = (await request('fs/list', { depth: 3, includeIgnored: true })).entries;
    const ignored = all.filter((e: any) => e.ignored).map((e: any) => e.path).sort();
    assert.deepEqual(ignored, ['app.log', 'dist', 'dist/chunks', 'dist/chunks/bundle.js', 'logs/today.log', 'src/debug.log']);
    assert.ok(all.every((e: any) => e.ignored === true || !('ignored' in e)));
    assert.deepEqual((await request('fs/list', { path: 'dist' })).entries, [], 'inside an ignored directory everything is ignored');
    assert.deepEqual((await request('fs/list', { path: 'dist', includeIgnored: true })).entries.map((e: any) => [e.path, e.ignored]), [['dist/chunks', true]]);
    // A tracked file is never ignored, whatever the patterns say.
    writeFileSync(join(worktree, '.gitignore'), 'dist/\n*.log\n*.md\n');
    assert.ok((await request('fs/list', {})).entries.some((e: any) => e.path === 'README.md'));
    writeFileSync(join(worktree, '.gitignore'), 'dist/\n*.log\n');
    for (const path of ['dist', 'logs', 'app.log', 'src/debug.log']) await request('fs/delete', { path, recursive: true });
  });

  it('refuses every escape for reads and writes alike, and never writes through a symlink', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(worktree, 'out-file'));
    symlinkSync(outside, join(worktree, 'out-dir'));
    symlinkSync('README.md', join(worktree, 'in-file'));
    symlinkSync('src', join(worktree, 'in-dir'));
    const escapes: [string, string][] = [
      ['../outside.txt', 'escape'],
      ['src/../../outside.txt', 'escape'],
      [join(outside, 'secret.txt'), 'absolute'],
      ['/etc/passwd', 'absolute'],
      ['out-file', 'symlink'],
      ['out-dir/secret.txt', 'symlink'],
      ['out-dir/new/deep.txt', 'symlink'],
      ['.git', 'gitDir'],
      ['.git/config', 'gitDir'],
      ['.GIT/config', 'gitDir'],
      ['src/a\0b', 'nul'],
    ];
    for (const [path, reason] of escapes) {
      const calls: [string, Record<string, unknown>][] = [
        ['fs/read', { path }],
        ['fs/write', { path, content: 'owned\n', createParents: true }],
        ['fs/list', { path }],
        ['fs/mkdir', { path: `${path}/sub` }],
      ];
      // stat, move and delete act on a symlink itself, so only a path through one (or any other escape) is refused.
      if (path !== 'out-file') calls.push(['fs/stat', { path }], ['fs/delete', { path, recursive: true }], ['fs/move', { from: 'README.md', to: path }], ['fs/move', { from: path, to: 'moved' }]);
      for (const [method, params] of calls) {
        const refused = await failure(method, params);
        assert.equal(refused.data.kind, 'pathOutsideWorkspace', `${method} ${JSON.stringify(path)}: ${refused.message}`);
        assert.ok(refused.data.reason === reason || (method === 'fs/mkdir' && refused.data.reason), `${method} ${JSON.stringify(path)} refused as ${reason}, got ${refused.data.reason}`);
      }
    }
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret\n', 'the outside file is untouched');
    assert.deepEqual(readFileSync(join(worktree, '.git'), 'utf8').slice(0, 7), 'gitdir:');
    assert.ok(!existsSync(join(outside, 'new')));

    // A symlink that stays inside is read through, but never written through: the write is refused, the target kept.
    assert.equal((await request('fs/read', { path: 'in-file' })).content, '# files\n');
    assert.equal((await request('fs/read', { path: 'in-dir/app.ts' })).path, 'in-dir/app.ts');
    const through = await failure('fs/write', { path: 'in-file', content: 'owned\n' });
    assert.deepEqual([through.data.kind, through.data.got], ['notADirectory', 'symlink']);
    assert.equal(readFileSync(join(worktree, 'README.md'), 'utf8'), '# files\n');
    assert.ok(lstatSync(join(worktree, 'in-file')).isSymbolicLink());
    // The link itself can be described and deleted; what it points to stays.
    const link = (await request('fs/stat', { path: 'out-file' })).stat;
    assert.deepEqual([link.type, link.target], ['symlink', join(outside, 'secret.txt')]);
    const listed = (await request('fs/list', {})).entries.find((e: any) => e.path === 'out-dir');
    assert.equal(listed.type, 'symlink');
    await request('fs/delete', { path: 'out-file' });
    await request('fs/delete', { path: 'out-dir', recursive: true });
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret\n');
    await request('fs/delete', { path: 'in-file' });
    await request('fs/delete', { path: 'in-dir' });
    assert.ok(existsSync(join(worktree, 'src', 'app.ts')));
  });

  it('refuses changes while an operation holds the workspace, but still serves reads', async () => {
    const engine = orchd.host.engine!;
    engine.workspaceOperations.set(workspaceId, 'merge');
    try {
      for (const [method, params] of [
        ['fs/write', { path: 'x.txt', content: 'x' }],
        ['fs/mkdir', { path: 'x' }],
        ['fs/move', { from: 'README.md', to: 'R.md' }],
        ['fs/delete', { path: 'README.md' }],
      ] as const) {
        const refused = await failure(method, params);
        assert.equal(refused.data.kind, 'invalidState', method);
        assert.equal(refused.data.operation, 'merge');
      }
      assert.equal((await request('fs/read', { path: 'README.md' })).content, '# files\n');
    } finally {
      engine.workspaceOperations.delete(workspaceId);
    }
    assert.ok(existsSync(join(worktree, 'README.md')) && !existsSync(join(worktree, 'x.txt')));
  });
});
