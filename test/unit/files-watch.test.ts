// The pure parts of file watching: how changes to one path coalesce, the bounded buffer, glob filters, the reasons a
// watch ends, and the live diff's one-computation-at-a-time rule (with a computation the test controls).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkspaceDiffChangedNotification } from '../../protocol/fs.js';
import { LiveDiff, type DiffSnapshot } from '../../src/files/live-diff.js';
import { mergeChange, PendingChanges, type ChangeType } from '../../src/files/watch-coalesce.js';
import { endReasonForState, globMatcher } from '../../src/files/watches.js';
import { silentLogger } from '../../src/log/logger.js';
import { waitUntil } from '../support/wait.js';

describe('mergeChange', () => {
  const table: [ChangeType | undefined, ChangeType, ChangeType | null][] = [
    [undefined, 'created', 'created'],
    [undefined, 'changed', 'changed'],
    [undefined, 'deleted', 'deleted'],
    ['created', 'changed', 'created'],
    ['created', 'created', 'created'],
    ['created', 'deleted', null],
    ['changed', 'changed', 'changed'],
    ['changed', 'deleted', 'deleted'],
    ['changed', 'created', 'changed'],
    ['deleted', 'created', 'changed'],
    ['deleted', 'changed', 'changed'],
    ['deleted', 'deleted', 'deleted'],
  ];
  for (const [previous, next, expected] of table) {
    it(`${previous ?? 'nothing'} then ${next} is ${expected ?? 'dropped'}`, () => assert.equal(mergeChange(previous, next), expected));
  }
});

describe('PendingChanges', () => {
  it('keeps one change per path in first-seen order and drops what cancels out', () => {
    const pending = new PendingChanges();
    pending.add({ repositoryId: 'r', path: 'a', type: 'changed' });
    pending.add({ repositoryId: 'r', path: 'tmp', type: 'created' });
    pending.add({ repositoryId: 's', path: 'a', type: 'created' });
    pending.add({ repositoryId: 'r', path: 'a', type: 'deleted' });
    pending.add({ repositoryId: 'r', path: 'tmp', type: 'deleted' });
    assert.deepEqual(pending.take(), {
      changes: [
        { repositoryId: 'r', path: 'a', type: 'deleted' },
        { repositoryId: 's', path: 'a', type: 'created' },
      ],
      truncated: false,
    });
    assert.equal(pending.empty, true);
  });

  it('holds at most its limit of paths and says when it left some out', () => {
    const pending = new PendingChanges(3);
    for (const path of ['a', 'b', 'c', 'd', 'e']) pending.add({ repositoryId: 'r', path, type: 'created' });
    pending.add({ repositoryId: 'r', path: 'a', type: 'changed' });
    assert.equal(pending.size, 3);
    const taken = pending.take();
    assert.deepEqual(
      taken.changes.map((c) => c.path),
      ['a', 'b', 'c'],
    );
    assert.equal(taken.truncated, true);
    assert.deepEqual(pending.take(), { changes: [], truncated: false });
  });
});

describe('globMatcher', () => {
  const table: [string[], string, boolean][] = [
    [['src/**/*.ts'], 'src/a.ts', true],
    [['src/**/*.ts'], 'src/deep/er/a.ts', true],
    [['src/**/*.ts'], 'lib/a.ts', false],
    [['*.md'], 'README.md', true],
    [['*.md'], 'docs/guide.md', false],
    [['**/*.md'], 'docs/guide.md', true],
    [['docs'], 'docs', true],
    [['docs'], 'docs/deep/guide.md', true],
    [['docs'], 'docsify.json', false],
    [['src/**', '!src/gen/**'], 'src/gen/x.ts', false],
    [['src/**', '!src/gen/**'], 'src/main.ts', true],
    [['!**/*.log'], 'app.ts', true],
    [['!**/*.log'], 'logs/app.log', false],
  ];
  for (const [globs, path, expected] of table) {
    it(`${JSON.stringify(globs)} ${expected ? 'matches' : 'does not match'} ${path}`, () => assert.equal(globMatcher(globs)!(path), expected));
  }
  it('matches everything without globs', () => {
    assert.equal(globMatcher(undefined), null);
    assert.equal(globMatcher([]), null);
  });
});

describe('endReasonForState', () => {
  it('names why a watch ends, and keeps it while the workspace is active or merging', () => {
    assert.equal(endReasonForState('active'), null);
    assert.equal(endReasonForState('merging'), null);
    assert.equal(endReasonForState('archived'), 'workspace archived');
    assert.equal(endReasonForState('cleaning'), 'workspace deleted');
  });
});

describe('LiveDiff', () => {
  const snapshot = (files: number): DiffSnapshot => ({ stats: { files, additions: files, deletions: 0 }, repositories: [{ repositoryId: 'r', stats: { files, additions: files, deletions: 0 } }] });

  it('computes once at a time, again for changes that came meanwhile, and sends each subscriber only what differs', async () => {
    const calls: { resolve: (s: DiffSnapshot) => void }[] = [];
    const compute = () => new Promise<DiffSnapshot>((resolve) => calls.push({ resolve }));
    const diff = new LiveDiff('ws', compute, silentLogger, { debounceMs: 0, maxWaitMs: 0 });
    const sentA: WorkspaceDiffChangedNotification[] = [];
    const sentB: WorkspaceDiffChangedNotification[] = [];
    const a = { diffChanged: (n: WorkspaceDiffChangedNotification) => void sentA.push(n) };
    const b = { diffChanged: (n: WorkspaceDiffChangedNotification) => void sentB.push(n) };

    diff.subscribe(a);
    await waitUntil(() => calls.length === 1, 'the first computation');
    for (let i = 0; i < 10; i++) diff.changed();
    diff.subscribe(b);
    calls[0]!.resolve(snapshot(1));
    await waitUntil(() => sentA.length === 1 && sentB.length === 1, 'the first stats to both');
    await waitUntil(() => calls.length === 2, 'one more computation for the changes made meanwhile');
    assert.equal(calls.length, 2, 'ten changes during one computation make one more, not ten');
    calls[1]!.resolve(snapshot(1));
    // The same stats again: nothing sent. Then a change that moves them: sent to both.
    diff.changed();
    await waitUntil(() => calls.length === 3, 'the third computation');
    assert.equal(sentA.length, 1);
    calls[2]!.resolve(snapshot(2));
    await waitUntil(() => sentA.length === 2 && sentB.length === 2, 'the new stats to both');
    assert.deepEqual(sentA[1], { workspaceId: 'ws', ...snapshot(2) });
    diff.close();
  });
});
