// fs/search and fs/findFiles through the protocol, in-process, on real worktrees: search finds what `git grep` finds
// (checked against git grep run here), ignore rules, every option, multi-byte columns, truncation, streaming partial
// results, cancellation of a search on a big tree; fuzzy file finding with its ranking, ignore handling and cache.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import type { FoundFile, SearchMatch } from '../../protocol/fs.js';
import { FileListCache } from '../../src/files/file-list-cache.js';
import { findFiles, listFiles } from '../../src/files/find-files.js';
import { lowerPath } from '../../src/files/fuzzy.js';
import { tempDir } from '../support/client.js';
import { HEAVY_REQUEST_MS } from '../support/bounds.js';
import { startAgentFixture, stopAgentFixture, type AgentFixture } from '../support/inproc.js';
import { git, makeRepo } from '../support/repo.js';
import { childPidsRunning, waitUntil, within } from '../support/wait.js';

const LONG_LINE = `${'a'.repeat(1500)}needle${'b'.repeat(1500)}`;

const FILES: Record<string, string> = {
  '.gitignore': 'build/\n*.log\n',
  'src/main.ts': 'export const needle = 1;\n// NEEDLE upper\nconst needles = 2;\n',
  'src/util.ts': 'function findNeedle() { return "needle"; }\nconst value42 = 42;\n',
  'docs/guide.md': 'The needle is here.\n-dash-start needle\n',
  'src/unicode.ts': 'const wörld = "wörld needle";\n// 😀 needle\n',
  'src/crlf.ts': 'needle\r\nother\r\n',
  'src/long.min.js': `${LONG_LINE}\n`,
};

/** What `git grep` itself reports, as `path:line:column` with the column in UTF-16 units (run here as the oracle). */
function gitGrep(cwd: string, flags: string[], query: string, pathspecs: string[] = []): string[] {
  let out: string;
  try {
    out = execFileSync('git', ['grep', '--untracked', '-I', '-z', '-n', '--column', ...flags, '-e', query, '--', ...pathspecs], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
  return out
    .split('\n')
    .filter(Boolean)
    .map((record) => {
      const [path, line, column, content] = record.split('\0') as [string, string, string, string];
      const chars = Buffer.from(content, 'utf8').subarray(0, Number(column) - 1).toString('utf8').length;
      return `${path}:${line}:${chars + 1}`;
    })
    .sort();
}

const keys = (matches: SearchMatch[]) => matches.map((m) => `${m.path}:${m.line}:${m.column}`).sort();

describe('fs/search and fs/findFiles (in-process, real worktrees)', () => {
  let fixture: AgentFixture;
  let workspaceId: string;
  let repositoryId: string;
  let worktree: string;
  let outside: string;

  before(async () => {
    fixture = await startAgentFixture();
    const { client } = fixture.orchd;
    const source = makeRepo(FILES);
    writeFileSync(join(source, 'bin.dat'), Buffer.from('needle\0\0\0binary needle\n'));
    git(source, 'add', 'bin.dat');
    git(source, 'commit', '-q', '-m', 'binary');
    const project = (await client.request('project/create', { name: 'search', repositories: [{ path: source }] })).project;
    const task = (await client.request('task/create', { projectId: project.id, title: 'search' })).task;
    const workspace = (await client.request('workspace/create', { taskId: task.id })).workspace;
    workspaceId = workspace.id;
    repositoryId = workspace.repositories[0]!.repositoryId;
    worktree = workspace.repositories[0]!.path;
    // Untracked (found), ignored (not found), and a link to a file outside the worktree (not followed).
    mkdirSync(join(worktree, 'notes'));
    writeFileSync(join(worktree, 'notes/todo.txt'), 'needle untracked\n');
    mkdirSync(join(worktree, 'build'));
    writeFileSync(join(worktree, 'build/out.js'), 'needle ignored\n');
    writeFileSync(join(worktree, 'debug.log'), 'needle in a log\n');
    outside = tempDir('orchd-outside-');
    writeFileSync(join(outside, 'secret.txt'), 'needle outside\n');
    symlinkSync(join(outside, 'secret.txt'), join(worktree, 'outside-link'));
  });
  after(async () => {
    await stopAgentFixture(fixture);
    rmSync(outside, { recursive: true, force: true });
  });

  const search = (params: Record<string, unknown>) => fixture.orchd.client.request('fs/search', { workspaceId, ...params });

  it('finds what git grep finds: tracked and untracked files, not ignored ones, not binaries, not through links', async () => {
    const result = await search({ query: 'needle' });
    assert.equal(result.truncated, false);
    assert.deepEqual(keys(result.matches), gitGrep(worktree, ['-F', '-i'], 'needle'));
    const paths = new Set(result.matches.map((m) => m.path));
    assert.ok(paths.has('notes/todo.txt'), 'the untracked file');
    for (const hidden of ['build/out.js', 'debug.log', 'bin.dat', 'outside-link']) assert.ok(!paths.has(hidden), `${hidden} is not searched`);
    assert.ok(result.matches.every((m) => m.repositoryId === repositoryId));
    const main = result.matches.find((m) => m.path === 'src/main.ts' && m.line === 1)!;
    assert.deepEqual(main, { repositoryId, path: 'src/main.ts', line: 1, column: 14, length: 6, preview: 'export const needle = 1;', previewOffset: 0 });
    const crlf = result.matches.find((m) => m.path === 'src/crlf.ts')!;
    assert.equal(crlf.preview, 'needle', 'the line ending is not part of the preview');
  });

  it('counts columns in UTF-16 code units, not bytes', async () => {
    const result = await search({ query: 'needle', globs: ['src/unicode.ts'] });
    const columns = result.matches.map((m) => [m.line, m.column, m.length]);
    // `const wörld = "wörld ` is 21 characters (23 bytes); `// 😀 ` is 6 UTF-16 units (8 bytes).
    assert.deepEqual(columns, [
      [1, 22, 6],
      [2, 7, 6],
    ]);
    for (const m of result.matches) assert.equal(m.preview.slice(m.column - 1 - m.previewOffset, m.column - 1 - m.previewOffset + m.length), 'needle');
    const wide = await search({ query: 'WÖRLD', globs: ['src/unicode.ts'] });
    assert.deepEqual(keys(wide.matches), gitGrep(worktree, ['-F', '-i'], 'WÖRLD', [':(glob)src/unicode.ts']));
    assert.deepEqual(
      wide.matches.map((m) => [m.column, m.length]),
      [[7, 5]],
      'case-insensitive beyond ASCII',
    );
  });

  it('cuts a long line to 500 characters around the match', async () => {
    const [match] = (await search({ query: 'needle', globs: ['*.min.js'] })).matches;
    assert.ok(match);
    assert.equal(match.column, 1501);
    assert.equal(match.preview.length, 500);
    assert.equal(match.previewOffset, 1400);
    assert.equal(match.preview, LONG_LINE.slice(1400, 1900));
  });

  it('takes regular expressions, case sensitivity and whole words as git grep does', async () => {
    const cases: { params: Record<string, unknown>; flags: string[]; query: string }[] = [
      { params: { query: 'need(le|ful)s?', regex: true }, flags: ['-E', '-i'], query: 'need(le|ful)s?' },
      { params: { query: 'value[[:digit:]]+', regex: true, caseSensitive: true }, flags: ['-E'], query: 'value[[:digit:]]+' },
      { params: { query: 'NEEDLE', caseSensitive: true }, flags: ['-F'], query: 'NEEDLE' },
      { params: { query: 'needle', caseSensitive: true }, flags: ['-F'], query: 'needle' },
      { params: { query: 'needle', wholeWord: true }, flags: ['-F', '-i', '-w'], query: 'needle' },
      { params: { query: 'needle.', regex: false }, flags: ['-F', '-i'], query: 'needle.' },
    ];
    for (const { params, flags, query } of cases) {
      const result = await search(params);
      assert.deepEqual(keys(result.matches), gitGrep(worktree, flags, query), JSON.stringify(params));
    }
    const words = await search({ query: 'needle', wholeWord: true });
    assert.ok(!words.matches.some((m) => m.path === 'src/main.ts' && m.line === 3), '`needles` is not the word `needle`');
    const upper = await search({ query: 'NEEDLE', caseSensitive: true });
    assert.deepEqual(keys(upper.matches), ['src/main.ts:2:4']);
    const regex = await search({ query: 'need(le|ful)s', regex: true });
    assert.deepEqual(
      regex.matches.filter((m) => m.path === 'src/main.ts').map((m) => [m.line, m.length]),
      [[3, 7]],
      'the length of the regex match',
    );
  });

  it('limits the search to globs and excludes `!` globs', async () => {
    const md = await search({ query: 'needle', globs: ['*.md'] });
    assert.deepEqual(keys(md.matches), gitGrep(worktree, ['-F', '-i'], 'needle', [':(glob)**/*.md']));
    assert.deepEqual([...new Set(md.matches.map((m) => m.path))], ['docs/guide.md']);
    const src = await search({ query: 'needle', globs: ['src/**/*.ts', 'notes'] });
    assert.deepEqual(keys(src.matches), gitGrep(worktree, ['-F', '-i'], 'needle', [':(glob)src/**/*.ts', ':(glob)**/notes/**']));
    const excluded = await search({ query: 'needle', globs: ['!src', '!*.md'] });
    assert.deepEqual(keys(excluded.matches), gitGrep(worktree, ['-F', '-i'], 'needle', [':(exclude,glob)**/src/**', ':(exclude,glob)**/*.md']));
    assert.deepEqual([...new Set(excluded.matches.map((m) => m.path))], ['notes/todo.txt']);
    const bad = await fixture.orchd.client.failure('fs/search', { workspaceId, query: 'needle', globs: ['../outside'] });
    assert.equal(bad.data.kind, 'invalidParams');
    assert.equal(bad.data.field, 'globs[0]');
  });

  it('searches for a query that starts with `-` as text, never as an option', async () => {
    const result = await search({ query: '-dash-start' });
    assert.deepEqual(keys(result.matches), ['docs/guide.md:2:1']);
    const option = await search({ query: '--untracked' });
    assert.deepEqual(option.matches, []);
  });

  it('stops at maxResults and says so', async () => {
    const all = await search({ query: 'needle' });
    const count = all.matches.length;
    assert.ok(count > 3);
    const three = await search({ query: 'needle', maxResults: 3 });
    assert.equal(three.matches.length, 3);
    assert.equal(three.truncated, true);
    const exact = await search({ query: 'needle', maxResults: count });
    assert.equal(exact.matches.length, count);
    assert.equal(exact.truncated, false, 'exactly maxResults matches is not truncated');
  });

  it('refuses a bad regular expression, an unknown repository and a multi-line query by name', async () => {
    const { client } = fixture.orchd;
    const regex = await client.failure('fs/search', { workspaceId, query: 'a(', regex: true });
    assert.equal(regex.data.kind, 'invalidParams');
    assert.match(regex.message, /`query`.*a\(/);
    const repository = await client.failure('fs/search', { workspaceId, repository: 'repo_nope', query: 'x' });
    assert.equal(repository.data.kind, 'notFound');
    assert.equal(repository.data.field, 'repository');
    const workspace = await client.failure('fs/findFiles', { workspaceId: 'ws_nope', query: 'x' });
    assert.equal(workspace.data.kind, 'notFound');
    const lines = await client.failure('fs/search', { workspaceId, query: 'a\nb' });
    assert.equal(lines.data.kind, 'invalidParams');
  });

  it('streams matches as partial progress and does not repeat them in the result', async () => {
    const big = join(worktree, 'notes', 'many.txt');
    writeFileSync(big, Array.from({ length: 450 }, (_, i) => `needle ${i}`).join('\n'));
    try {
      const { client } = fixture.orchd;
      const plain = await search({ query: 'needle' });
      const token = 'search-progress';
      const result = await search({ query: 'needle', progressToken: token });
      const reports = client.notifications.filter((n) => n.method === '$/progress' && n.params.token === token).map((n) => n.params.value);
      assert.equal(reports[0].kind, 'begin');
      assert.equal(reports.at(-1).kind, 'end');
      const partial = reports.filter((r) => r.kind === 'partial').flatMap((r) => r.matches as SearchMatch[]);
      assert.ok(partial.length >= 400, `most matches streamed (${partial.length})`);
      const everything = [...keys(partial), ...keys(result.matches)].sort();
      assert.equal(new Set(everything).size, everything.length, 'no match twice');
      assert.deepEqual(everything, keys(plain.matches));
    } finally {
      rmSync(big);
    }
  });

  it('searches every worktree of a multi-repository workspace, or the one named', async () => {
    const { client } = fixture.orchd;
    const first = makeRepo({ 'a.txt': 'shared term\n' });
    const second = makeRepo({ 'b.txt': 'shared term\nshared again\n' });
    try {
      const project = (await client.request('project/create', { name: 'two', repositories: [{ path: first, name: 'first' }, { path: second, name: 'second' }] })).project;
      const task = (await client.request('task/create', { projectId: project.id, title: 'two' })).task;
      const ws = (await client.request('workspace/create', { taskId: task.id })).workspace;
      const [one, two] = ws.repositories;
      const all = await client.request('fs/search', { workspaceId: ws.id, query: 'shared' });
      assert.deepEqual(
        all.matches.map((m) => [m.repositoryId, m.path, m.line]),
        [
          [one!.repositoryId, 'a.txt', 1],
          [two!.repositoryId, 'b.txt', 1],
          [two!.repositoryId, 'b.txt', 2],
        ],
      );
      const only = await client.request('fs/search', { workspaceId: ws.id, repository: two!.repositoryId, query: 'shared' });
      assert.deepEqual(only.matches.map((m) => m.path), ['b.txt', 'b.txt']);
      const limited = await client.request('fs/search', { workspaceId: ws.id, query: 'shared', maxResults: 1 });
      assert.equal(limited.truncated, true);
      const files = await client.request('fs/findFiles', { workspaceId: ws.id, query: 'txt' });
      assert.deepEqual(files.files.map((f) => [f.repositoryId, f.path]), [
        [one!.repositoryId, 'a.txt'],
        [two!.repositoryId, 'b.txt'],
      ]);
    } finally {
      rmSync(first, { recursive: true, force: true });
      rmSync(second, { recursive: true, force: true });
    }
  });

  it('finds files fuzzily: best first, with positions, untracked included, ignored and deleted left out', async () => {
    const { client } = fixture.orchd;
    const result = await client.request('fs/findFiles', { workspaceId, query: 'main' });
    const paths = result.files.map((f) => f.path);
    assert.equal(paths[0], 'src/main.ts');
    for (const f of result.files) assert.equal(f.positions.map((p) => f.path[p]).join('').toLowerCase(), 'main');
    const everything = (await client.request('fs/findFiles', { workspaceId, query: '', maxResults: 10_000 })).files.map((f) => f.path);
    assert.ok(everything.includes('notes/todo.txt'), 'untracked');
    assert.ok(everything.includes('.gitignore'));
    for (const ignored of ['build/out.js', 'debug.log']) assert.ok(!everything.includes(ignored), `${ignored} is ignored`);
    assert.deepEqual([...everything].sort(), (await listFiles(worktree)).sort());
    const scores = result.files.map((f) => f.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'best first');
    const limited = await client.request('fs/findFiles', { workspaceId, query: 's', maxResults: 2 });
    assert.equal(limited.files.length, 2);
    assert.equal(limited.truncated, true);
    const camel = await client.request('fs/findFiles', { workspaceId, query: 'sut' });
    assert.equal(camel.files[0]?.path, 'src/util.ts');
  });

  it('sees an index change at once through the cache: a staged new file, a deleted one', async () => {
    const { client } = fixture.orchd;
    const find = async (query: string) => (await client.request('fs/findFiles', { workspaceId, query })).files.map((f: FoundFile) => f.path);
    assert.deepEqual(await find('zebra'), []);
    writeFileSync(join(worktree, 'zebra.ts'), 'x\n');
    git(worktree, 'add', 'zebra.ts');
    assert.deepEqual(await find('zebra'), ['zebra.ts'], 'staging changed the index, so the list is fresh');
    git(worktree, 'rm', '-q', '-f', 'zebra.ts');
    assert.deepEqual(await find('zebra'), []);
  });

  it('sees files created, moved and deleted through fs/* at once, without waiting out the cache', async () => {
    const { client } = fixture.orchd;
    const find = async (query: string) => (await client.request('fs/findFiles', { workspaceId, query })).files.map((f: FoundFile) => f.path);
    assert.deepEqual(await find('okapi'), []);
    await client.request('fs/write', { workspaceId, path: 'okapi.md', content: 'x\n', expectedHash: null });
    assert.deepEqual(await find('okapi'), ['okapi.md'], 'an untracked file written through fs/write shows on the next request');
    await client.request('fs/move', { workspaceId, from: 'okapi.md', to: 'notes/okapi2.md' });
    assert.deepEqual(await find('okapi'), ['notes/okapi2.md']);
    await client.request('fs/delete', { workspaceId, path: 'notes/okapi2.md' });
    assert.deepEqual(await find('okapi'), []);
  });

  it('keeps file lists for a while, per worktree, least recently used dropped first', async () => {
    let now = 0;
    let loads = 0;
    const cache = new FileListCache(1000, 2, () => now);
    const repos = [makeRepo(), makeRepo(), makeRepo()];
    try {
      const load = (dir: string) => () => {
        loads++;
        return listFiles(dir);
      };
      assert.deepEqual((await cache.get(repos[0]!, load(repos[0]!), lowerPath)).paths, ['README.md']);
      await cache.get(repos[0]!, load(repos[0]!), lowerPath);
      assert.equal(loads, 1, 'the second request within the TTL is served from the cache');
      writeFileSync(join(repos[0]!, 'new.txt'), 'x');
      assert.deepEqual((await cache.get(repos[0]!, load(repos[0]!), lowerPath)).paths, ['README.md'], 'an untracked file waits for the TTL');
      now = 1001;
      assert.deepEqual([...(await cache.get(repos[0]!, load(repos[0]!), lowerPath)).paths].sort(), ['README.md', 'new.txt']);
      assert.equal(loads, 2);
      await cache.get(repos[1]!, load(repos[1]!), lowerPath);
      await cache.get(repos[0]!, load(repos[0]!), lowerPath);
      await cache.get(repos[2]!, load(repos[2]!), lowerPath);
      assert.equal(cache.size, 2);
      assert.equal(loads, 4);
      await cache.get(repos[0]!, load(repos[0]!), lowerPath);
      assert.equal(loads, 4, 'the most recently used list was kept');
      await cache.get(repos[1]!, load(repos[1]!), lowerPath);
      assert.equal(loads, 5, 'the least recently used list was dropped');
    } finally {
      for (const repo of repos) rmSync(repo, { recursive: true, force: true });
    }
  });

  it('fails fs/findFiles with `cancelled` when its signal is aborted', async () => {
    const engine = fixture.orchd.host.engine!;
    await assert.rejects(findFiles(engine, workspaceId, { query: 'main', maxResults: 10 }, { signal: AbortSignal.abort() }), (error: any) => error.kind === 'cancelled');
  });

  describe('on a big tree', () => {
    let bigWorkspace: string;
    let bigWorktree: string;
    let source: string;
    before(async () => {
      // 4,000 files of 50 matching lines each: 200,000 matches, more than one search returns.
      source = tempDir('orchd-big-');
      git(source, 'init', '-q', '-b', 'main');
      const body = `${Array.from({ length: 50 }, (_, i) => `const haystack${i} = "needle in a haystack";`).join('\n')}\n`;
      for (let d = 0; d < 40; d++) {
        mkdirSync(join(source, `dir${d}`));
        for (let f = 0; f < 100; f++) writeFileSync(join(source, `dir${d}`, `file${f}.ts`), body);
      }
      git(source, 'add', '-A');
      git(source, 'commit', '-q', '-m', 'big');
      const { client } = fixture.orchd;
      const project = (await client.request('project/create', { name: 'big', repositories: [{ path: source }] })).project;
      const task = (await client.request('task/create', { projectId: project.id, title: 'big' })).task;
      const ws = (await client.request('workspace/create', { taskId: task.id }, HEAVY_REQUEST_MS)).workspace;
      bigWorkspace = ws.id;
      bigWorktree = ws.repositories[0]!.path;
    });
    after(() => rmSync(source, { recursive: true, force: true }));

    it('cancels a search mid-way with $/cancelRequest: the `cancelled` error, and git is gone', async () => {
      const { client } = fixture.orchd;
      const token = 'big-search';
      const cancel = new CancellationTokenSource();
      const pending = client.connection.sendRequest('fs/search', { workspaceId: bigWorkspace, query: 'needle', maxResults: 100_000, progressToken: token }, cancel.token);
      const settled = pending.then(
        () => null,
        (error: unknown) => error,
      );
      await client.waitFor('$/progress', (p) => p.token === token && p.value.kind === 'partial');
      cancel.cancel();
      const error = await within(settled, 'the cancelled search to be answered');
      assert.ok(error instanceof ResponseError, `expected the request to fail, got ${JSON.stringify(error)}`);
      assert.equal(error.code, -32800);
      assert.equal((error.data as { kind: string }).kind, 'cancelled');
      await waitUntil(() => childPidsRunning('grep --untracked').length === 0, 'git grep to be gone');
      const streamed = client.notifications.filter((n) => n.method === '$/progress' && n.params.token === token && n.params.value.kind === 'partial');
      const count = streamed.reduce((sum, n) => sum + n.params.value.matches.length, 0);
      assert.ok(count < 100_000, `stopped before the end (${count} matches streamed)`);
    });

    it('truncates a search with more matches than maxResults, and finds files in the big tree', async () => {
      const { client } = fixture.orchd;
      const result = await client.request('fs/search', { workspaceId: bigWorkspace, query: 'haystack49', maxResults: 1000 }, HEAVY_REQUEST_MS);
      assert.equal(result.matches.length, 1000);
      assert.equal(result.truncated, true);
      await waitUntil(() => childPidsRunning('grep --untracked').length === 0, 'git grep to be gone');
      const token = 'big-find';
      const exact = await client.request('fs/findFiles', { workspaceId: bigWorkspace, query: 'dir7file42' });
      assert.deepEqual(exact.files.map((f) => f.path), ['dir7/file42.ts', 'dir17/file42.ts', 'dir27/file42.ts', 'dir37/file42.ts']);
      const files = await client.request('fs/findFiles', { workspaceId: bigWorkspace, query: 'file42', maxResults: 5, progressToken: token });
      assert.deepEqual(files.files.map((f) => f.path), ['dir0/file42.ts', 'dir1/file42.ts', 'dir2/file42.ts', 'dir3/file42.ts', 'dir4/file42.ts']);
      assert.equal(files.truncated, true);
      // Partial lists come only when scoring outlasts a slice, so their number depends on the machine; whatever came
      // is bracketed by begin and end, and each list is a best-first list within maxResults.
      const reports = client.notifications.filter((n) => n.method === '$/progress' && n.params.token === token).map((n) => n.params.value);
      assert.equal(reports[0].kind, 'begin');
      assert.equal(reports.at(-1).kind, 'end');
      for (const partial of reports.filter((r) => r.kind === 'partial')) {
        const scores = (partial.files as FoundFile[]).map((f) => f.score);
        assert.ok(scores.length <= 5);
        assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
      }
      assert.ok(bigWorktree);
    });
  });
});
