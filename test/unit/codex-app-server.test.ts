// Codex app-server: the driver (what it writes for a turn, a follow-up, each approval answer, an interrupt at every
// stage, and the error replies) fed by a fake stdin and hand-written server lines; the normalizer on synthetic lines
// and on captures recorded from the real CLI (fixtures/captures/codex).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ApprovalAnswer } from '../../protocol/approvals.js';
import { codexApprovalPolicy, createCodexAppServerDriver } from '../../src/executors/codex-app-server.js';
import { codexArguments, codexExecutor } from '../../src/executors/codex.js';
import type { AgentTurnRequest, ApprovalAsk } from '../../src/executors/types.js';
import { createCodexNormalizer } from '../../src/normalizers/codex-app-server.js';
import type { EntryDraft, RawStream } from '../../src/normalizers/types.js';
import { ROOT } from '../support/client.js';
import { captureLines } from '../support/captures.js';

type Json = Record<string, any>;

const THREAD = '01a23aa9-8b3a-7b30-a9e7-d6a6ea1b1931';
const TURN = '01a23aa9-8b51-7811-a761-28e1c769df0e';

function turnRequest(overrides: Partial<AgentTurnRequest> & { permissionMode?: string | null; model?: string | null } = {}): AgentTurnRequest {
  const { permissionMode = null, model = null, ...rest } = overrides;
  return { cwd: '/w/repo', prompt: 'do it', resumeAgentSessionId: null, env: {}, profile: { model, permissionMode, extraArgs: [], env: {} }, ...rest };
}

/** A driver with a fake stdin: every line written (parsed), whether stdin was closed, the questions asked. */
function harness(options: { request?: AgentTurnRequest; answer?: (ask: ApprovalAsk, signal?: AbortSignal) => Promise<ApprovalAnswer>; start?: boolean } = {}) {
  const written: Json[] = [];
  const asks: ApprovalAsk[] = [];
  const warnings: string[] = [];
  let closed = false;
  const driver = createCodexAppServerDriver({
    request: options.request ?? turnRequest(),
    clientVersion: '9.9.9',
    hooks: {
      requestApproval: (ask, signal) => (asks.push(ask), (options.answer ?? (async () => ({ decision: 'allowOnce' })))(ask, signal)),
      warn: (message) => void warnings.push(message),
    },
  });
  const input = {
    writeLine: (line: string) => void (closed || written.push(JSON.parse(line) as Json)),
    close: () => void (closed = true),
  };
  if (options.start !== false) driver.start(input);
  const feed = (message: Json) => driver.onStdoutLine(JSON.stringify(message));
  return { driver, input, written, asks, warnings, feed, closed: () => closed, methods: () => written.map((m) => m.method ?? (m.error ? `error:${m.id}` : `answer:${m.id}:${m.result?.decision}`)) };
}

/** Feed the replies that take a fresh driver to an active turn. */
function toActiveTurn(h: ReturnType<typeof harness>): void {
  h.feed({ id: 1, result: { userAgent: 'orchd/0.169.0 (Linux)', codexHome: '/h/.codex' } });
  h.feed({ id: 2, result: { thread: { id: THREAD }, model: 'gpt-5.5', cwd: '/w/repo' } });
  h.feed({ id: 3, result: { turn: { id: TURN, status: 'inProgress', items: [] } } });
}

const commandApproval = (id: number, itemId = 'call_1') => ({
  method: 'item/commandExecution/requestApproval',
  id,
  params: { kind: 'command', threadId: THREAD, turnId: TURN, itemId, command: "/bin/bash -lc 'echo hi > hello.txt'", cwd: '/w/repo' },
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Codex executor', () => {
  it('runs `codex app-server` without plugins, with the profile’s extra arguments', () => {
    assert.deepEqual(codexArguments({ ...turnRequest(), profile: { model: null, permissionMode: null, extraArgs: ['-c', 'x=1'], env: {} } }), ['app-server', '--disable', 'plugins', '-c', 'x=1']);
    const launch = codexExecutor.prepare(turnRequest({ env: { PATH: '/nowhere', ORCHD_CODEX_PATH: '/opt/codex/bin/codex' } }), { requestApproval: async () => ({ decision: 'deny' }), warn: () => {} });
    assert.deepEqual(launch.argv, ['/opt/codex/bin/codex', 'app-server', '--disable', 'plugins']);
    assert.equal(codexExecutor.id, 'codex');
    assert.deepEqual(codexExecutor.capabilities, { resume: true, fork: false, reset: false, approvals: true, images: false, models: true, mcp: false, gracefulStop: true });
  });

  it('detects nothing on an empty PATH and says how to install', async () => {
    const found = await codexExecutor.detect({ PATH: '/nonexistent' });
    assert.equal(found.available, false);
    assert.match(found.hint ?? '', /npm install -g @openai\/codex/);
  });

  it('picks the approval policy from the permission mode', () => {
    const warned: string[] = [];
    const warn = (message: string) => void warned.push(message);
    const table: [string | null, string][] = [
      [null, 'untrusted'],
      ['untrusted', 'untrusted'],
      ['on-request', 'on-request'],
      ['never', 'never'],
      ['on-failure', 'on-request'],
      ['acceptEdits', 'untrusted'],
    ];
    for (const [mode, policy] of table) assert.equal(codexApprovalPolicy(mode, warn), policy, String(mode));
    assert.equal(warned.length, 2, 'on-failure and an unknown mode are warned about');
  });
});

describe('Codex app-server driver', () => {
  it('initializes, starts a thread, starts the turn, and closes stdin when the turn completes', () => {
    const h = harness({ request: turnRequest({ model: 'gpt-5.5' }) });
    assert.deepEqual(h.written, [{ id: 1, method: 'initialize', params: { clientInfo: { name: 'orchd', title: 'orchd', version: '9.9.9' }, capabilities: null } }]);
    h.feed({ id: 1, result: { userAgent: 'orchd/0.169.0' } });
    assert.deepEqual(h.written.slice(1), [{ method: 'initialized' }, { id: 2, method: 'thread/start', params: { cwd: '/w/repo', approvalPolicy: 'untrusted', sandbox: 'workspace-write', model: 'gpt-5.5' } }]);
    h.feed({ method: 'thread/started', params: { thread: { id: THREAD } } });
    h.feed({ id: 2, result: { thread: { id: THREAD } } });
    assert.deepEqual(h.written.at(-1), { id: 3, method: 'turn/start', params: { threadId: THREAD, input: [{ type: 'text', text: 'do it' }] } });
    h.feed({ id: 3, result: { turn: { id: TURN } } });
    h.feed({ method: 'item/agentMessage/delta', params: { threadId: THREAD, turnId: TURN, itemId: 'm', delta: 'hi' } });
    assert.equal(h.closed(), false);
    h.feed({ method: 'turn/completed', params: { threadId: THREAD, turn: { id: TURN, status: 'completed' } } });
    assert.equal(h.closed(), true);
    assert.equal(h.written.length, 4, 'nothing else was written');
    assert.equal(h.driver.interrupt(), false, 'nothing to interrupt once the turn is over');
  });

  it('resumes the agent session for a follow-up', () => {
    const h = harness({ request: turnRequest({ resumeAgentSessionId: THREAD, permissionMode: 'never' }) });
    h.feed({ id: 1, result: {} });
    assert.deepEqual(h.written.at(-1), { id: 2, method: 'thread/resume', params: { threadId: THREAD, cwd: '/w/repo', approvalPolicy: 'never', sandbox: 'workspace-write', excludeTurns: true } });
    h.feed({ id: 2, result: { thread: { id: THREAD } } });
    assert.equal(h.written.at(-1)!.method, 'turn/start');
    assert.equal(h.written.at(-1)!.params.threadId, THREAD);
  });

  it('maps orchd decisions to accept, acceptForSession and decline, and a rejection to cancel', async () => {
    const answers: (ApprovalAnswer | Error)[] = [{ decision: 'allowOnce' }, { decision: 'allowSession' }, { decision: 'deny', reason: 'no' }, new Error('stopping')];
    const h = harness({ answer: async () => {
      const next = answers.shift()!;
      if (next instanceof Error) throw next;
      return next;
    } });
    toActiveTurn(h);
    for (const id of [0, 1, 2, 3]) h.feed(commandApproval(id, `call_${id}`));
    await tick();
    assert.deepEqual(
      h.written.filter((m) => m.method === undefined).map((m) => [m.id, m.result.decision]),
      [
        [0, 'accept'],
        [1, 'acceptForSession'],
        [2, 'decline'],
        [3, 'cancel'],
      ],
    );
    assert.deepEqual(h.asks[0], {
      tool: 'exec_command',
      toolCallId: 'call_0',
      input: commandApproval(0, 'call_0').params,
      title: "/bin/bash -lc 'echo hi > hello.txt'",
      options: ['allowOnce', 'allowSession', 'deny'],
    });
  });

  it('asks about a file change with the paths from its item', async () => {
    const h = harness();
    toActiveTurn(h);
    const changes = [{ path: '/w/repo/hello.txt', kind: { type: 'add' }, diff: 'hi\n' }];
    h.feed({ method: 'item/started', params: { item: { type: 'fileChange', id: 'call_9', changes, status: 'inProgress' }, threadId: THREAD, turnId: TURN } });
    h.feed({ method: 'item/fileChange/requestApproval', id: 0, params: { threadId: THREAD, turnId: TURN, itemId: 'call_9', reason: null, grantRoot: null } });
    await tick();
    assert.equal(h.asks[0]!.tool, 'fileChange');
    assert.equal(h.asks[0]!.toolCallId, 'call_9');
    assert.equal(h.asks[0]!.title, 'Edit /w/repo/hello.txt');
    assert.deepEqual((h.asks[0]!.input as Json).changes, changes);
    assert.deepEqual(h.written.at(-1), { id: 0, result: { decision: 'accept' } });
  });

  it('on interrupt sends turn/interrupt and withdraws the open question without answering it', async () => {
    let aborted = false;
    const h = harness({
      answer: (_ask, signal) =>
        new Promise((_, reject) =>
          signal?.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('withdrawn'));
          }),
        ),
    });
    toActiveTurn(h);
    h.feed(commandApproval(0));
    assert.equal(h.driver.interrupt(), true);
    await tick();
    assert.equal(aborted, true);
    assert.deepEqual(h.written.at(-1), { id: 4, method: 'turn/interrupt', params: { threadId: THREAD, turnId: TURN } });
    h.feed({ id: 4, result: {} });
    h.feed({ method: 'turn/completed', params: { threadId: THREAD, turn: { id: TURN, status: 'interrupted' } } });
    h.feed({ method: 'serverRequest/resolved', params: { threadId: THREAD, requestId: 0 } });
    assert.equal(h.closed(), true);
    assert.deepEqual(h.methods(), ['initialize', 'initialized', 'thread/start', 'turn/start', 'turn/interrupt']);
  });

  it('does not answer an approval that resolves after the interrupt', async () => {
    let resolve: (answer: ApprovalAnswer) => void = () => {};
    const h = harness({ answer: () => new Promise((r) => (resolve = r)) });
    toActiveTurn(h);
    h.feed(commandApproval(0));
    h.driver.interrupt();
    resolve({ decision: 'allowOnce' });
    await tick();
    assert.deepEqual(h.methods(), ['initialize', 'initialized', 'thread/start', 'turn/start', 'turn/interrupt']);
  });

  it('stops asking when the server resolves the request itself', async () => {
    let aborted = false;
    const h = harness({ answer: (_ask, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => ((aborted = true), reject(new Error('withdrawn'))))) });
    toActiveTurn(h);
    h.feed(commandApproval(7));
    h.feed({ method: 'serverRequest/resolved', params: { threadId: THREAD, requestId: 7 } });
    await tick();
    assert.equal(aborted, true);
    assert.equal(h.written.length, 4, 'no answer, no cancel');
  });

  it('sends the interrupt once turn/start names the turn', () => {
    const h = harness();
    h.feed({ id: 1, result: {} });
    h.feed({ id: 2, result: { thread: { id: THREAD } } });
    assert.equal(h.driver.interrupt(), true);
    assert.equal(h.written.at(-1)!.method, 'turn/start', 'nothing to interrupt yet');
    // Notifications may come before the reply: turn/started is enough.
    h.feed({ method: 'turn/started', params: { threadId: THREAD, turn: { id: TURN } } });
    assert.deepEqual(h.written.at(-1), { id: 4, method: 'turn/interrupt', params: { threadId: THREAD, turnId: TURN } });
    h.feed({ id: 3, result: { turn: { id: TURN } } });
    assert.equal(h.written.filter((m) => m.method === 'turn/interrupt').length, 1, 'sent once');
    // The turn had already ended: the error reply closes stdin.
    h.feed({ id: 4, error: { code: -32600, message: 'no active turn' } });
    assert.equal(h.closed(), true);
  });

  it('closes stdin when interrupted before a turn exists, and never starts one', () => {
    const h = harness();
    assert.equal(h.driver.interrupt(), true);
    assert.equal(h.closed(), true);
    h.feed({ id: 1, result: {} });
    assert.deepEqual(h.methods(), ['initialize']);
  });

  it('refuses to start after an interrupt that came before the process spawned', () => {
    const h = harness({ start: false });
    assert.equal(h.driver.interrupt(), false);
    h.driver.start(h.input);
    assert.equal(h.closed(), true);
    assert.deepEqual(h.written, []);
  });

  it('answers requests it does not handle with -32601', () => {
    const h = harness();
    toActiveTurn(h);
    h.feed({ method: 'item/tool/requestUserInput', id: 5, params: { threadId: THREAD, turnId: TURN, itemId: 'x', questions: [] } });
    assert.deepEqual(h.written.at(-1), { id: 5, error: { code: -32601, message: 'orchd does not handle `item/tool/requestUserInput`' } });
    assert.equal(h.warnings.length, 1);
  });

  for (const [failing, id] of [
    ['initialize', 1],
    ['thread/start', 2],
    ['turn/start', 3],
  ] as const) {
    it(`closes stdin when the server rejects ${failing}`, () => {
      const h = harness();
      if (id >= 2) h.feed({ id: 1, result: {} });
      if (id >= 3) h.feed({ id: 2, result: { thread: { id: THREAD } } });
      h.feed({ error: { code: -32600, message: 'Invalid request' }, id });
      assert.equal(h.closed(), true);
      assert.equal(h.written.at(-1)!.method, failing);
      assert.equal(h.warnings.length, 1);
    });
  }

  it('ignores lines that are not JSON-RPC, replies it did not ask for, and other turns', () => {
    const h = harness();
    h.driver.onStdoutLine('not json');
    h.driver.onStdoutLine('');
    h.feed({ id: 99, result: {} });
    toActiveTurn(h);
    h.feed({ method: 'turn/completed', params: { threadId: 'another', turn: { id: 'x', status: 'completed' } } });
    assert.equal(h.closed(), false);
    assert.deepEqual(h.methods(), ['initialize', 'initialized', 'thread/start', 'turn/start']);
  });
});

// Normalizer --------------------------------------------------------------------------------------------------

type Line = { line: string; stream: RawStream };

function replay(lines: Line[]): { entries: EntryDraft[]; unknown: number; pushes: EntryDraft[][] } {
  const normalizer = createCodexNormalizer();
  const byId = new Map<string, EntryDraft>();
  const pushes: EntryDraft[][] = [];
  for (const { line, stream } of lines) {
    const out = normalizer.push(line, stream);
    pushes.push(out);
    for (const entry of out) byId.set(entry.id, entry);
  }
  return { entries: [...byId.values()], unknown: normalizer.unknownLines, pushes };
}

const out = (message: Json): Line => ({ line: JSON.stringify(message), stream: 'stdout' });
const sent = (message: Json): Line => ({ line: JSON.stringify(message), stream: 'stdin' });
const notify = (method: string, params: Json) => out({ method, params });
const toolEntries = (entries: EntryDraft[]) => entries.filter((e): e is Extract<EntryDraft, { type: 'toolCall' }> => e.type === 'toolCall');

/** The opening every app-server log has: initialize, thread/start, turn/start and their replies. */
function opening(method: 'thread/start' | 'thread/resume' = 'thread/start'): Line[] {
  return [
    sent({ id: 1, method: 'initialize', params: { clientInfo: { name: 'orchd', title: 'orchd', version: '0.1.0' }, capabilities: null } }),
    out({ id: 1, result: { userAgent: 'orchd/0.169.0 (Debian 12.0.0; x86_64) dumb (orchd; 0.1.0)', codexHome: '/h/.codex' } }),
    sent({ method: 'initialized' }),
    sent({ id: 2, method, params: { cwd: '/w/repo', approvalPolicy: 'untrusted', sandbox: 'workspace-write' } }),
    notify('configWarning', { summary: 'Codex could not find bubblewrap on PATH.', details: null }),
    out({ id: 2, result: { thread: { id: THREAD, cwd: '/w/repo' }, model: 'gpt-5.5', cwd: '/w/repo' } }),
    sent({ id: 3, method: 'turn/start', params: { threadId: THREAD, input: [{ type: 'text', text: 'do it' }] } }),
    notify('thread/started', { thread: { id: THREAD } }),
    out({ id: 3, result: { turn: { id: TURN, status: 'inProgress' } } }),
    notify('thread/status/changed', { threadId: THREAD, status: { type: 'active', activeFlags: [] } }),
    notify('turn/started', { threadId: THREAD, turn: { id: TURN } }),
    notify('item/started', { item: { type: 'userMessage', id: 'u1', content: [{ type: 'text', text: 'do it' }] }, threadId: THREAD, turnId: TURN }),
  ];
}

const command = (status: string, extra: Json = {}) => ({ type: 'commandExecution', id: 'call_1', command: "/bin/bash -lc 'echo hi > hello.txt'", cwd: '/w/repo', status, aggregatedOutput: null, exitCode: null, ...extra });
const usage = (turnId: string, input: number, cached: number, output: number) =>
  notify('thread/tokenUsage/updated', { threadId: THREAD, turnId, tokenUsage: { total: { totalTokens: input + output, inputTokens: input, cachedInputTokens: cached, outputTokens: output }, last: { inputTokens: input, cachedInputTokens: cached, outputTokens: output } } });
const completed = (status: string, extra: Json = {}) => notify('turn/completed', { threadId: THREAD, turn: { id: TURN, status, durationMs: 190, ...extra } });

describe('Codex normalizer', () => {
  it('extracts the session, system info, the approval lifecycle of a command, text, and usage', () => {
    const lines = [
      ...opening(),
      notify('item/started', { item: command('inProgress'), threadId: THREAD, turnId: TURN }),
      out(commandApproval(0)),
      sent({ id: 0, result: { decision: 'accept' } }),
      notify('serverRequest/resolved', { threadId: THREAD, requestId: 0 }),
      notify('item/commandExecution/outputDelta', { threadId: THREAD, turnId: TURN, itemId: 'call_1', delta: 'partial' }),
      notify('item/completed', { item: command('completed', { aggregatedOutput: 'ok\n', exitCode: 0 }), threadId: THREAD, turnId: TURN }),
      usage(TURN, 100, 10, 20),
      notify('item/started', { item: { type: 'agentMessage', id: 'msg_2', text: '' }, threadId: THREAD, turnId: TURN }),
      notify('item/agentMessage/delta', { threadId: THREAD, turnId: TURN, itemId: 'msg_2', delta: 'do' }),
      notify('item/agentMessage/delta', { threadId: THREAD, turnId: TURN, itemId: 'msg_2', delta: 'ne' }),
      notify('item/completed', { item: { type: 'agentMessage', id: 'msg_2', text: 'done' }, threadId: THREAD, turnId: TURN }),
      usage(TURN, 200, 20, 40),
      notify('account/rateLimits/updated', { rateLimits: {} }),
      completed('completed'),
    ];
    const { entries, unknown, pushes } = replay(lines);
    assert.equal(unknown, 0);
    // The tool call's statuses, in order.
    const statuses = pushes.flat().filter((e) => e.type === 'toolCall').map((e) => e.type === 'toolCall' && e.status);
    assert.deepEqual(statuses, ['running', 'awaitingApproval', 'running', 'running', 'succeeded']);
    assert.deepEqual(entries, [
      { id: 'agent-session', type: 'agentSession', agentSessionId: THREAD },
      { id: 'system', type: 'systemInfo', model: 'gpt-5.5', tools: [], cwd: '/w/repo', agentVersion: '0.169.0' },
      {
        id: 'tool:call_1',
        type: 'toolCall',
        toolCallId: 'call_1',
        name: 'exec_command',
        kind: 'command',
        status: 'succeeded',
        title: "/bin/bash -lc 'echo hi > hello.txt'",
        input: { command: "/bin/bash -lc 'echo hi > hello.txt'", cwd: '/w/repo' },
        output: 'ok\n',
        path: null,
        command: "/bin/bash -lc 'echo hi > hello.txt'",
        exitCode: 0,
        diff: null,
      },
      { id: 'usage', type: 'usage', inputTokens: 180, outputTokens: 40, cacheReadTokens: 20, costUsd: null, durationMs: 190 },
      { id: 'message:msg_2', type: 'assistantMessage', text: 'done' },
    ]);
    // Deltas coalesce into one entry upserted with the text so far.
    assert.deepEqual(
      pushes.flat().filter((e) => e.id === 'message:msg_2').map((e) => e.type === 'assistantMessage' && e.text),
      ['do', 'done', 'done'],
    );
  });

  for (const [decision, status] of [
    ['decline', 'denied'],
    ['cancel', 'denied'],
    ['acceptForSession', 'running'],
  ] as const) {
    it(`marks the call ${status} from orchd's answer \`${decision}\``, () => {
      const { entries, unknown } = replay([...opening(), notify('item/started', { item: command('inProgress'), threadId: THREAD, turnId: TURN }), out(commandApproval(0)), sent({ id: 0, result: { decision } })]);
      assert.equal(unknown, 0);
      assert.equal(toolEntries(entries)[0]!.status, status);
    });
  }

  it('keeps a declined call denied when its item completes, and closes calls left open by an interrupted turn', () => {
    const { entries } = replay([
      ...opening(),
      notify('item/started', { item: command('inProgress'), threadId: THREAD, turnId: TURN }),
      out(commandApproval(0)),
      sent({ id: 0, result: { decision: 'decline' } }),
      notify('item/completed', { item: command('declined'), threadId: THREAD, turnId: TURN }),
      notify('item/started', { item: { ...command('inProgress'), id: 'call_2' }, threadId: THREAD, turnId: TURN }),
      out(commandApproval(1, 'call_2')),
      notify('item/started', { item: { ...command('inProgress'), id: 'call_3' }, threadId: THREAD, turnId: TURN }),
      completed('interrupted'),
    ]);
    assert.deepEqual(
      toolEntries(entries).map((e) => [e.toolCallId, e.status]),
      [
        ['call_1', 'denied'],
        ['call_2', 'denied'],
        ['call_3', 'failed'],
      ],
    );
  });

  it('turns file changes into edit calls with unified diffs (add, update, delete, move)', () => {
    const changes = [
      { path: '/w/repo/new.txt', kind: { type: 'add' }, diff: 'hi\nthere\n' },
      { path: '/w/repo/a.txt', kind: { type: 'update', move_path: null }, diff: '@@ -1,2 +1,2 @@\n hi\n-there\n+world\n' },
      { path: '/w/repo/old.txt', kind: { type: 'delete' }, diff: 'bye\n' },
      { path: '/w/repo/b.txt', kind: { type: 'update', move_path: '/w/repo/c.txt' }, diff: '@@ -1 +1 @@\n-x\n+y' },
    ];
    const { entries, unknown } = replay([
      ...opening(),
      notify('item/started', { item: { type: 'fileChange', id: 'call_4', changes, status: 'inProgress' }, threadId: THREAD, turnId: TURN }),
      out({ method: 'item/fileChange/requestApproval', id: 0, params: { threadId: THREAD, turnId: TURN, itemId: 'call_4' } }),
      sent({ id: 0, result: { decision: 'accept' } }),
      notify('item/completed', { item: { type: 'fileChange', id: 'call_4', changes, status: 'completed' }, threadId: THREAD, turnId: TURN }),
      notify('turn/diff/updated', { threadId: THREAD, turnId: TURN, diff: 'diff --git …' }),
    ]);
    assert.equal(unknown, 0);
    const edit = toolEntries(entries)[0]!;
    assert.deepEqual([edit.name, edit.kind, edit.status, edit.path, edit.title], ['apply_patch', 'edit', 'succeeded', '/w/repo/new.txt', 'new.txt, a.txt, old.txt, b.txt']);
    assert.equal(
      edit.diff,
      [
        '--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+hi\n+there\n',
        '--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n hi\n-there\n+world\n',
        '--- a/old.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-bye\n',
        '--- a/b.txt\n+++ b/c.txt\n@@ -1 +1 @@\n-x\n+y\n',
      ].join(''),
    );
  });

  it('counts only this turn’s tokens when a resumed thread first reports its running total', () => {
    const { entries } = replay([
      ...opening('thread/resume').slice(0, 7),
      usage('01-earlier-turn', 1000, 100, 50), // before the new turn is known: the baseline
      ...opening('thread/resume').slice(7),
      usage(TURN, 1100, 110, 60),
      usage(TURN, 1300, 130, 75),
      completed('completed'),
    ]);
    const found = entries.find((e) => e.type === 'usage');
    assert.deepEqual(found, { id: 'usage', type: 'usage', inputTokens: 270, outputTokens: 25, cacheReadTokens: 30, costUsd: null, durationMs: 190 });
  });

  it('makes error entries from error notifications, failed turns and JSON-RPC error replies', () => {
    const failed = replay([
      ...opening(),
      notify('error', { error: { message: 'Reconnecting... 1/5', additionalDetails: null }, willRetry: true, threadId: THREAD, turnId: TURN }),
      notify('error', { error: { message: '{"error":{"message":"mock error scenario (status 400)","type":"invalid_request_error"}}' }, willRetry: false, threadId: THREAD, turnId: TURN }),
      completed('failed', { error: { message: '{"error":{"message":"mock error scenario (status 400)","type":"invalid_request_error"}}' } }),
    ]);
    assert.deepEqual(
      failed.entries.filter((e) => e.type === 'error'),
      [
        { id: `error:${TURN}:retry`, type: 'error', message: 'Reconnecting... 1/5' },
        { id: `error:${TURN}`, type: 'error', message: 'mock error scenario (status 400)' },
      ],
    );
    const rejected = replay([...opening().slice(0, 4), out({ error: { code: -32600, message: 'no rollout found for thread id x' }, id: 2 })]);
    assert.deepEqual(rejected.entries, [{ id: 'rpc-error:2', type: 'error', message: 'Codex rejected `thread/start`: no rollout found for thread id x' }]);
    // An interrupt that raced the end of the turn is not an error worth showing.
    const raced = replay([...opening(), sent({ id: 4, method: 'turn/interrupt', params: {} }), out({ error: { code: -32600, message: 'no active turn' }, id: 4 })]);
    assert.equal(raced.entries.filter((e) => e.type === 'error').length, 0);
  });

  it('maps reasoning, plans, MCP calls and web searches', () => {
    const { entries, unknown } = replay([
      ...opening(),
      notify('item/started', { item: { type: 'reasoning', id: 'rs_1', summary: [], content: [] }, threadId: THREAD, turnId: TURN }),
      notify('item/reasoning/summaryTextDelta', { threadId: THREAD, turnId: TURN, itemId: 'rs_1', delta: 'First', summaryIndex: 0 }),
      notify('item/reasoning/summaryPartAdded', { threadId: THREAD, turnId: TURN, itemId: 'rs_1', summaryIndex: 1 }),
      notify('item/reasoning/summaryTextDelta', { threadId: THREAD, turnId: TURN, itemId: 'rs_1', delta: 'Second', summaryIndex: 1 }),
      notify('turn/plan/updated', { threadId: THREAD, turnId: TURN, explanation: null, plan: [{ step: 'read', status: 'completed' }, { step: 'write', status: 'inProgress' }, { step: 'test', status: 'pending' }] }),
      notify('item/started', { item: { type: 'mcpToolCall', id: 'mcp_1', server: 'docs', tool: 'search', status: 'inProgress', arguments: { q: 'x' }, result: null, error: null }, threadId: THREAD, turnId: TURN }),
      notify('item/completed', { item: { type: 'mcpToolCall', id: 'mcp_1', server: 'docs', tool: 'search', status: 'completed', arguments: { q: 'x' }, result: { content: [{ type: 'text', text: 'found' }] }, error: null }, threadId: THREAD, turnId: TURN }),
      notify('item/completed', { item: { type: 'webSearch', id: 'ws_1', query: 'codex app-server', action: { type: 'search', query: 'codex app-server' } }, threadId: THREAD, turnId: TURN }),
    ]);
    assert.equal(unknown, 0);
    assert.deepEqual(entries.find((e) => e.type === 'thinking'), { id: 'thinking:rs_1', type: 'thinking', text: 'First\n\nSecond' });
    const tools = toolEntries(entries).map((e) => [e.name, e.kind, e.status, e.title, e.output]);
    assert.deepEqual(tools, [
      ['update_plan', 'todo', 'succeeded', 'Plan', '[x] read\n[>] write\n[ ] test'],
      ['mcp__docs__search', 'other', 'succeeded', 'docs.search', 'found'],
      ['web_search', 'fetch', 'succeeded', 'codex app-server', null],
    ]);
  });

  it('keeps what it does not understand as raw entries, and stderr too', () => {
    const { entries, unknown } = replay([
      ...opening(),
      notify('some/newNotification', { x: 1 }),
      out({ method: 'item/tool/requestUserInput', id: 4, params: {} }),
      sent({ id: 4, error: { code: -32601, message: 'orchd does not handle `item/tool/requestUserInput`' } }),
      { line: 'not json at all', stream: 'stdout' },
      { line: 'WARNING: proceeding, even though we could not create PATH aliases', stream: 'stderr' },
      { line: '', stream: 'stdout' },
    ]);
    assert.equal(unknown, 3, 'the stderr line is a diagnostic: a raw entry, not an unknown line');
    assert.deepEqual(
      entries.filter((e) => e.type === 'raw').map((e) => e.type === 'raw' && e.stream),
      ['stdout', 'stdout', 'stdout', 'stderr'],
    );
  });

  it('reads `codex exec --json` lines', () => {
    const lines = [
      { type: 'thread.started', thread_id: THREAD },
      { type: 'turn.started' },
      { type: 'item.completed', item: { id: 'item_0', type: 'reasoning', text: '**Searching**' } },
      { type: 'item.started', item: { id: 'item_1', type: 'command_execution', command: 'bash -lc ls', aggregated_output: '', exit_code: null, status: 'in_progress' } },
      { type: 'item.completed', item: { id: 'item_1', type: 'command_execution', command: 'bash -lc ls', aggregated_output: 'README.md\n', exit_code: 0, status: 'completed' } },
      { type: 'item.completed', item: { id: 'item_2', type: 'file_change', changes: [{ path: '/w/x.py', kind: 'update' }], status: 'completed' } },
      { type: 'item.updated', item: { id: 'item_3', type: 'todo_list', items: [{ text: 'a', completed: true }, { text: 'b', completed: false }] } },
      { type: 'item.completed', item: { id: 'item_4', type: 'error', message: 'Model metadata warning' } },
      { type: 'item.completed', item: { id: 'item_5', type: 'agent_message', text: 'Yep' } },
      { type: 'turn.completed', usage: { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 } },
    ].map((message) => out(message));
    const { entries, unknown } = replay(lines);
    assert.equal(unknown, 0);
    assert.deepEqual(
      entries.map((e) => e.id),
      ['agent-session', 'thinking:item_0', 'tool:item_1', 'tool:item_2', 'tool:item_3', 'error:item_4', 'message:item_5', 'usage'],
    );
    const [ls, patch, todo] = toolEntries(entries);
    assert.deepEqual([ls!.status, ls!.output, ls!.exitCode], ['succeeded', 'README.md\n', 0]);
    assert.deepEqual([patch!.kind, patch!.path, patch!.diff], ['edit', '/w/x.py', null]);
    assert.deepEqual([todo!.kind, todo!.output], ['todo', '[x] a\n[ ] b']);
    assert.deepEqual(entries.at(-1), { id: 'usage', type: 'usage', inputTokens: 315, outputTokens: 122, cacheReadTokens: 24448, costUsd: null, durationMs: null });
    // exec reports a fatal error twice; it is one entry.
    const failed = replay([out({ type: 'error', message: '{"error":{"message":"Model not supported"}}' }), out({ type: 'turn.failed', error: { message: '{"error":{"message":"Model not supported"}}' } })]);
    assert.deepEqual(failed.entries, [{ id: 'error-1', type: 'error', message: 'Model not supported' }]);
  });
});

// Captures recorded from the real CLI ----------------------------------------------------------------------------

const CAPTURES = join(ROOT, 'fixtures', 'captures', 'codex');

describe('Codex normalizer on real captures', () => {
  const files = existsSync(CAPTURES) ? readdirSync(CAPTURES).filter((file) => file.endsWith('.jsonl')) : [];
  it('has captures to read', () => assert.ok(files.length > 0, `no captures in ${CAPTURES}`));
  for (const file of files) {
    it(file, () => {
      const lines = captureLines(join(CAPTURES, file));
      const { entries, unknown } = replay(lines);
      assert.equal(unknown, 0, `unknown lines: ${entries.filter((e) => e.type === 'raw').map((e) => e.type === 'raw' && e.line.slice(0, 120)).join('\n')}`);
      assert.deepEqual(replay(lines).entries, entries, 'replay yields the same entries');
      assert.ok(entries.some((e) => e.type === 'agentSession'), 'the thread id is extracted');
      const failedTurn = /error/.test(file);
      if (!failedTurn) assert.ok(entries.some((e) => e.type === 'usage'), 'usage is extracted');
      else assert.ok(entries.some((e) => e.type === 'error'), 'the error is an entry');

      // Every tool call the server announced is paired with its result: one entry per item, in a final status.
      const announced = new Set<string>();
      for (const { line, stream } of lines) {
        if (stream !== 'stdout') continue;
        const message = JSON.parse(line) as Json;
        const item = message.params?.item ?? message.item;
        if (item && ['commandExecution', 'fileChange', 'mcpToolCall', 'command_execution', 'file_change'].includes(item.type)) announced.add(item.id);
      }
      const calls = toolEntries(entries);
      assert.deepEqual(calls.map((e) => e.toolCallId).sort(), [...announced].sort());
      for (const call of calls) assert.ok(['succeeded', 'failed', 'denied'].includes(call.status), `${call.toolCallId} ends ${call.status}`);

      // What the decisions in the log say, the entries say.
      const decisions = lines.filter((l) => l.stream === 'stdin').map((l) => JSON.parse(l.line) as Json).filter((m) => m.result?.decision).map((m) => m.result.decision as string);
      if (decisions.includes('decline') || decisions.includes('cancel') || /interrupt-approval/.test(file)) assert.ok(calls.some((c) => c.status === 'denied'), 'the declined call is denied');
      if (decisions.includes('accept') || decisions.includes('acceptForSession')) assert.ok(calls.some((c) => c.status === 'succeeded'), 'the accepted call succeeded');
      if (/apply-patch-(add|update)/.test(file)) {
        const edit = calls.find((c) => c.kind === 'edit');
        assert.ok(edit && edit.status === 'succeeded' && edit.path?.endsWith('hello.txt') && edit.diff?.includes('+++ b/hello.txt'), 'the edit carries its path and diff');
      }
      if (/interrupt/.test(file)) assert.ok(lines.some((l) => l.stream === 'stdout' && l.line.includes('"status":"interrupted"')), 'the turn ended interrupted');
    });
  }
});
