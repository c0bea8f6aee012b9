// Fuzzy path scoring (src/files/fuzzy.ts): the order of paths for a table of queries, the positions reported, smart
// case; and the pure pieces of fs/search (src/files/search.ts): git grep's output parser, globs as pathspecs, and the
// JS reading of a POSIX pattern.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareFound, FuzzyScorer, lowerPath, prepareQuery } from '../../src/files/fuzzy.js';
import { GrepOutputParser, globPathspecs, grepArgs, jsRegExp } from '../../src/files/search.js';

function rank(query: string, paths: string[]): string[] {
  const scorer = new FuzzyScorer(prepareQuery(query));
  return paths
    .map((path) => ({ path, found: scorer.match(path) }))
    .filter((x) => x.found !== null)
    .map((x) => ({ path: x.path, score: x.found!.score }))
    .sort(compareFound)
    .map((x) => x.path);
}

describe('fuzzy ranking', () => {
  const table: { query: string; paths: string[]; expected: string[] }[] = [
    // The base name beats a directory of the same name; a shorter path wins a tie.
    { query: 'main', paths: ['main/src/other.ts', 'src/domain/x.ts', 'src/main/index.ts', 'src/main.ts', 'lib/remain.ts'], expected: ['src/main.ts', 'main/src/other.ts', 'src/main/index.ts', 'lib/remain.ts', 'src/domain/x.ts'] },
    // Word starts (after `/`, camelCase, `_`) beat letters inside words.
    { query: 'fb', paths: ['xfxb.ts', 'fab.ts', 'fooBar.ts', 'src/foo_bar.ts'], expected: ['fooBar.ts', 'src/foo_bar.ts', 'fab.ts', 'xfxb.ts'] },
    // A consecutive run beats the same letters at two word starts.
    { query: 'ab', paths: ['xaxb', 'a_b.ts', 'ab.ts'], expected: ['ab.ts', 'a_b.ts', 'xaxb'] },
    // Equal alignments: the shortest path first, then by path.
    { query: 'index', paths: ['a/b/c/index.ts', 'index.ts', 'src/in/dex.ts'], expected: ['index.ts', 'a/b/c/index.ts', 'src/in/dex.ts'] },
    // Letters spread over the path still match, after every tighter candidate.
    { query: 'srcmaints', paths: ['src/xmain.ts', 'src/main.ts', 'README.md'], expected: ['src/main.ts', 'src/xmain.ts'] },
    // Matches in the base name beat matches in directories.
    { query: 'util', paths: ['src/util/index.ts', 'test/util.test.ts', 'src/utils.ts'], expected: ['src/utils.ts', 'test/util.test.ts', 'src/util/index.ts'] },
    // Smart case: lowercase ignores case, an uppercase letter makes the query case-sensitive.
    { query: 'readme', paths: ['docs/readme-old/x.md', 'README.md'], expected: ['README.md', 'docs/readme-old/x.md'] },
    { query: 'FB', paths: ['foobar.ts', 'fooBar.ts', 'FooBar.ts'], expected: ['FooBar.ts'] },
    // Whitespace is ignored; a backslash means a separator.
    { query: 'src main', paths: ['src/main.ts', 'lib/main.ts'], expected: ['src/main.ts'] },
    { query: 'src\\main', paths: ['src/main.ts', 'srcmain.ts'], expected: ['src/main.ts'] },
    // Non-ASCII paths match and lower case-insensitively.
    { query: 'über', paths: ['docs/Über.md', 'docs/uber.md'], expected: ['docs/Über.md'] },
    // Nothing matches when a character is missing or out of order.
    { query: 'zz', paths: ['src/main.ts'], expected: [] },
    { query: 'ba', paths: ['ab'], expected: [] },
  ];
  for (const { query, paths, expected } of table) {
    it(`ranks ${JSON.stringify(query)}`, () => {
      assert.deepEqual(rank(query, paths), expected);
    });
  }

  it('reports the positions of the best alignment, and they spell the query', () => {
    const scorer = new FuzzyScorer(prepareQuery('main'));
    assert.deepEqual(scorer.match('src/domain/main.ts')?.positions, [11, 12, 13, 14], 'the base name, not the letters inside `domain`');
    const camel = new FuzzyScorer(prepareQuery('fb'));
    assert.deepEqual(camel.match('src/fooBar.ts')?.positions, [4, 7], 'the word starts');
    for (const [query, path] of [
      ['wsts', 'src/workspaces/service.ts'],
      ['ffs', 'src/files/find-files.ts'],
      ['😀x', 'docs/😀/x.md'],
    ] as const) {
      const found = new FuzzyScorer(prepareQuery(query)).match(path);
      assert.ok(found, `${query} matches ${path}`);
      const spelled = found.positions.map((p) => path[p]!.toLowerCase()).join('');
      assert.equal(spelled, query.toLowerCase(), `${path} at ${found.positions}`);
      assert.deepEqual([...found.positions].sort((a, b) => a - b), found.positions, 'ascending');
    }
  });

  it('matches every path with an empty query, shortest first, with no positions', () => {
    const scorer = new FuzzyScorer(prepareQuery(''));
    assert.deepEqual(scorer.match('a/b.ts')?.positions, []);
    assert.deepEqual(rank('', ['long/path.ts', 'b.ts', 'a.ts']), ['a.ts', 'b.ts', 'long/path.ts']);
  });

  it('lowers paths unit by unit, so positions stay indexes in the original path', () => {
    assert.equal(lowerPath('SRC/Main.TS'), 'src/main.ts');
    // U+0130 lowers to two code units in JS; it is kept as it is so the length does not change.
    assert.equal(lowerPath('İx').length, 2);
    const found = new FuzzyScorer(prepareQuery('x')).match('İx');
    assert.deepEqual(found?.positions, [1]);
  });
});

describe('git grep output parser', () => {
  it('parses records split anywhere, paths with newlines, lines with NUL', () => {
    const records: [string, number, number, string][] = [];
    const parser = new GrepOutputParser((path, line, column, bytes, start, end) => records.push([path, line, column, bytes.toString('utf8', start, end)]));
    const output = Buffer.from('a.txt\x0012\x003\x00hello foo\nodd\nname.txt\x001\x001\x00foo\x00bar\nsub/w\u00f6rld.md\x007\x008\x00x w\u00f6rld foo\n', 'utf8');
    const expected = [
      ['a.txt', 12, 3, 'hello foo'],
      ['odd\nname.txt', 1, 1, 'foo\x00bar'],
      ['sub/wörld.md', 7, 8, 'x wörld foo'],
    ];
    // In one chunk (read in place), and cut into pieces of every size from 1 to 7 bytes.
    parser.feed(output);
    assert.deepEqual(records, expected);
    for (let size = 1; size <= 7; size++) {
      records.length = 0;
      for (let i = 0; i < output.length; i += size) parser.feed(output.subarray(i, i + size));
      assert.deepEqual(records, expected, `pieces of ${size}`);
    }
  });

  it('keeps at most 64 KB of a giant line past the match', () => {
    let kept = 0;
    const parser = new GrepOutputParser((_path, _line, _column, _bytes, start, end) => {
      kept = end - start;
    });
    const record = Buffer.from(`min.js\x001\x0011\x00${'x'.repeat(10)}foo${'y'.repeat(1_000_000)}\n`);
    // As a pipe delivers it: 64 KB at a time.
    for (let i = 0; i < record.length; i += 65536) parser.feed(record.subarray(i, i + 65536));
    assert.equal(kept, 10 + 64 * 1024);
  });
});

describe('search arguments', () => {
  it('puts the query after -e and the pathspecs after --', () => {
    const args = grepArgs({ query: '-v', regex: false, caseSensitive: false, wholeWord: true, globs: ['*.ts'] });
    const e = args.indexOf('-e');
    assert.equal(args[e + 1], '-v');
    assert.ok(args.indexOf('--') > e + 1);
    assert.ok(args.includes('-F') && args.includes('-i') && args.includes('-w') && args.includes('--untracked'));
    assert.ok(grepArgs({ query: 'x', regex: true, caseSensitive: true, wholeWord: false }).includes('-E'));
  });

  it('turns globs into pathspecs with .gitignore meaning', () => {
    assert.deepEqual(globPathspecs(['*.ts']), [':(glob)**/*.ts', ':(glob)**/*.ts/**']);
    assert.deepEqual(globPathspecs(['src/**/*.ts']), [':(glob)src/**/*.ts', ':(glob)src/**/*.ts/**']);
    assert.deepEqual(globPathspecs(['/docs/']), [':(glob)docs', ':(glob)docs/**']);
    assert.deepEqual(globPathspecs(['!node_modules']), [':(exclude,glob)**/node_modules', ':(exclude,glob)**/node_modules/**']);
    for (const bad of ['../x', 'a/../../b', '!', '/', './a']) {
      assert.throws(
        () => globPathspecs(['ok', bad]),
        (error: any) => error.kind === 'invalidParams' && error.details.field === 'globs[1]' && error.message.includes(bad),
        bad,
      );
    }
  });

  it('reads POSIX patterns in JS to measure a match', () => {
    const measure = (query: string, line: string, column: number, caseSensitive = true, wholeWord = false) => {
      const pattern = jsRegExp(query, caseSensitive, wholeWord)!;
      pattern.lastIndex = column;
      return pattern.exec(line)?.[0];
    };
    assert.equal(measure('[[:digit:]]+', 'abc 1234 x', 4), '1234');
    assert.equal(measure('\\<foo\\>', 'a foo b', 2), 'foo');
    assert.equal(measure('w.rld', 'x wörld', 2), 'wörld');
    assert.equal(measure('FOO', 'x foo', 2, false), 'foo');
    assert.equal(measure('fo+', 'fooo_', 0, true, true), undefined, 'not a whole word');
    assert.equal(jsRegExp('(', true, false), null);
  });
});
