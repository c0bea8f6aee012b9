// `orchd gc`: its arguments, and the compaction in words.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Compaction } from '../../protocol/maintenance.js';
import { parseCli } from '../../src/cli/args.js';
import { describeCompaction } from '../../src/cli/gc.js';

describe('orchd gc arguments', () => {
  const cases: [string[], unknown][] = [
    [['gc'], { command: 'gc', projectId: undefined, dryRun: false, json: false, dataDir: undefined, logLevel: 'warn' }],
    [['gc', '--project', 'prj_1', '--dry-run', '--json', '--data-dir', '/d'], { command: 'gc', projectId: 'prj_1', dryRun: true, json: true, dataDir: '/d', logLevel: 'warn' }],
    [['--data-dir', '/d', 'gc'], { command: 'gc', projectId: undefined, dryRun: false, json: false, dataDir: '/d', logLevel: 'warn' }],
    [['gc', 'now'], { command: 'error', message: 'Unexpected argument `now`', usageOf: 'gc' }],
    [['gc', '--project', ''], { command: 'error', message: 'Expected `--project` to be a project id, got ``', usageOf: 'gc' }],
  ];
  for (const [argv, expected] of cases) {
    it(JSON.stringify(argv), () => {
      assert.deepEqual(parseCli(argv), expected);
    });
  }
  it('names a bad log level', () => {
    const parsed = parseCli(['gc', '--log-level', 'loud']);
    assert.match((parsed as { message: string }).message, /^Expected `--log-level` to be one of .*, got `loud`$/);
  });
  it('rejects an unknown option, naming it', () => {
    const parsed = parseCli(['gc', '--everything']);
    assert.equal(parsed.command, 'error');
    assert.match((parsed as { message: string }).message, /^unknown option --everything/);
    assert.equal((parsed as { usageOf?: string }).usageOf, 'gc');
  });
});

describe('describeCompaction', () => {
  const base: Compaction = {
    dryRun: false,
    projects: [{ projectId: 'prj_1', retention: { maxBytes: 1024 }, executions: 2, eventsDropped: 1500, bytesDropped: 3 * 1024 * 1024, outputBytesKept: 900 }],
    executions: 2,
    eventsDropped: 1500,
    bytesDropped: 3 * 1024 * 1024,
    tombstones: 2,
    vacuum: 'incremental',
    bytesBefore: 10 * 1024 * 1024,
    bytesAfter: 7 * 1024 * 1024,
  };
  it('says what was dropped, per project, and the size before and after', () => {
    assert.equal(
      describeCompaction(base, [{ id: 'prj_1', name: 'web' }]),
      [
        'Dropped the raw output of 2 executions: 1,500 events, 3.0 MB.',
        '  web (prj_1, retention: maxBytes 1024): 2 executions, 1,500 events, 3.0 MB; 900 B of output kept',
        'Left 2 tombstones (events/compacted) where the output was; the normalized entries are kept.',
        'Database: 10.0 MB -> 7.0 MB (incremental vacuum).',
        '',
      ].join('\n'),
    );
  });
  it('a dry run says it changed nothing', () => {
    const text = describeCompaction({ ...base, dryRun: true, tombstones: 0, vacuum: 'none', bytesAfter: base.bytesBefore }, []);
    assert.match(text, /^Would drop the raw output of 2 executions/);
    assert.match(text, /\n  prj_1 \(prj_1, retention: maxBytes 1024\)/);
    assert.match(text, /Nothing was changed \(dry run\)\.\n$/);
  });
  it('says how to set a retention when no project has one', () => {
    assert.match(describeCompaction({ ...base, projects: [], executions: 0, eventsDropped: 0, bytesDropped: 0, tombstones: 0 }, []), /^No project has a retention/);
  });
});
