// Issue 11, no loss under load: while 8 scripted agents flood output, every subscriber (1, then 16 over several
// connections, each time beside one subscriber whose host stops reading) receives exactly the events of the log that
// pass its filter, from its start point to the end: in order, none missing, none twice. The hub's ring is made tiny
// so that subscribers fall behind it and read from the database, and the stalled one is paused at its byte bound and
// resumes from the log. The expected sequences are read from the SQLite file itself, not through the delivery path.
import assert from 'node:assert/strict';
import { realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { EventFilter } from '../../protocol/events.js';
import { tempDir } from '../support/client.js';
import { CHAIN_MS, EVENT_MS } from '../support/bounds.js';
import { inProcessOrchd } from '../support/inproc.js';
import { attachExtraClient, type ExtraClient } from '../support/multi-client.js';
import { makeRepo } from '../support/repo.js';
import { waitUntil } from '../support/wait.js';

const AGENTS = 8;
/** Small entries per agent in each half of its flood (one `session/entryUpserted` each)... */
const CHATTER = 150;
/** ...then this many MB of 8 KiB lines. */
const FLOOD_MB = 0.5;
/** Each agent floods, waits for the test to write `release`, and floods again: the subscriptions that join "mid-flood"
 * join between the two halves, so part of what they must receive is written after they joined, whatever the speed. */
const floodPrompt = (release: string) =>
  [`@chatter ${CHATTER}`, `@flood ${FLOOD_MB}`, `@bash while [ ! -e ${release} ]; do sleep 0.05; done`, `@chatter ${CHATTER}`, `@flood ${FLOOD_MB}`].join('\n');
/** Far below the hub's defaults (4096 events, 16 MB), so delivery leaves the ring for database pages. */
const TINY_RING = { ringCapacity: 64, ringBytes: 64 * 1024 };

interface Scope {
  projectId: string;
  workspaceIds: string[];
  /** Known only once the sessions have started: subscribers that use them join mid-flood. */
  sessionIds: string[];
}

interface SubscriberSpec {
  name: string;
  filter: (scope: Scope) => EventFilter;
  /** `live`: sinceSeq omitted; `zero`: sinceSeq 0, the whole log first. */
  from: 'live' | 'zero';
  /** Subscribe before the agents start, or while they flood. */
  when: 'before' | 'during';
}

interface Subscriber {
  spec: SubscriberSpec;
  client: ExtraClient;
  subscriptionId: string;
  filter: EventFilter;
  /** Events with a greater seq are this subscriber's to receive. */
  afterSeq: number;
}

interface LogRow {
  seq: number;
  kind: string;
  project_id: string | null;
  task_id: string | null;
  workspace_id: string | null;
  session_id: string | null;
  execution_id: string | null;
}

const SCOPE_COLUMNS = { projectId: 'project_id', taskId: 'task_id', workspaceId: 'workspace_id', sessionId: 'session_id', executionId: 'execution_id' } as const;

/** The documented meaning of a filter, applied to a row of the events table: scopes equal, kind listed or under `prefix/*`. */
function rowPasses(row: LogRow, filter: EventFilter): boolean {
  for (const [key, column] of Object.entries(SCOPE_COLUMNS)) {
    const wanted = filter[key as keyof typeof SCOPE_COLUMNS];
    if (wanted !== undefined && row[column] !== wanted) return false;
  }
  if (!filter.kinds) return true;
  return filter.kinds.some((pattern) => (pattern.endsWith('/*') ? row.kind.startsWith(pattern.slice(0, -1)) : row.kind === pattern));
}

/** Every row of the event log, read from the database file (WAL: committed rows are visible to this reader). */
function readLog(dataDir: string): LogRow[] {
  const db = new Database(join(dataDir, 'orchd.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select seq, kind, project_id, task_id, workspace_id, session_id, execution_id from events order by seq').all() as LogRow[];
  } finally {
    db.close();
  }
}

/** Fail naming the first difference between what a subscriber received and what it should have, briefly. */
function assertExactly(name: string, received: readonly number[], expected: readonly number[]): void {
  for (let i = 1; i < received.length; i++) {
    if (received[i]! <= received[i - 1]!) assert.fail(`${name}: seq ${received[i]} arrived after seq ${received[i - 1]} (position ${i} of ${received.length}): out of order or twice`);
  }
  const got = new Set(received);
  const wanted = new Set(expected);
  const missing = expected.filter((seq) => !got.has(seq));
  const extra = received.filter((seq) => !wanted.has(seq));
  assert.deepEqual(
    { missing: missing.slice(0, 10), missingCount: missing.length, extra: extra.slice(0, 10), extraCount: extra.length },
    { missing: [], missingCount: 0, extra: [], extraCount: 0 },
    `${name}: received ${received.length} events, the log holds ${expected.length} for it`,
  );
  assert.deepEqual(received, expected, `${name}: every seq of the log that passes its filter, exactly once, in order`);
}

/**
 * One in-process orchd; `specs` spread round-robin over `connections` client connections, plus one more connection
 * whose single unfiltered subscriber stops reading before the agents start and reads again once they all finished.
 */
async function floodAndCheck(specs: SubscriberSpec[], connections: number): Promise<void> {
  const agentHome = tempDir('orchd-agent-home-');
  const previousHome = process.env.FAKE_AGENT_HOME;
  process.env.FAKE_AGENT_HOME = agentHome;
  const orchd = inProcessOrchd({ events: TINY_RING });
  const repo = realpathSync(makeRepo());
  const clients: ExtraClient[] = [];
  const others: ExtraClient[] = [];
  try {
    await orchd.client.initialize();
    const { project } = await orchd.client.request('project/create', { name: 'flood', repositories: [{ path: repo }], settings: { autoCommit: false } });
    const scope: Scope = { projectId: project.id, workspaceIds: [], sessionIds: [] };
    for (let i = 0; i < AGENTS; i++) {
      const { task } = await orchd.client.request('task/create', { projectId: project.id, title: `flood ${i}` });
      scope.workspaceIds.push((await orchd.client.request('workspace/create', { taskId: task.id })).workspace.id);
    }

    for (let i = 0; i < connections; i++) clients.push(attachExtraClient(orchd.host, `subscribers-${i}`));
    const stalledClient = attachExtraClient(orchd.host, 'stalled');
    const watcher = attachExtraClient(orchd.host, 'watcher');
    others.push(stalledClient, watcher);
    await Promise.all([...clients, stalledClient, watcher].map((client) => client.initialize()));

    // The watcher sees when each agent waits between its halves (its `@bash` tool call, written after the first half)
    // and when each session has finished (a session's last event: idle).
    let entriesSeen = 0;
    const waiting = new Set<string>();
    const idle = new Set<string>();
    watcher.onEvent((_id, event) => {
      if (event.kind === 'session/entryUpserted') {
        entriesSeen++;
        if ((event.data as { entry: { type: string } }).entry.type === 'toolCall') waiting.add(event.sessionId!);
      }
      if (event.kind === 'session/updated' && (event.data as { session: { status: string } }).session.status === 'idle') idle.add(event.sessionId!);
    });
    await watcher.subscribe({ filter: { kinds: ['session/entryUpserted', 'session/updated'] } });

    const subscribers: Subscriber[] = [];
    const subscribe = async (spec: SubscriberSpec, client: ExtraClient): Promise<void> => {
      const filter = spec.filter(scope);
      const reply = await client.subscribe(spec.from === 'zero' ? { filter, sinceSeq: 0 } : { filter });
      subscribers.push({ spec, client, subscriptionId: reply.subscriptionId, filter, afterSeq: spec.from === 'zero' ? 0 : reply.currentSeq });
    };
    for (const [i, spec] of specs.entries()) if (spec.when === 'before') await subscribe(spec, clients[i % connections]!);

    const stalledSpec: SubscriberSpec = { name: 'stalled (no filter, live)', filter: () => ({}), from: 'live', when: 'before' };
    await subscribe(stalledSpec, stalledClient);
    stalledClient.stall();

    const release = join(agentHome, 'release');
    const prompt = floodPrompt(release);
    const started = await Promise.all(
      scope.workspaceIds.map((workspaceId) => orchd.client.request('session/start', { workspaceId, executor: 'scripted-agent', permissionMode: 'bypassPermissions', prompt })),
    );
    scope.sessionIds.push(...started.map((r) => r.session.id));

    // Between the halves: every agent has written its first half and waits; the late subscribers join now.
    await waitUntil(() => waiting.size === AGENTS, `every agent to write the first half of its flood and wait`, CHAIN_MS);
    await Promise.all(specs.map((spec, i) => (spec.when === 'during' ? subscribe(spec, clients[i % connections]!) : undefined)));
    const beforeSecondHalf = entriesSeen;
    writeFileSync(release, '');
    await waitUntil(() => entriesSeen > beforeSecondHalf, 'the second half of the flood to begin', EVENT_MS);
    // A host request is answered while the agents flood (no timing asserted: only that it is answered).
    const listed = await orchd.client.request('project/list', {});
    assert.ok(listed.projects.some((p) => p.id === project.id), 'project/list answers during the flood');

    await waitUntil(() => idle.size === AGENTS, `all ${AGENTS} sessions to finish`, CHAIN_MS);
    assert.deepEqual([...idle].sort(), [...scope.sessionIds].sort());

    // Nothing writes any more: the log is final. The stalled host has not read a byte since it stopped.
    const log = readLog(orchd.dataDir);
    const unreadWhileStalled = stalledClient.unreadBytes();
    const readBeforeStall = stalledClient.readBytes();
    stalledClient.resume();

    for (const subscriber of subscribers) {
      const { name } = subscriber.spec;
      const expected = log.filter((row) => row.seq > subscriber.afterSeq && rowPasses(row, subscriber.filter)).map((row) => row.seq);
      assert.ok(expected.length > 0, `${name}: its filter selects some of the flood`);
      const last = expected.at(-1)!;
      const received = () => subscriber.client.seqs(subscriber.subscriptionId);
      await waitUntil(() => (received().at(-1) ?? 0) >= last, `${name} to receive up to seq ${last} (at ${received().at(-1)}, ${received().length} of ${expected.length} events)`, EVENT_MS);
      assertExactly(name, received(), expected);
    }

    // The stalled host was paused at a bound, not sent the whole log: what piled up unread is less than what it read.
    const readAfterStall = stalledClient.readBytes() - readBeforeStall;
    assert.ok(
      unreadWhileStalled < readAfterStall,
      `the stalled subscriber's unread bytes stay bounded: ${unreadWhileStalled} unread at the end of the flood, ${readAfterStall} read after it`,
    );
  } finally {
    for (const client of [...clients, ...others]) client.dispose();
    await orchd.close();
    if (previousHome === undefined) delete process.env.FAKE_AGENT_HOME;
    else process.env.FAKE_AGENT_HOME = previousHome;
    rmSync(repo, { recursive: true, force: true });
    rmSync(agentHome, { recursive: true, force: true });
  }
}

describe('event delivery under load: exact, gap-free, duplicate-free (issue 11)', () => {
  it('delivers every event exactly once, in order, to 1 subscriber while 8 agents flood, beside a stalled one', async () => {
    await floodAndCheck([{ name: 'the subscriber (no filter, live)', filter: () => ({}), from: 'live', when: 'before' }], 1);
  });

  it('delivers every event exactly once, in order, to 16 subscribers on 4 connections while 8 agents flood, beside a stalled one', async () => {
    const specs: SubscriberSpec[] = [
      { name: 'all, whole log', filter: () => ({}), from: 'zero', when: 'before' },
      { name: 'all, live', filter: () => ({}), from: 'live', when: 'before' },
      { name: 'workspace 0', filter: (s) => ({ workspaceId: s.workspaceIds[0]! }), from: 'live', when: 'before' },
      { name: 'workspace 3, whole log', filter: (s) => ({ workspaceId: s.workspaceIds[3]! }), from: 'zero', when: 'before' },
      { name: 'execution/*', filter: () => ({ kinds: ['execution/*'] }), from: 'live', when: 'before' },
      { name: 'session/entryUpserted', filter: () => ({ kinds: ['session/entryUpserted'] }), from: 'live', when: 'before' },
      { name: 'session/* and workspace/*, whole log', filter: () => ({ kinds: ['session/*', 'workspace/*'] }), from: 'zero', when: 'before' },
      { name: 'execution/output of workspace 5', filter: (s) => ({ workspaceId: s.workspaceIds[5]!, kinds: ['execution/output'] }), from: 'live', when: 'before' },
      { name: 'the project', filter: (s) => ({ projectId: s.projectId }), from: 'live', when: 'before' },
      { name: 'exits and session updates (sparse)', filter: () => ({ kinds: ['execution/exited', 'session/updated'] }), from: 'live', when: 'before' },
      { name: 'all, whole log, joined mid-flood', filter: () => ({}), from: 'zero', when: 'during' },
      { name: 'all, live, joined mid-flood', filter: () => ({}), from: 'live', when: 'during' },
      { name: 'session 1, whole log, joined mid-flood', filter: (s) => ({ sessionId: s.sessionIds[1]! }), from: 'zero', when: 'during' },
      { name: 'entries of workspace 2, live, joined mid-flood', filter: (s) => ({ workspaceId: s.workspaceIds[2]!, kinds: ['session/entryUpserted'] }), from: 'live', when: 'during' },
      { name: 'execution/output, whole log, joined mid-flood', filter: () => ({ kinds: ['execution/output'] }), from: 'zero', when: 'during' },
      { name: 'session 6 exits, joined mid-flood', filter: (s) => ({ sessionId: s.sessionIds[6]!, kinds: ['execution/exited'] }), from: 'live', when: 'during' },
    ];
    assert.equal(specs.length, 16);
    await floodAndCheck(specs, 4);
  });
});
