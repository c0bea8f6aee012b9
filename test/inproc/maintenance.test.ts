// Retention and maintenance/compact, in-process with real SQLite, real git and the scripted agent: raw output of
// finished sessions is dropped by age and by bytes, entries stay, tombstones explain every seq a replay no longer sees,
// running sessions are never touched, a dry run changes nothing, and the file shrinks.
import assert from 'node:assert/strict';
import { realpathSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { Event } from '../../protocol/events.js';
import type { OutputCompaction } from '../../protocol/maintenance.js';
import type { Engine } from '../../src/engine.js';
import { openEngine } from '../../src/engine.js';
import { silentLogger } from '../../src/log/logger.js';
import { compactEventLog } from '../../src/maintenance/compact.js';
import { planRetention, type OutputRun } from '../../src/maintenance/retention.js';
import { databaseUsage } from '../../src/maintenance/usage.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { tempDir } from '../support/client.js';
import { CHAIN_MS, FLOOD_MS } from '../support/bounds.js';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { makeRepo } from '../support/repo.js';
import { waitUntil } from '../support/wait.js';

describe('planRetention (pure)', () => {
  const run = (executionId: string, endedAt: string | null, bytes: number, finished = true): OutputRun => ({ executionId, fromSeq: bytes, toSeq: bytes, count: 1, bytes, endedAt, finished });
  const now = new Date('2030-01-10T00:00:00.000Z');
  const cases: { name: string; runs: OutputRun[]; retention: { maxAgeDays?: number; maxBytes?: number }; drops: string[]; kept: number }[] = [
    { name: 'no limits keep everything', runs: [run('a', '2030-01-01T00:00:00.000Z', 10)], retention: {}, drops: [], kept: 10 },
    {
      name: 'by age: ended at or before the cutoff',
      runs: [run('old', '2030-01-08T00:00:00.000Z', 10), run('new', '2030-01-09T12:00:00.000Z', 10), run('edge', '2030-01-09T00:00:00.000Z', 1)],
      retention: { maxAgeDays: 1 },
      drops: ['old', 'edge'],
      kept: 10,
    },
    {
      name: 'by bytes: oldest first, until the rest fits',
      runs: [run('b', '2030-01-02T00:00:00.000Z', 30), run('a', '2030-01-01T00:00:00.000Z', 30), run('c', '2030-01-03T00:00:00.000Z', 30)],
      retention: { maxBytes: 60 },
      drops: ['a'],
      kept: 60,
    },
    {
      name: 'running output is never dropped, even over the budget',
      runs: [run('done', '2030-01-01T00:00:00.000Z', 5), run('running', null, 50, false), run('idle-not', '2029-01-01T00:00:00.000Z', 7, false)],
      retention: { maxBytes: 0, maxAgeDays: 0 },
      drops: ['done'],
      kept: 57,
    },
    {
      name: 'age first, then bytes',
      runs: [run('old', '2030-01-01T00:00:00.000Z', 100), run('mid', '2030-01-09T00:00:00.000Z', 40), run('new', '2030-01-09T23:00:00.000Z', 40)],
      retention: { maxAgeDays: 2, maxBytes: 50 },
      drops: ['old', 'mid'],
      kept: 40,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planRetention(c.runs, c.retention, now);
      assert.deepEqual(plan.drops.map((d) => d.executionId), c.drops);
      assert.equal(plan.bytesKept, c.kept);
    });
  }
});

describe('maintenance/compact (in-process, scripted agent)', () => {
  let orchd: InProcessOrchd;
  let engine: Engine;
  let repo: string;
  let agentHome: string;
  let liveSub: string;
  const live = () => orchd.client.events(liveSub);

  before(async () => {
    agentHome = tempDir('orchd-agent-home-');
    process.env.FAKE_AGENT_HOME = agentHome;
    // The default ring: compaction must make replays read the rewritten log, not the ring's copies of the old rows.
    orchd = inProcessOrchd();
    await orchd.client.initialize();
    engine = orchd.host.engine!;
    repo = realpathSync(makeRepo());
    liveSub = (await orchd.client.request('events/subscribe', {})).subscriptionId;
  });
  after(async () => {
    await orchd.close();
    rmSync(repo, { recursive: true, force: true });
    rmSync(agentHome, { recursive: true, force: true });
  });

  const project = async (name: string, retention?: { maxAgeDays?: number; maxBytes?: number }) =>
    (await orchd.client.request('project/create', { name, repositories: [{ path: repo, name: 'app' }], settings: { autoCommit: false }, ...(retention ? { retention } : {}) })).project;
  const workspace = async (projectId: string, title: string) => {
    const task = (await orchd.client.request('task/create', { projectId, title })).task;
    return (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
  };
  const idle = (sessionId: string) =>
    waitUntil(
      () => live().some((e) => e.kind === 'session/updated' && e.sessionId === sessionId && (e.data as { session: { status: string } }).session.status === 'idle'),
      `session ${sessionId} to be idle`,
      CHAIN_MS,
    );
  const session = async (projectId: string, prompt: string) => {
    const ws = await workspace(projectId, prompt.slice(0, 20));
    const { session } = await orchd.client.request('session/start', { workspaceId: ws.id, executor: 'scripted-agent', prompt });
    return session;
  };
  const finishedSession = async (projectId: string, prompt: string, timeoutMs = CHAIN_MS) => {
    const started = await session(projectId, prompt);
    await waitUntil(
      () => live().some((e) => e.kind === 'session/updated' && e.sessionId === started.id && (e.data as { session: { status: string } }).session.status === 'idle'),
      `session ${started.id} to finish`,
      timeoutMs,
    );
    return started;
  };
  const executionsOf = async (sessionId: string) => (await orchd.client.request('execution/list', { sessionId })).executions;
  const entriesOf = async (sessionId: string) => {
    const { entries, unknownLines } = await orchd.client.request('session/entries', { sessionId });
    return { entries, unknownLines };
  };
  const outputSeqs = (executionIds: readonly string[]) =>
    (engine.store.sqlite.prepare(`select seq from events where kind = 'execution/output' and execution_id in (${executionIds.map(() => '?').join(',')}) order by seq`).all(...executionIds) as { seq: number }[]).map((r) => r.seq);
  const logCount = () => engine.store.sqlite.prepare('select count(*) as n, max(seq) as max, sum(octet_length(data)) as bytes from events').get() as { n: number; max: number; bytes: number };
  /** Every event from seq 0, read from the log, up to a marker event created now. */
  const replayFromZero = async (): Promise<Event[]> => {
    const { subscriptionId } = await orchd.client.request('events/subscribe', { sinceSeq: 0 });
    const marker = (await orchd.client.request('task/create', { projectId: (await orchd.client.request('project/list', {})).projects[0]!.id, title: 'marker' })).task;
    await orchd.client.waitFor('events/event', (p) => p.subscriptionId === subscriptionId && p.event.kind === 'task/created' && p.event.data.task.id === marker.id);
    await orchd.client.request('events/unsubscribe', { subscriptionId });
    return orchd.client.events(subscriptionId);
  };

  it('by age: drops only the raw output of finished sessions that ended long enough ago; entries, logs and replay explain it', async () => {
    const keepForever = await project('keep forever');
    const aging = await project('aging', { maxAgeDays: 1 });
    const kept = await finishedSession(keepForever.id, 'hello there\n@edit kept.txt kept');
    const older = await finishedSession(aging.id, 'first turn\n@edit older.txt older\n@think hmm');
    const newer = await finishedSession(aging.id, 'second turn\n@edit newer.txt newer');
    const olderExecutions = await executionsOf(older.id);
    const newerExecutions = await executionsOf(newer.id);
    const olderEnd = Math.max(...olderExecutions.map((e) => Date.parse(e.endedAt!)));
    const newerEnd = Math.min(...newerExecutions.map((e) => Date.parse(e.endedAt!)));
    assert.ok(olderEnd < newerEnd, 'the second session ended after the first');
    // One day after the first session ended, but not yet a day after the second.
    const now = new Date(olderEnd + 24 * 60 * 60 * 1000 + Math.floor((newerEnd - olderEnd) / 2));

    const entriesBefore = await Promise.all([kept, older, newer].map((s) => entriesOf(s.id)));
    const droppedSeqs = outputSeqs(olderExecutions.map((e) => e.id));
    const olderWithOutput = olderExecutions.filter((e) => outputSeqs([e.id]).length > 0);
    assert.ok(droppedSeqs.length > 0, 'the older session has raw output');
    const logBefore = logCount();

    const dry = await compactEventLog(engine, { dryRun: true, now });
    assert.equal(dry.dryRun, true);
    assert.equal(dry.tombstones, 0);
    assert.equal(dry.vacuum, 'none');
    assert.equal(dry.eventsDropped, droppedSeqs.length);
    assert.deepEqual(dry.projects.map((p) => p.projectId), [aging.id], 'only projects with a retention are visited');
    assert.deepEqual(logCount(), logBefore, 'a dry run changes nothing');
    assert.equal(dry.bytesAfter, dry.bytesBefore);

    const done = await compactEventLog(engine, { dryRun: false, now });
    assert.equal(done.eventsDropped, droppedSeqs.length);
    assert.equal(done.tombstones, olderWithOutput.length, 'one tombstone per execution with output');
    assert.equal(done.projects[0]!.executions, done.tombstones);
    assert.equal(logCount().n, logBefore.n - droppedSeqs.length + done.tombstones);
    assert.equal(outputSeqs(olderExecutions.map((e) => e.id)).length, 0, "the older session's raw output is gone");
    assert.ok(outputSeqs(newerExecutions.map((e) => e.id)).length > 0, "the newer session's raw output is kept");
    assert.ok(outputSeqs((await executionsOf(kept.id)).map((e) => e.id)).length > 0, 'a project without retention keeps everything');

    // The entries are the same, in the same order, for every session.
    assert.deepEqual(await Promise.all([kept, older, newer].map((s) => entriesOf(s.id))), entriesBefore);

    // execution/logs says what was dropped instead of returning nothing.
    const agent = olderExecutions.find((e) => e.runReason === 'codingAgent')!;
    const logs = await orchd.client.request('execution/logs', { executionId: agent.id });
    assert.deepEqual(logs.chunks, []);
    assert.equal(logs.done, true);
    assert.equal(logs.compacted?.reason, 'maxAgeDays');
    assert.equal(logs.compacted?.droppedKind, 'execution/output');
    const newerAgent = newerExecutions.find((e) => e.runReason === 'codingAgent')!;
    const newerLogs = await orchd.client.request('execution/logs', { executionId: newerAgent.id });
    assert.ok(newerLogs.chunks.length > 0);
    assert.equal(newerLogs.compacted, undefined);

    // A replay from seq 0 shows a tombstone at the first dropped seq of each execution, and every seq it no longer
    // sees lies inside a tombstone of an execution it names.
    const replay = await replayFromZero();
    const tombstones = replay.filter((e) => e.kind === 'events/compacted');
    assert.equal(tombstones.length, done.tombstones);
    for (const tombstone of tombstones) {
      const data = tombstone.data as OutputCompaction;
      assert.equal(tombstone.seq, data.fromSeq, 'the tombstone stands where the first dropped event stood');
      assert.equal(tombstone.executionId, data.executionId);
      assert.equal(tombstone.sessionId, older.id);
      assert.ok(olderExecutions.some((e) => e.id === data.executionId));
      assert.equal(data.reason, 'maxAgeDays');
    }
    const seen = new Set(replay.map((e) => e.seq));
    const missing: number[] = [];
    for (let seq = 1; seq <= logBefore.max; seq++) if (!seen.has(seq)) missing.push(seq);
    assert.deepEqual(missing, droppedSeqs.filter((seq) => !tombstones.some((t) => t.seq === seq)), 'exactly the dropped seqs are missing');
    for (const seq of missing) assert.ok(tombstones.some((t) => (t.data as OutputCompaction).fromSeq < seq && seq <= (t.data as OutputCompaction).toSeq), `seq ${seq} is explained by a tombstone`);
    assert.equal(replay.filter((e) => e.kind === 'execution/output' && olderExecutions.some((x) => x.id === e.executionId)).length, 0);

    // Compacting again finds nothing more to drop.
    const again = await compactEventLog(engine, { dryRun: false, now });
    assert.equal(again.eventsDropped, 0);
  });

  it('by bytes (maintenance/compact): oldest first until the rest fits; a running session is never touched; the file shrinks', async () => {
    const budget = await project('budget');
    const flood = await finishedSession(budget.id, '@flood 2', FLOOD_MS);
    const small = await finishedSession(budget.id, 'small one\n@edit small.txt small');
    const running = await session(budget.id, 'still running\n@sleep 600000');
    const runningAgent = async () => (await executionsOf(running.id)).find((e) => e.runReason === 'codingAgent');
    await waitUntil(() => live().some((e) => e.kind === 'execution/output' && e.sessionId === running.id), 'output from the running session');
    const runningExecutionIds = (await executionsOf(running.id)).map((e) => e.id);
    const runningOutputBefore = outputSeqs(runningExecutionIds);
    const entriesBefore = await Promise.all([flood, small].map((s) => entriesOf(s.id)));
    const floodExecutionIds = (await executionsOf(flood.id)).map((e) => e.id);
    const smallExecutionIds = (await executionsOf(small.id)).map((e) => e.id);
    const smallWithOutput = smallExecutionIds.filter((id) => outputSeqs([id]).length > 0);

    await orchd.client.request('project/update', { projectId: budget.id, retention: { maxBytes: 512 * 1024 } });
    const dry = (await orchd.client.request('maintenance/compact', { projectId: budget.id, dryRun: true })).compaction;
    assert.equal(dry.executions, 1, 'only the flood would go');
    const file = join(orchd.dataDir, 'orchd.sqlite');
    const first = (await orchd.client.request('maintenance/compact', { projectId: budget.id })).compaction;
    assert.equal(first.dryRun, false);
    assert.equal(first.executions, 1);
    assert.equal(first.eventsDropped, dry.eventsDropped);
    assert.equal(first.bytesDropped, dry.bytesDropped);
    assert.ok(first.bytesDropped > 2 * 1024 * 1024, `the flood's 2 MB were dropped (${first.bytesDropped})`);
    assert.equal(first.vacuum, 'incremental');
    // Every page the flood's rows held goes, except at most one per dropped row: the leaf page its head shared with rows
    // that stay. (A flat 2 MB failed once in CI: 2 MB of text freed exactly 512 pages, since what a row shares depends on
    // how the output was cut into chunks, which depends on timing.)
    const pageSize = engine.store.sqlite.pragma('page_size', { simple: true }) as number;
    const shared = first.eventsDropped * pageSize;
    assert.ok(first.bytesAfter <= first.bytesBefore - (2 * 1024 * 1024 - shared), `the database shrank by the flood (${first.bytesBefore} -> ${first.bytesAfter}, ${first.eventsDropped} rows dropped)`);
    assert.equal(statSync(file).size, first.bytesAfter, 'the main file holds exactly the pages left');
    assert.ok(first.projects[0]!.outputBytesKept <= 512 * 1024);
    assert.equal(outputSeqs(floodExecutionIds).length, 0);
    assert.ok(outputSeqs(smallExecutionIds).length > 0, 'the newer output fits the budget and stays');

    // Over a zero budget, everything finished goes, but not a byte of the running session.
    await orchd.client.request('project/update', { projectId: budget.id, retention: { maxBytes: 0 } });
    const second = (await orchd.client.request('maintenance/compact', {})).compaction;
    assert.equal(second.projects.find((p) => p.projectId === budget.id)!.executions, smallWithOutput.length);
    assert.equal(outputSeqs(smallExecutionIds).length, 0);
    assert.deepEqual(outputSeqs(runningExecutionIds).slice(0, runningOutputBefore.length), runningOutputBefore, 'the running session keeps its output');
    assert.ok(second.projects.find((p) => p.projectId === budget.id)!.outputBytesKept > 0, 'the running output stays above the budget');
    assert.deepEqual(await Promise.all([flood, small].map((s) => entriesOf(s.id))), entriesBefore);
    assert.equal((await orchd.client.request('execution/logs', { executionId: (await runningAgent())!.id })).compacted, undefined);

    // Once stopped and idle, it goes too.
    await orchd.client.request('session/stop', { sessionId: running.id });
    await idle(running.id);
    const third = (await orchd.client.request('maintenance/compact', { projectId: budget.id })).compaction;
    assert.ok(third.executions >= 1);
    assert.equal(outputSeqs(runningExecutionIds).length, 0);
  });

  it('refuses bad params and bad retention, naming the field', async () => {
    const wrongType = await orchd.client.failure('maintenance/compact', { projectId: 42 });
    assert.equal(wrongType.code, -32602);
    assert.match(wrongType.message, /`projectId`/);
    const dryRun = await orchd.client.failure('maintenance/compact', { dryRun: 'yes' });
    assert.match(dryRun.message, /`dryRun`/);
    const extra = await orchd.client.failure('maintenance/compact', { everything: true });
    assert.match(extra.message, /Expected no key `everything`/);
    const missing = await orchd.client.failure('maintenance/compact', { projectId: 'prj_missing' });
    assert.equal(missing.data.kind, 'notFound');
    assert.equal(missing.message, 'Expected `projectId` to name an existing project, got `prj_missing`');

    const p = await project('bad retention');
    const negative = await orchd.client.failure('project/update', { projectId: p.id, retention: { maxAgeDays: -1 } });
    assert.match(negative.message, /`retention\.maxAgeDays`/);
    const fraction = await orchd.client.failure('project/update', { projectId: p.id, retention: { maxBytes: 1.5 } });
    assert.match(fraction.message, /`retention\.maxBytes`/);
    const unknown = await orchd.client.failure('project/create', { name: 'x', repositories: [{ path: repo }], retention: { keepDays: 3 } });
    assert.match(unknown.message, /Expected no key `retention\.keepDays`/);
    // Stored and returned; `{}` goes back to keeping everything.
    assert.deepEqual((await orchd.client.request('project/update', { projectId: p.id, retention: { maxAgeDays: 0.5 } })).project.retention, { maxAgeDays: 0.5 });
    assert.deepEqual((await orchd.client.request('project/get', { projectId: p.id })).project.retention, { maxAgeDays: 0.5 });
    assert.deepEqual((await orchd.client.request('project/update', { projectId: p.id, retention: {} })).project.retention, {});
  });

  it('reports the database size by project', () => {
    const usage = databaseUsage(engine.store.sqlite);
    assert.equal(usage.autoVacuum, 'incremental');
    const total = (engine.store.sqlite.prepare('select sum(octet_length(data)) as bytes from events').get() as { bytes: number }).bytes;
    assert.equal(usage.projects.reduce((sum, p) => sum + p.bytes, 0), total);
    const aging = usage.projects.find((p) => p.name === 'aging')!;
    assert.ok(aging.compactedExecutions > 0);
    assert.ok(aging.outputBytes > 0, 'the newer session kept its output');
  });
});

describe('migration 0006: incremental auto-vacuum', () => {
  const dataDir = tempDir();
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('switches an existing database to incremental auto-vacuum; compaction does it itself when that could not be done', async () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(join(dataDir, 'orchd.sqlite')) }) });
    const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS }, migrationTableName: 'orchd_migrations', migrationLockTableName: 'orchd_migrations_lock' });
    assert.equal((await migrator.migrateTo('0005_mask_profile_env_in_events')).error, undefined);
    const text = 'x'.repeat(4000);
    for (let i = 0; i < 200; i++) await db.insertInto('events').values({ kind: 'execution/output', at: new Date().toISOString(), data: JSON.stringify({ text }) }).execute();
    await db.deleteFrom('events').execute();
    await db.destroy();

    let engine = await openEngine({ dataDir, logger: silentLogger });
    try {
      assert.equal(engine.store.sqlite.pragma('auto_vacuum', { simple: true }), 2, 'incremental');
      assert.equal(engine.store.sqlite.pragma('freelist_count', { simple: true }), 0, 'the VACUUM freed the pages the deleted rows held');
      // A database the migration could not switch (another process held it): compaction switches it with one VACUUM.
      engine.store.sqlite.pragma('auto_vacuum = none');
      engine.store.sqlite.exec('vacuum');
      assert.equal(engine.store.sqlite.pragma('auto_vacuum', { simple: true }), 0);
    } finally {
      await engine.close();
    }
    engine = await openEngine({ dataDir, logger: silentLogger });
    try {
      const result = await compactEventLog(engine, { dryRun: false });
      assert.equal(result.vacuum, 'full');
      assert.equal(engine.store.sqlite.pragma('auto_vacuum', { simple: true }), 2);
      assert.equal((await compactEventLog(engine, { dryRun: false })).vacuum, 'incremental');
    } finally {
      await engine.close();
    }
  });
});
