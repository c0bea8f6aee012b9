import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { DaemonStatus } from '../../protocol/daemon.js';
import { formatStatus } from '../../src/cli/status.js';

/** A daemon/status as the protocol defines it (parsed, so the fixture cannot drift from the schema). */
function status(checkpoints: { thread: string; count: number; walResets?: number; lastMs: number | null }): DaemonStatus {
  return v.parse(DaemonStatus, {
    version: '1.2.3',
    protocolVersion: 1,
    pid: 4242,
    startedAt: '2026-12-06T00:00:00.000Z',
    uptimeMs: 65_000,
    dataDir: '/data',
    currentSeq: 17,
    database: { bytes: 3 * 1024 * 1024, walBytes: 4 * 1024 * 1024, checkpoints: { walResets: 0, ...checkpoints } },
    processes: { executions: 1, sessions: 1, terminals: 0 },
    watches: { watchers: 0, watches: 0 },
    rssBytes: 80 * 1024 * 1024,
    service: null,
    connections: [],
  });
}

const dataLine = (text: string) => text.split('\n').find((line) => line.trimStart().startsWith('data'));

describe('orchd status', () => {
  it('says who checkpoints the WAL: SQLite until the thread starts, then the thread with its count and last time', () => {
    assert.equal(dataLine(formatStatus(status({ thread: 'idle', count: 0, lastMs: null }))), '  data        /data · database 3.0 MB, wal 4.0 MB (checkpoints by SQLite until the first megabyte of output)');
    assert.equal(dataLine(formatStatus(status({ thread: 'running', count: 12, lastMs: 3.14159 }))), '  data        /data · database 3.0 MB, wal 4.0 MB (checkpoint thread running, 12 checkpoints, last 3.1 ms)');
    assert.equal(dataLine(formatStatus(status({ thread: 'running', count: 1, lastMs: null }))), '  data        /data · database 3.0 MB, wal 4.0 MB (checkpoint thread running, 1 checkpoint)');
    assert.equal(
      dataLine(formatStatus(status({ thread: 'running', count: 40, walResets: 2, lastMs: 12 }))),
      '  data        /data · database 3.0 MB, wal 4.0 MB (checkpoint thread running, 40 checkpoints (2 held commits to restart the WAL), last 12.0 ms)',
    );
    assert.equal(dataLine(formatStatus(status({ thread: 'failed', count: 3, lastMs: 2 }))), '  data        /data · database 3.0 MB, wal 4.0 MB (checkpoint thread failed: checkpoints by SQLite)');
  });
});
