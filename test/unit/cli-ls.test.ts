// The pure pieces of `orchd ls|log|rm`: ids by unique prefix, their abbreviation, tables that fit 80 and 120
// columns, the status words, usage totals, the rm question, and protocol errors said in the CLI's words.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Workspace } from '../../protocol/workspace.js';
import { abbreviationLength, CliError, matchIds, resolveId } from '../../src/cli/ids.js';
import { addUsage, sessionOutcome, totalTokens, workspaceStatus } from '../../src/cli/ls.js';
import { removalQuestion } from '../../src/cli/rm.js';
import { ago, compactCount, dollars, formatTable, outputWidth, type Column } from '../../src/cli/table.js';
import { inCliWords, RUN_WORDS, WORKSPACE_WORDS } from '../../src/cli/words.js';

const A = 'ws_01m8xd8k0ftag5qpt02xkzzfrs';
const B = 'ws_01m8xd8k3qa1b2c3d4e5f6g7h8';
const C = 'ws_01m9aaaaaaaaaaaaaaaaaaaaaa';
const S = 'ses_01m8xd8k0ftag5qpt02xkzzfrs';
const candidates = [A, B, C].map((id) => ({ id, kind: 'workspace', label: `orchd/${id.slice(-8)}-x` }));

describe('ids by unique prefix', () => {
  const table: [string, string[]][] = [
    [A, [A]], // the whole id
    ['ws_01m8xd8k0', [A]],
    ['WS_01M8XD8K0', [A]], // case does not matter
    ['ws_01m8', [A, B]], // ambiguous
    ['01m8xd8k3', [B]], // the type prefix may be left out
    ['01m9', [C]],
    ['2xkzzfrs', [A]], // the short form in the branch name
    ['xkzzfrs', []], // a suffix that is not the whole short form
    ['ws_2xkzzfrs', []], // the short form has no type prefix
    ['ws_nope', []],
    ['', []],
    ['   ', []],
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)} → ${expected.length} match(es)`, () => assert.deepEqual(matchIds(input, candidates).map((c) => c.id), expected));
  }

  it('one match is the answer; none or several are one line naming what to do', () => {
    assert.equal(resolveId('ws_01m8xd8k0', candidates, 'workspace').id, A);
    assert.throws(() => resolveId('ws_nope', candidates, 'workspace'), (error: Error) => {
      assert.ok(error instanceof CliError);
      assert.equal(error.message, 'No workspace matches `ws_nope` (`orchd ls --all` lists them)');
      return true;
    });
    assert.throws(() => resolveId('ws_01m8', candidates, 'workspace'), (error: Error) => {
      assert.equal(error.message, `\`ws_01m8\` is ambiguous: it matches 2 workspaces: ${A} (orchd/2xkzzfrs-x), ${B} (orchd/g7h8-x); type more of the id`.replace('orchd/g7h8-x', `orchd/${B.slice(-8)}-x`));
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    const many = Array.from({ length: 8 }, (_, i) => ({ id: `ws_01m8${String(i).repeat(22)}`, kind: 'workspace' }));
    assert.match((() => { try { resolveId('ws_01m8', many, 'workspace'); } catch (error) { return (error as Error).message; } return ''; })(), /matches 8 workspaces: .* and 3 more; type more of the id$/);
  });

  it('abbreviates every shown id to one length that tells it apart from every id of its kind', () => {
    assert.equal(abbreviationLength([A, B, C], [A, B, C]), 'ws_01m8xd8k0'.length);
    assert.equal(abbreviationLength([C], [A, B, C]), 'ws_'.length + 8, 'never shorter than the type and 8 characters');
    assert.equal(abbreviationLength([S], [S]), 'ses_'.length + 8);
    // The ids hidden from the list still count: a shown prefix must not name two.
    assert.equal(abbreviationLength([A], [A, B]), 'ws_01m8xd8k0'.length);
    for (const id of [A, B, C]) assert.deepEqual(matchIds(id.slice(0, abbreviationLength([A, B, C], [A, B, C])), candidates).map((c) => c.id), [id]);
  });
});

describe('tables', () => {
  type Row = { id: string; task: string; branch: string; agent: string; status: string; tokens: string };
  const columns: Column<Row>[] = [
    { header: 'ID', cell: (r) => r.id },
    { header: 'TASK', cell: (r) => r.task, flexMin: 12 },
    { header: 'BRANCH', cell: (r) => r.branch, flexMin: 14, dropPriority: 1 },
    { header: 'AGENT', cell: (r) => r.agent, flexMin: 6 },
    { header: 'STATUS', cell: (r) => r.status },
    { header: 'TOKENS', cell: (r) => r.tokens, align: 'right' },
  ];
  const rows: Row[] = [
    { id: 'ws_01m8xd8k0', task: 'Add a settings page with a dark mode toggle and tests for it', branch: 'orchd/2xkzzfrs-add-a-settings-page-with-a-dark-mode', agent: 'claude-code', status: 'running', tokens: '12k' },
    { id: 'ws_01m8xd8k3', task: 'Fix the\nflaky test', branch: 'orchd/6g7h8abc-fix-the-flaky-test', agent: 'scripted-agent', status: 'completed', tokens: '980' },
  ];

  it('keeps whole cells when there is room', () => {
    const lines = formatTable(columns, rows);
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^ID {12}TASK +BRANCH +AGENT +STATUS +TOKENS$/);
    assert.ok(lines[1]!.includes('Add a settings page with a dark mode toggle and tests for it'));
    assert.ok(lines[2]!.includes('Fix the flaky test'), 'newlines in a cell become spaces');
    assert.ok(lines[2]!.endsWith('   980'), 'numbers are right-aligned');
  });

  for (const width of [120, 100, 80, 60]) {
    it(`fits ${width} columns`, () => {
      const lines = formatTable(columns, rows, width);
      for (const line of lines) assert.ok(line.length <= width, `${line.length} > ${width}: ${line}`);
      assert.match(lines[1]!, /^ws_01m8xd8k0 {2}Add a/, 'ids are never cut');
      assert.match(lines[1]!, /…/, 'a cut cell ends with …');
      assert.ok(lines.every((line) => line.includes('ws_') || line.startsWith('ID')));
    });
  }

  it('narrows the flexible columns before leaving the branch out, and leaves it out when even that is not enough', () => {
    assert.match(formatTable(columns, rows, 120)[0]!, /BRANCH/);
    assert.match(formatTable(columns, rows, 80)[0]!, /BRANCH/);
    assert.match(formatTable(columns, rows, 80)[2]!, /orchd\/6g7h8abc…/);
    assert.doesNotMatch(formatTable(columns, rows, 60)[0]!, /BRANCH/);
    assert.match(formatTable(columns, rows, 60)[2]!, /scripted-\S*/);
  });

  it('says time, counts and money in a few characters', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    assert.deepEqual(
      ['2026-01-01T23:59:58Z', '2026-01-01T23:55:00Z', '2026-01-01T21:00:00Z', '2025-12-29T00:00:00Z', null].map((t) => ago(t, now)),
      ['2s', '5m', '3h', '4d', '-'],
    );
    assert.deepEqual([0, 980, 1234, 12_345, 999_999, 4_500_000, null].map(compactCount), ['0', '980', '1.2k', '12k', '1000k', '4.5M', '-']);
    assert.deepEqual([0, 0.004, 0.0318, 12.4, null].map(dollars), ['$0.00', '<$0.01', '$0.03', '$12.40', '-']);
    assert.equal(outputWidth({ isTTY: true, columns: 97 }, {}), 97);
    assert.equal(outputWidth({ isTTY: false }, { COLUMNS: '80' }), 80);
    assert.equal(outputWidth({ isTTY: false }, {}), Number.POSITIVE_INFINITY, 'a pipe gets whole cells');
  });
});

describe('status words and usage totals', () => {
  const agent = (status: 'running' | 'completed' | 'failed' | 'killed') => ({ runReason: 'codingAgent' as const, status });
  const setup = (status: 'completed' | 'failed') => ({ runReason: 'setupScript' as const, status });
  it('a session: running, how its last agent turn ended, a setup that failed, or idle', () => {
    assert.equal(sessionOutcome({ status: 'running' }, [agent('completed')]), 'running');
    assert.equal(sessionOutcome({ status: 'idle' }, [agent('failed'), agent('completed')]), 'completed');
    assert.equal(sessionOutcome({ status: 'idle' }, [agent('completed'), agent('killed')]), 'stopped');
    assert.equal(sessionOutcome({ status: 'idle' }, [setup('failed')]), 'failed');
    assert.equal(sessionOutcome({ status: 'idle' }, []), 'idle');
  });
  it('a workspace: its state unless active, running, merged, else its latest session', () => {
    const idle = { session: { status: 'idle' as const }, executions: [agent('completed')] };
    const running = { session: { status: 'running' as const }, executions: [agent('running')] };
    assert.equal(workspaceStatus({ state: 'archived', mergedAt: null }, [idle]), 'archived');
    assert.equal(workspaceStatus({ state: 'active', mergedAt: '2026-01-01T00:00:00Z' }, [idle]), 'merged');
    assert.equal(workspaceStatus({ state: 'active', mergedAt: '2026-01-01T00:00:00Z' }, [idle, running]), 'running');
    assert.equal(workspaceStatus({ state: 'active', mergedAt: null }, [idle]), 'completed');
    assert.equal(workspaceStatus({ state: 'active', mergedAt: null }, []), 'idle');
  });
  it('adds usage totals; a figure nobody reported stays unknown', () => {
    const a = { inputTokens: 10, outputTokens: 5, cachedTokens: null, costUsd: null };
    const b = { inputTokens: 1, outputTokens: null, cachedTokens: 100, costUsd: 0.5 };
    assert.deepEqual(addUsage(a, b), { inputTokens: 11, outputTokens: 5, cachedTokens: 100, costUsd: 0.5 });
    assert.deepEqual(addUsage(null, a), a);
    assert.equal(addUsage(null, null), null);
    assert.equal(totalTokens(addUsage(a, b)), 116);
    assert.equal(totalTokens({ inputTokens: null, outputTokens: null, cachedTokens: null, costUsd: 1 }), null);
    assert.equal(totalTokens(null), null);
  });
});

describe('the rm question', () => {
  const workspace = { id: A, branch: 'orchd/2xkzzfrs-say-hi' } as Workspace;
  it('names the task and branch, and says what would be lost', () => {
    assert.equal(removalQuestion({ workspace, task: 'Say hi', uncommitted: 0, running: false }, { keepBranch: false }), `Remove workspace ${A} (task "Say hi", branch orchd/2xkzzfrs-say-hi)? [y/N] `);
    assert.equal(
      removalQuestion({ workspace, task: 'Say hi', uncommitted: 3, running: true }, { keepBranch: true }),
      `Remove workspace ${A} (task "Say hi", branch orchd/2xkzzfrs-say-hi (kept), 3 uncommitted files that will be lost, its running session is stopped first)? [y/N] `,
    );
    assert.match(removalQuestion({ workspace, task: null, uncommitted: 1, running: false }, { keepBranch: false }), /\(branch orchd\/2xkzzfrs-say-hi, 1 uncommitted file that will be lost\)/);
  });
});

describe('protocol errors in the CLI’s words', () => {
  const table: [string, string][] = [
    ['Expected `repositories[0].path` to be a git repository, got `/tmp/x`', 'Expected `--repo` to be a git repository, got `/tmp/x`'],
    ['Invalid params for `project/create`: Expected `repositories.0.path` to satisfy min length 1, got 0', 'Expected `--repo` to satisfy min length 1, got 0'],
    ['Expected `baseBranch` to name an existing branch in `my-app`, got `mian`', 'Expected `--base` to name an existing branch in `my-app`, got `mian`'],
    ['Invalid params for `session/start`: Expected `model` to satisfy regex, got "-x"', 'Expected `--model` to satisfy regex, got "-x"'],
    // A value after `got` is what was typed, never a field, even when it is spelled like one.
    ['Expected `profile` to name a profile of the project, got `model`', 'Expected `--profile` to name a profile of the project, got `model`'],
    // Nothing to map: unchanged, preamble included.
    ['Invalid params for `session/start`: Expected `prompt` to be string, got number', 'Invalid params for `session/start`: Expected `prompt` to be string, got number'],
  ];
  for (const [message, said] of table) it(message, () => assert.equal(inCliWords(message, RUN_WORDS), said));
  it('a workspace id is the WORKSPACE_ID typed', () => {
    assert.equal(inCliWords('Expected `workspaceId` to name an existing workspace, got `ws_x`', WORKSPACE_WORDS), 'Expected `WORKSPACE_ID` to name an existing workspace, got `ws_x`');
    assert.equal(inCliWords('Expected `cwd` to lie inside the workspace, got `/`', WORKSPACE_WORDS), 'Expected `--cwd` to lie inside the workspace, got `/`');
  });
});
