// The live view of `orchd run`, fed with event sequences: streamed text printed once, tool call statuses as they move,
// errors, scripts; a terminal gets colours and a redrawn progress line, anything else plain append-only lines.
// Also the pure pieces around it: colour choice, approval answers and their queue, the summary and merge wording.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Approval } from '../../protocol/approvals.js';
import type { NormalizedEntry, ToolCallEntry } from '../../protocol/entries.js';
import type { Event } from '../../protocol/events.js';
import type { Execution } from '../../protocol/execution.js';
import type { Workspace } from '../../protocol/workspace.js';
import { describeMerge } from '../../src/cli/merge.js';
import { ApprovalPrompter, approvalQuestion, automaticAnswer, parseApprovalAnswer } from '../../src/cli/run/approvals-prompt.js';
import { RunRenderer } from '../../src/cli/run/render.js';
import { createStyle, formatElapsed, stripAnsi, wantsColor } from '../../src/cli/run/style.js';
import { formatSummary, summaryRecord, type RunSummary } from '../../src/cli/run/summary.js';
import { taskTitle } from '../../src/cli/run/prepare.js';

const EXE = 'exe_agent';
let seq = 0;
const event = (kind: string, data: unknown): Event => ({ seq: ++seq, kind, at: '2026-01-01T00:00:00.000Z', data });
const upsert = (entry: NormalizedEntry): Event => event('session/entryUpserted', { sessionId: 'ses_1', entry });
const text = (id: string, value: string): Event => upsert({ id, executionId: EXE, type: 'assistantMessage', text: value });
const tool = (status: ToolCallEntry['status'], extra: Partial<ToolCallEntry> = {}): Event =>
  upsert({
    id: 'tool:1',
    executionId: EXE,
    type: 'toolCall',
    toolCallId: 't1',
    name: 'Bash',
    kind: 'command',
    status,
    title: 'echo hi',
    input: { command: 'echo hi' },
    output: null,
    path: null,
    command: 'echo hi',
    exitCode: null,
    diff: null,
    ...extra,
  });

function execution(overrides: Partial<Execution>): Execution {
  return {
    id: EXE,
    workspaceId: 'ws_1',
    sessionId: 'ses_1',
    runReason: 'codingAgent',
    status: 'running',
    exitCode: null,
    signal: null,
    pid: 1,
    pgid: 1,
    action: { type: 'agent', executor: 'scripted-agent', prompt: 'hi', followUp: false, resumeAgentSessionId: null },
    headsBefore: [],
    headsAfter: null,
    reason: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: null,
    ...overrides,
  };
}

/** Feed events to a renderer and return everything it wrote. */
function render(events: Event[], options: { tty?: boolean; color?: boolean; now?: () => number } = {}): { out: string; renderer: RunRenderer } {
  const chunks: string[] = [];
  const renderer = new RunRenderer({ write: (t) => void chunks.push(t), tty: options.tty ?? false, color: options.color ?? true, agent: 'scripted-agent', columns: () => 80, now: options.now ?? (() => 0) });
  for (const e of events) renderer.event(e);
  renderer.close();
  return { out: chunks.join(''), renderer };
}

describe('RunRenderer, not a terminal', () => {
  it('prints streamed assistant text once: only the new end of each upsert', () => {
    const { out } = render([text('m1', 'Hel'), text('m1', 'Hello'), text('m1', 'Hello world'), text('m1', 'Hello world')]);
    assert.equal(out, 'Hello world\n');
  });

  it('starts a new line for a second message, and reprints a message whose text was rewritten', () => {
    const { out } = render([text('m1', 'one'), text('m2', 'two'), text('m2', 'TWO')]);
    assert.equal(out, 'one\ntwo\nTWO\n');
  });

  it('continues a message on a new line when something was printed in between', () => {
    const { out } = render([text('m1', 'first'), tool('running'), text('m1', 'first and more')]);
    assert.equal(out, 'first\n⏺ Bash  echo hi\n and more\n');
  });

  it('shows a tool call once and each status change once', () => {
    const { out } = render([tool('pending'), tool('running'), tool('running'), tool('succeeded', { output: 'hi\n', exitCode: 0 }), tool('succeeded', { output: 'hi\n', exitCode: 0 })]);
    assert.equal(out, '⏺ Bash  echo hi\n  ✓ Bash succeeded\n    hi\n');
  });

  it('failed with its exit code and output, denied, awaiting approval; an edit with its line counts', () => {
    const failed = render([tool('failed', { exitCode: 3, output: 'Exit code 3\nboom' })]).out;
    assert.equal(failed, '⏺ Bash  echo hi\n  ✗ Bash failed (exit code 3)\n    Exit code 3\n    boom\n');
    const denied = render([tool('awaitingApproval'), tool('denied', { output: 'denied at the terminal' })]).out;
    assert.equal(denied, '⏺ Bash  echo hi\n  ? Bash awaiting approval\n  ⊘ Bash denied\n    denied at the terminal\n');
    const edit = render([
      tool('succeeded', { name: 'Write', kind: 'edit', title: 'a.txt', command: null, path: 'a.txt', diff: '--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n', output: 'ok' }),
    ]).out;
    assert.equal(edit, '⏺ Write  a.txt\n  ✓ Write succeeded (+2 −0)\n');
  });

  it('cuts long command output to a few lines', () => {
    const output = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n');
    const { out } = render([tool('succeeded', { output })]);
    assert.match(out, /line 4\n {4}… 6 more lines\n$/);
    assert.doesNotMatch(out, /line 5/);
  });

  it('errors, thinking, usage, system info, notifications and commits', () => {
    const { out } = render([
      upsert({ id: 's', executionId: EXE, type: 'systemInfo', model: 'fake-model-1', tools: [], cwd: null, agentVersion: '2.1' }),
      upsert({ id: 'th', executionId: EXE, type: 'thinking', text: 'let me\nthink' }),
      upsert({ id: 'e', executionId: EXE, type: 'error', message: 'rate limited' }),
      upsert({ id: 'e', executionId: EXE, type: 'error', message: 'rate limited' }),
      upsert({ id: 'u', executionId: EXE, type: 'usage', inputTokens: 1200, outputTokens: 34, cacheReadTokens: null, costUsd: 0.0123, durationMs: 2500 }),
      upsert({ id: 'p', executionId: EXE, type: 'userMessage', text: 'the prompt' }),
      event('workspace/committed', { workspaceId: 'ws_1', commits: [{ repositoryId: 'r', oid: 'abcdef1234567' }], message: 'Say hi\n\nCommitted by orchd' }),
      event('notification', { level: 'info', title: 'Agent finished', body: 'ready for review' }),
      event('notification', { level: 'error', title: 'Setup script failed', body: '`install` ended with exit code 1' }),
    ]);
    assert.equal(
      out,
      [
        '· model fake-model-1 · agent 2.1',
        '✻ let me',
        '  think',
        '✗ error: rate limited',
        '· usage: 1,200 in, 34 out tokens · $0.0123 · 2.5s',
        '· committed abcdef1 Say hi',
        '● Agent finished — ready for review',
        '✗ Setup script failed — `install` ended with exit code 1',
        '',
      ].join('\n'),
    );
  });

  it('setup scripts: a progress line, their output indented (a partial last line too), the outcome', () => {
    const script = execution({ id: 'exe_setup', runReason: 'setupScript', action: { type: 'script', kind: 'setupScript', name: 'install', command: 'npm ci', repository: null } });
    const { out } = render([
      event('execution/started', { execution: script }),
      event('execution/output', { executionId: 'exe_setup', seq: 1, stream: 'stdout', text: 'added 3 pack' }),
      event('execution/output', { executionId: 'exe_setup', seq: 2, stream: 'stdout', text: 'ages\nalmost' }),
      event('execution/exited', { execution: { ...script, status: 'failed', exitCode: 1, endedAt: '2026-01-01T00:00:02.000Z' } }),
    ]);
    assert.equal(out, '▸ setup: install\n  │ added 3 packages\n  │ almost\n  ✗ setup: install failed: exit code 1\n');
  });

  it('the agent: started, and exited failed with the reason, or stopped', () => {
    const failed = render([
      event('execution/started', { execution: execution({}) }),
      event('execution/exited', { execution: execution({ status: 'failed', exitCode: 1, reason: 'the CLI crashed', endedAt: '2026-01-01T00:00:01.000Z' }) }),
    ]).out;
    assert.equal(failed, '▸ scripted-agent\n✗ scripted-agent failed: exit code 1, the CLI crashed\n');
    const once = render([
      event('execution/started', { execution: execution({}) }),
      event('execution/exited', { execution: execution({ status: 'failed', exitCode: 1, reason: 'the CLI crashed' }) }),
      event('notification', { level: 'error', title: 'Agent failed', body: 'The agent ended with exit code 1: the CLI crashed' }),
      event('notification', { level: 'error', title: 'Something else failed', body: 'a later, different error' }),
    ]).out;
    assert.equal(
      once,
      '▸ scripted-agent\n✗ scripted-agent failed: exit code 1, the CLI crashed\n✗ Something else failed — a later, different error\n',
      "orchd's notification does not repeat the exit line; a later error still shows",
    );
    const said = render([event('execution/started', { execution: execution({}) }), event('execution/exited', { execution: execution({ status: 'failed', exitCode: 3, reason: 'exited with code 3' }) })]).out;
    assert.equal(said, '▸ scripted-agent\n✗ scripted-agent failed: exited with code 3\n');
    const stopped = render([event('execution/started', { execution: execution({}) }), event('execution/exited', { execution: execution({ status: 'killed', reason: 'stopped by request' }) })]).out;
    assert.equal(stopped, '▸ scripted-agent\n⊘ scripted-agent stopped: stopped by request\n');
    const done = render([event('execution/started', { execution: execution({}) }), event('execution/exited', { execution: execution({ status: 'completed', exitCode: 0, endedAt: '2026-01-01T00:00:01.500Z' }) })]).out;
    assert.equal(done, '▸ scripted-agent\n✓ scripted-agent finished in 1.5s\n');
  });

  it('writes no ANSI code and no carriage return at all, even with colour asked for', () => {
    const { out, renderer } = render(
      [
        text('m1', 'Hi'),
        text('m1', 'Hi there'),
        tool('running'),
        tool('failed', { exitCode: 2, output: 'no' }),
        upsert({ id: 'e', executionId: EXE, type: 'error', message: 'bad' }),
        event('notification', { level: 'warning', title: 'Careful', body: '' }),
      ],
      { tty: false, color: true },
    );
    renderer.tick();
    renderer.setPhase('stopping');
    assert.doesNotMatch(out, /\x1b|\r/);
    assert.match(out, /! Careful\n$/);
  });

  it('holds output while a question is asked, and ends the line in progress first', () => {
    const chunks: string[] = [];
    const renderer = new RunRenderer({ write: (t) => void chunks.push(t), tty: false, color: false, agent: 'a' });
    renderer.event(text('m1', 'thinking aloud'));
    renderer.hold();
    assert.equal(chunks.join(''), 'thinking aloud\n', 'the partial line is ended before the question');
    renderer.event(tool('awaitingApproval'));
    assert.equal(chunks.join(''), 'thinking aloud\n', 'nothing is written while held');
    renderer.release();
    assert.equal(chunks.join(''), 'thinking aloud\n⏺ Bash  echo hi\n  ? Bash awaiting approval\n');
  });
});

describe('RunRenderer on a terminal', () => {
  it('draws a progress line, clears it with \\r before other output, and redraws it on tick', () => {
    let now = 0;
    const { out } = render([], { tty: true, color: false, now: () => now });
    assert.equal(out, '');
    const chunks: string[] = [];
    const renderer = new RunRenderer({ write: (t) => void chunks.push(t), tty: true, color: false, agent: 'claude-code', columns: () => 80, now: () => now });
    renderer.setPhase('running');
    now = 12_000;
    renderer.tick();
    renderer.event(text('m1', 'Hello'));
    renderer.event(text('m1', 'Hello world'));
    renderer.event(tool('succeeded'));
    renderer.close();
    const out2 = chunks.join('');
    assert.equal(
      out2,
      'orchd · claude-code · running 0.0s' +
        '\r\x1b[2Korchd · claude-code · running 12s' +
        '\r\x1b[2KHello' +
        ' world' +
        '\n⏺ Bash  echo hi\n' +
        'orchd · claude-code · running 12s' +
        '\r\x1b[2K  ✓ Bash succeeded\n' +
        'orchd · claude-code · running 12s' +
        '\r\x1b[2K',
    );
  });

  it('colours the marks and errors, and keeps the plain text the same', () => {
    const events = [tool('failed', { exitCode: 1 }), upsert({ id: 'e', executionId: EXE, type: 'error', message: 'bad' })];
    const coloured = render(events, { tty: true, color: true }).out;
    assert.match(coloured, /\x1b\[31m✗ error: bad\x1b\[39m/);
    assert.match(coloured, /\x1b\[31m✗\x1b\[39m Bash failed/);
    const plain = render(events, { tty: true, color: false }).out;
    assert.doesNotMatch(plain, /\x1b\[3\dm/, 'no colour codes without colour');
    assert.equal(stripAnsi(coloured), stripAnsi(plain));
  });

  it('cuts the progress line to the terminal width', () => {
    const chunks: string[] = [];
    const renderer = new RunRenderer({ write: (t) => void chunks.push(t), tty: true, color: false, agent: 'an-agent-with-a-very-long-name', columns: () => 20, now: () => 0 });
    renderer.tick();
    assert.equal(chunks.join(''), 'orchd · an-agent-wi');
  });
});

describe('colour choice', () => {
  const table: [boolean, boolean, Record<string, string | undefined>, boolean][] = [
    [true, false, {}, true],
    [false, false, {}, false],
    [true, true, {}, false],
    [true, false, { NO_COLOR: '1' }, false],
    [true, false, { NO_COLOR: '' }, true],
    [true, false, { TERM: 'dumb' }, false],
  ];
  for (const [isTty, noColorFlag, env, expected] of table) {
    it(`tty=${isTty} --no-color=${noColorFlag} ${JSON.stringify(env)} → ${expected}`, () => assert.equal(wantsColor({ isTty, noColorFlag, env }), expected));
  }
  it('a disabled style returns text unchanged', () => assert.equal(createStyle(false).red('x'), 'x'));
  it('elapsed time', () => assert.deepEqual([formatElapsed(1234), formatElapsed(12_000), formatElapsed(185_000)], ['1.2s', '12s', '3m05s']));
});

describe('approvals at the terminal', () => {
  const approval = (id: string, title: string | null = `Bash: echo ${id}`): Approval => ({
    id,
    sessionId: 'ses_1',
    executionId: EXE,
    tool: 'Bash',
    toolCallId: null,
    input: {},
    title,
    options: ['allowOnce', 'allowSession', 'deny'],
    status: 'pending',
    decision: null,
    reason: null,
    decidedBy: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    resolvedAt: null,
  });

  it('reads y, n, a (and the words), and nothing else', () => {
    const table: [string, unknown][] = [
      ['y', { decision: 'allowOnce' }],
      [' YES ', { decision: 'allowOnce' }],
      ['n', { decision: 'deny', reason: 'denied at the terminal' }],
      ['no', { decision: 'deny', reason: 'denied at the terminal' }],
      ['a', { decision: 'allowSession' }],
      ['always', { decision: 'allowSession' }],
      ['', null],
      ['maybe', null],
    ];
    for (const [line, expected] of table) assert.deepEqual(parseApprovalAnswer(line), expected, JSON.stringify(line));
  });

  it('asks with the title, or the tool when there is none', () => {
    assert.equal(approvalQuestion(approval('1')), 'Allow Bash: echo 1? [y]es / [n]o / [a]lways for this session: ');
    assert.equal(approvalQuestion(approval('1', null)), 'Allow Bash? [y]es / [n]o / [a]lways for this session: ');
  });

  it('without a terminal: --yes allows once, else deny and say how to allow', async () => {
    assert.deepEqual(automaticAnswer(true), { decision: 'allowOnce' });
    assert.deepEqual(automaticAnswer(false), { decision: 'deny', reason: 'no terminal to ask; pass --yes to allow' });
    const decided: string[] = [];
    const prompter = new ApprovalPrompter({ interactive: false, yes: false, onDecision: (a, answer, by) => void decided.push(`${a.id} ${answer.decision} ${by}`) });
    assert.deepEqual(await prompter.answer(approval('1'), new AbortController().signal), { decision: 'deny', reason: 'no terminal to ask; pass --yes to allow' });
    assert.deepEqual(decided, ['1 deny rule']);
  });

  it('asks one question at a time, in order, again after a bad answer; skips what was settled meanwhile', async () => {
    const asked: string[] = [];
    const replies = ['maybe', 'y', 'a'];
    const holds: boolean[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const prompter = new ApprovalPrompter({
      interactive: true,
      yes: false,
      onAsking: (asking) => void holds.push(asking),
      ask: async (question) => {
        asked.push(question);
        await gate;
        return replies.shift() ?? null;
      },
    });
    const settledElsewhere = new AbortController();
    const first = prompter.answer(approval('1'), new AbortController().signal);
    const second = prompter.answer(approval('2'), settledElsewhere.signal);
    const third = prompter.answer(approval('3'), new AbortController().signal);
    // Every promise step the prompter could take without an answer has run once the event loop turns.
    await new Promise((r) => setImmediate(r));
    assert.equal(asked.length, 1, 'only the first question is open');
    settledElsewhere.abort();
    release();
    assert.deepEqual(await first, { decision: 'allowOnce' });
    assert.equal((await second).decision, 'deny');
    assert.deepEqual(await third, { decision: 'allowSession' });
    assert.deepEqual(asked, [
      'Allow Bash: echo 1? [y]es / [n]o / [a]lways for this session: ',
      'Please answer y, n or a. Allow Bash: echo 1? [y]es / [n]o / [a]lways for this session: ',
      'Allow Bash: echo 3? [y]es / [n]o / [a]lways for this session: ',
    ]);
    assert.deepEqual(holds, [true, false, true, false]);
  });

  it('stdin ending denies', async () => {
    const prompter = new ApprovalPrompter({ interactive: true, yes: false, ask: async () => null });
    assert.deepEqual(await prompter.answer(approval('1'), new AbortController().signal), { decision: 'deny', reason: 'denied at the terminal' });
  });
});

describe('summary and merge wording', () => {
  const workspace: Workspace = {
    id: 'ws_1',
    projectId: 'prj_1',
    taskId: 'tsk_1',
    state: 'active',
    path: '/data/worktrees/ab-say-hi',
    branch: 'orchd/ab-say-hi',
    repositories: [{ repositoryId: 'repo_1', name: 'app', path: '/data/worktrees/ab-say-hi/app', sourcePath: '/src/app', branch: 'orchd/ab-say-hi', baseBranch: 'main', baseOid: 'b'.repeat(40) }],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    mergedAt: null,
    archivedAt: null,
  };
  const summary: RunSummary = {
    status: 'completed',
    reason: null,
    exitCode: 0,
    agent: 'scripted-agent',
    elapsedMs: 1500,
    projectId: 'prj_1',
    taskId: 'tsk_1',
    sessionId: 'ses_1',
    workspace,
    diff: {
      repositories: [{ repositoryId: 'repo_1', name: 'app', files: [{ path: 'hello.txt', status: 'added', additions: 1, deletions: 0, binary: false }], stats: { files: 1, additions: 1, deletions: 0 } }],
      stats: { files: 1, additions: 1, deletions: 0 },
    },
    commits: [{ repositoryId: 'repo_1', repository: 'app', oid: 'c'.repeat(40), subject: 'Say hi' }],
  };

  it('says what changed, where, and how to merge', () => {
    assert.equal(
      formatSummary(summary, createStyle(false)),
      [
        '',
        '── scripted-agent completed after 1.5s ──',
        'Changes   1 file changed, +1 −0',
        '          A hello.txt  +1 −0',
        'Branch    orchd/ab-say-hi  (from main)',
        'Worktree  /data/worktrees/ab-say-hi/app',
        'Commits   ccccccc Say hi',
        'Merge     orchd merge ws_1   (or the protocol method workspace/merge)',
        '',
      ].join('\n'),
    );
    const record = summaryRecord(summary);
    assert.equal(record.type, 'summary');
    assert.equal(record.workspaceId, 'ws_1');
    assert.deepEqual(record.merge, { command: 'orchd merge ws_1', method: 'workspace/merge', params: { workspaceId: 'ws_1' } });
  });

  it('says when there is nothing to merge, and why a run stopped', () => {
    const empty = formatSummary({ ...summary, status: 'stopped', reason: 'stopped at the terminal', exitCode: 130, diff: { repositories: [], stats: { files: 0, additions: 0, deletions: 0 } }, commits: [] }, createStyle(false));
    assert.match(empty, /── scripted-agent stopped after 1\.5s: stopped at the terminal ──/);
    assert.match(empty, /Changes   none\n/);
    assert.match(empty, /Merge     nothing to merge\n/);
  });

  it('merge results in words: merged, up to date, conflicts', () => {
    assert.equal(
      describeMerge(workspace, 'squash', { merged: true, repositories: [{ repositoryId: 'repo_1', baseBranch: 'main', oid: 'd'.repeat(40), upToDate: false }] }),
      'merged orchd/ab-say-hi into main (squash), now at ddddddd\n',
    );
    assert.equal(
      describeMerge(workspace, 'merge', { merged: true, repositories: [{ repositoryId: 'repo_1', baseBranch: 'main', oid: 'd'.repeat(40), upToDate: true }] }),
      'main already contains orchd/ab-say-hi; nothing to merge\n',
    );
    const conflict = describeMerge(workspace, 'merge', { merged: false, conflicts: [{ repositoryId: 'repo_1', name: 'app', files: ['README.md'] }] });
    assert.match(conflict, /^Not merged: orchd\/ab-say-hi would conflict with its base branch; nothing was changed\.\n {2}app:\n {4}README\.md\n/);
  });

  it('the task title is the first non-blank line, at most 80 characters', () => {
    assert.equal(taskTitle('\n  Say hi  \n@edit a b'), 'Say hi');
    assert.equal(taskTitle('x'.repeat(100)).length, 80);
  });
});
