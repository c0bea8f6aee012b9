// Fidelity of the normalizers on captures (issue 15, "Fidelity" 1-5, 7, 8; the over-long lines of item 6 are in
// huge-lines.test.ts, the session totals in test/inproc/session-usage.test.ts). Recorded captures come from the real
// CLIs (fixtures/captures/README.md); the `written-*` ones are written by hand from cited shapes (their .meta.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { NormalizedEntry } from '../../protocol/entries.js';
import { createAmpNormalizer } from '../../src/executors/amp.js';
import { getExecutor } from '../../src/executors/registry.js';
import { createAcpNormalizer } from '../../src/normalizers/acp.js';
import { createClaudeNormalizer } from '../../src/normalizers/claude-stream-json.js';
import { createCodexNormalizer } from '../../src/normalizers/codex-app-server.js';
import { createDroidNormalizer } from '../../src/normalizers/droid-stream-json.js';
import { NORMALIZER_FORMATS } from '../../src/normalizers/formats.js';
import { createGeminiStreamJsonNormalizer } from '../../src/normalizers/gemini-stream-json.js';
import { createOpencodeRunNormalizer } from '../../src/normalizers/opencode.js';
import type { EntryDraft, Normalizer, NormalizerOptions, RawStream } from '../../src/normalizers/types.js';
import { ROOT } from '../support/client.js';
import { captureLines } from '../support/captures.js';

const CAPTURES = join(ROOT, 'fixtures', 'captures');
type Line = { line: string; stream: RawStream };
/** A capture by its path under fixtures/captures. */
const capture = (name: string): Line[] => captureLines(join(CAPTURES, name));
type Tool = Extract<EntryDraft, { type: 'toolCall' }>;
type Usage = Extract<EntryDraft, { type: 'usage' }>;

/** The stdout of a capture's first run, kept in its meta notes (`first run stdout: <line>`). */
function firstRun(name: string): Line[] {
  const meta = JSON.parse(readFileSync(join(CAPTURES, name.replace(/\.jsonl$/, '.meta.json')), 'utf8')) as { notes: string[] };
  const prefix = 'first run stdout: ';
  return meta.notes.filter((n) => n.startsWith(prefix)).map((n) => ({ line: n.slice(prefix.length), stream: 'stdout' as const }));
}

/** Replay lines; the final state of each entry, every upsert in order, and the unknown count. */
function replay(normalizer: Normalizer, lines: Line[]): { entries: EntryDraft[]; upserts: EntryDraft[]; unknown: number } {
  const byId = new Map<string, EntryDraft>();
  const upserts: EntryDraft[] = [];
  for (const { line, stream } of lines) {
    for (const entry of normalizer.push(line, stream)) {
      byId.set(entry.id, entry);
      upserts.push(entry);
    }
  }
  for (const entry of byId.values()) assert.ok(v.safeParse(NormalizedEntry, { ...entry, executionId: 'exe_test' }).success, `schema-valid: ${JSON.stringify(entry).slice(0, 300)}`);
  return { entries: [...byId.values()], upserts, unknown: normalizer.unknownLines };
}

const tools = (entries: EntryDraft[]) => entries.filter((e): e is Tool => e.type === 'toolCall');
const usages = (entries: EntryDraft[]) => entries.filter((e): e is Usage => e.type === 'usage');
/** The figures that add up across turns, in a usage entry. */
const figures = (u: Usage) => [u.inputTokens, u.cacheReadTokens, u.outputTokens, u.costUsd];
const claude = () => getExecutor('claude-code').createNormalizer();

describe('1. Claude denials by its own permission mode', () => {
  it('a call in the result line`s permission_denials is denied, with the tool result as the reason (claude/print-self-deny-edit)', () => {
    const lines = capture('claude/print-self-deny-edit.jsonl');
    const { entries, upserts } = replay(claude(), lines);
    const [write] = tools(entries);
    assert.deepEqual([write?.name, write?.status, write?.exitCode], ['Write', 'denied', null]);
    assert.match(write!.output ?? '', /^Claude requested permissions to write to .*hello\.txt, but you haven't granted it yet\.$/);
    // The tool result comes first and says only is_error: the call is failed until the result line denies it.
    assert.deepEqual(
      upserts.filter((e) => e.id === write!.id).map((e) => (e as Tool).status),
      ['pending', 'failed', 'denied'],
    );
  });

  it('a denial orchd answered on the control protocol stays denied (claude/stream-json-edit-deny)', () => {
    const [write] = tools(replay(claude(), capture('claude/stream-json-edit-deny.jsonl')).entries);
    assert.deepEqual([write?.status, write?.output], ['denied', 'The host declined this edit']);
  });
});

describe('2. statuses come from structured fields, never from words in a tool`s output', () => {
  it('Claude: a Bash command whose output says "Permission denied" failed, with its exit code (claude/print-bash-permission-error)', () => {
    const [bash] = tools(replay(claude(), capture('claude/print-bash-permission-error.jsonl')).entries);
    assert.deepEqual([bash?.kind, bash?.status, bash?.exitCode], ['command', 'failed', 126]);
    assert.match(bash!.output ?? '', /Permission denied/);
  });

  it('Gemini: a file the OS refused failed, a call the policy refused is denied (gemini/written-stream-json-tool-errors)', () => {
    const calls = tools(replay(createGeminiStreamJsonNormalizer(), capture('gemini/written-stream-json-tool-errors.jsonl')).entries);
    assert.deepEqual(
      calls.map((c) => [c.name, c.kind, c.status]),
      [
        ['read_file', 'read', 'failed'],
        ['run_shell_command', 'command', 'denied'],
      ],
    );
    assert.match(calls[0]!.output ?? '', /EACCES: permission denied/);
  });

  it("OpenCode run: only OpenCode's own permission errors deny; a tool's EACCES fails (opencode/orchd-run-rejected)", () => {
    const lines = capture('opencode/orchd-run-rejected.jsonl');
    assert.equal(tools(replay(createOpencodeRunNormalizer(), lines).entries)[0]?.status, 'denied');
    const eacces = lines.map((l) => ({ ...l, line: l.line.replace('The user rejected permission to use this specific tool call.', "EACCES: permission denied, open '/root/secret'") }));
    const [call] = tools(replay(createOpencodeRunNormalizer(), eacces).entries);
    assert.deepEqual([call?.status, call?.output], ['failed', "EACCES: permission denied, open '/root/secret'"]);
  });

  it('Droid: a failed command that printed "permission denied" failed', () => {
    const lines = [
      { type: 'tool_call', id: 'c1', toolId: 'Execute', toolName: 'Execute', parameters: { command: 'cat /root/secret' } },
      { type: 'tool_result', id: 'c1', toolId: 'Execute', isError: true, value: 'cat: /root/secret: Permission denied\n\n[Process exited with code 1]' },
    ].map((m) => ({ line: JSON.stringify(m), stream: 'stdout' as const }));
    const [call] = tools(replay(createDroidNormalizer(), lines).entries);
    assert.deepEqual([call?.status, call?.exitCode], ['failed', 1]);
  });

  it('Codex exec: the item`s status and exit code decide', () => {
    const lines = [
      { type: 'thread.started', thread_id: 't' },
      { type: 'item.completed', item: { id: 'item_1', type: 'command_execution', command: 'cat /root/secret', aggregated_output: 'cat: /root/secret: Permission denied\n', exit_code: 1, status: 'failed' } },
    ].map((m) => ({ line: JSON.stringify(m), stream: 'stdout' as const }));
    const [call] = tools(replay(createCodexNormalizer(), lines).entries);
    assert.deepEqual([call?.status, call?.exitCode], ['failed', 1]);
  });
});

describe('3. usage entries count their own turn', () => {
  it('codex exec: a resumed process reports the thread`s total; with the earlier turns as baseline the entry is the turn (codex/exec-resume-usage)', () => {
    const first = usages(replay(createCodexNormalizer(), firstRun('codex/exec-resume-usage.jsonl')).entries);
    assert.deepEqual(first.map(figures), [[7141, 0, 2, null]]);
    const thread = '01a2483b-d83a-75f3-a8ac-521e19e4b5a9';
    const options: NormalizerOptions = { usageBaseline: { agentSessionId: thread, inputTokens: 7141, cacheReadTokens: 0, outputTokens: 2, costUsd: null } };
    const resumed = replay(createCodexNormalizer(options), capture('codex/exec-resume-usage.jsonl'));
    assert.deepEqual(usages(resumed.entries).map(figures), [[14368 - 7141, 0, 2, null]]);
    // Without the baseline the log alone cannot tell: the running total is taken as is.
    assert.deepEqual(usages(replay(createCodexNormalizer(), capture('codex/exec-resume-usage.jsonl')).entries).map(figures), [[14368, 0, 4, null]]);
    // A baseline of another thread does not apply.
    const other = createCodexNormalizer({ usageBaseline: { ...options.usageBaseline!, agentSessionId: 'another' } });
    assert.deepEqual(usages(replay(other, capture('codex/exec-resume-usage.jsonl')).entries).map(figures), [[14368, 0, 4, null]]);
  });

  it('Qwen: result.usage is the session`s running total, in one process (qwen/stream-json-two-turns) and across a resume (qwen/stream-json-resume-usage)', () => {
    const twoTurns = usages(replay(getExecutor('qwen-code').createNormalizer(), capture('qwen/stream-json-two-turns.jsonl')).entries);
    assert.deepEqual(twoTurns.map(figures), [
      [16671, 0, 3, null],
      [33416 - 16671, 0, 3, null],
    ]);
    const first = usages(replay(createClaudeNormalizer(), firstRun('qwen/stream-json-resume-usage.jsonl')).entries);
    assert.deepEqual(first.map(figures), [[16736, 0, 3, null]]);
    const session = 'a88f3c8c-b5e3-45fa-93b2-795f228f0885';
    const resumed = createClaudeNormalizer({ usageBaseline: { agentSessionId: session, inputTokens: 16736, cacheReadTokens: 0, outputTokens: 3, costUsd: null } });
    assert.deepEqual(usages(replay(resumed, capture('qwen/stream-json-resume-usage.jsonl')).entries).map(figures), [[33545 - 16736, 0, 3, null]]);
  });

  it('Claude: total_cost_usd is the process`s running total, tokens are per turn (claude/stream-json-two-turns)', () => {
    const [first, second] = usages(replay(claude(), capture('claude/stream-json-two-turns.jsonl')).entries);
    assert.deepEqual([first?.inputTokens, first?.outputTokens, first?.costUsd], [1661, 2, 0.008355]);
    assert.deepEqual([second?.inputTokens, second?.outputTokens], [1704, 2]);
    assert.ok(Math.abs(second!.costUsd! - (0.016925 - 0.008355)) < 1e-12, `the second turn cost ${second!.costUsd}`);
    // A resumed Claude process starts its cost from zero (claude/stream-json-resume): no baseline applies to it.
    const resumed = usages(replay(createClaudeNormalizer({ usageBaseline: { agentSessionId: '*', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, costUsd: 1 } }), capture('claude/stream-json-resume.jsonl')).entries);
    assert.deepEqual(resumed.map((u) => u.costUsd), [0.00857]);
  });
});

describe("4. Claude's Bash results and newer fields", () => {
  it('keeps the files a command changed (bashEditDiff) and the interruption (claude/written-bash-edit-diff)', () => {
    const { entries, unknown } = replay(claude(), capture('claude/written-bash-edit-diff.jsonl'));
    assert.equal(unknown, 0, 'new fields (request_id, timestamps, modelUsage) are read past');
    const [sed, sleep] = tools(entries);
    assert.deepEqual([sed?.status, sed?.exitCode, sed?.interrupted], ['succeeded', 0, undefined]);
    assert.deepEqual(sed?.changedFiles, [
      { path: 'hello.txt', change: 'modified', diff: '--- a/hello.txt\n+++ b/hello.txt\n@@ -1,1 +1,1 @@\n-hi\n+hello\n' },
      { path: 'new.txt', change: 'created', diff: '--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,1 @@\n+x\n' },
    ]);
    assert.equal(sed?.diff, sed!.changedFiles!.map((f) => f.diff).join(''), 'the diff field shows them too');
    assert.deepEqual([sleep?.status, sleep?.interrupted, sleep?.output], ['failed', true, '<error>Command was aborted before completion</error>']);
  });

  it("uses the agent's timestamps for entries, keeping an entry's stamp when a later line without one changes it", () => {
    const { entries } = replay(claude(), capture('claude/written-bash-edit-diff.jsonl'));
    const at = Object.fromEntries(entries.map((e) => [e.type === 'toolCall' ? e.toolCallId : e.type, e.at]));
    assert.deepEqual([at.systemInfo, at.toolu_01SedEdit, at.toolu_01Sleep, at.assistantMessage, at.usage], [
      '2026-12-05T10:00:00.120Z',
      '2026-12-05T10:00:01.310Z',
      '2026-12-05T10:00:03.020Z',
      '2026-12-05T10:00:03.400Z',
      '2026-12-05T10:00:03.420Z',
    ]);
    // Recorded 2.1.197: only user lines carry a timestamp.
    const [write] = tools(replay(claude(), capture('claude/stream-json-edit-allow.jsonl')).entries);
    assert.equal(write?.at, '2026-12-03T07:28:30.316Z');
  });

  it("a successful command keeps its output and exit code 0; a run's tool_use_result for an edit is not a command's (claude/print-bash-ok, print-edit)", () => {
    const [bash] = tools(replay(claude(), capture('claude/print-bash-ok.jsonl')).entries);
    assert.deepEqual([bash?.status, bash?.exitCode, bash?.output, 'interrupted' in bash!, 'changedFiles' in bash!], ['succeeded', 0, 'out\nerr', false, false]);
    const [write] = tools(replay(claude(), capture('claude/print-edit.jsonl')).entries);
    assert.deepEqual([write?.status, 'changedFiles' in write!], ['succeeded', false]);
  });
});

describe('5. lines of the wrong shape', () => {
  it('`{"type":"assistant","message":{"content":[null]}}` does not throw in the Claude or Amp normalizer', () => {
    for (const normalizer of [createClaudeNormalizer(), createAmpNormalizer()]) {
      const { entries, unknown } = replay(normalizer, [{ line: '{"type":"assistant","message":{"content":[null]}}', stream: 'stdout' }]);
      assert.deepEqual(
        entries.map((e) => e.type === 'raw' && e.line),
        ['null'],
      );
      assert.equal(unknown, 1);
    }
  });

  it('an ACP diff whose oldText is not a string does not throw: the diff shows the new text', () => {
    const update = { jsonrpc: '2.0', method: 'session/update', params: { sessionId: 's', update: { sessionUpdate: 'tool_call', toolCallId: 't1', title: 'edit', kind: 'edit', status: 'pending', content: [{ type: 'diff', path: 'a.txt', oldText: 42, newText: 'x' }] } } };
    const [call] = tools(replay(createAcpNormalizer(), [{ line: JSON.stringify(update), stream: 'stdout' }]).entries);
    assert.equal(call?.diff, '--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1,1 @@\n+x\n');
  });
});

describe('7. stderr lines are the agent`s diagnostics', () => {
  it('every normalizer keeps a stderr line as a raw entry of kind diagnostic, not counted as unknown', () => {
    const factories: [string, () => Normalizer][] = [...Object.entries(NORMALIZER_FORMATS).map(([name, format]) => [name, () => format.create()] as [string, () => Normalizer]), ['amp', createAmpNormalizer]];
    for (const [name, create] of factories) {
      const { entries, unknown } = replay(create(), [{ line: 'Reading additional input from stdin...', stream: 'stderr' }]);
      assert.equal(unknown, 0, name);
      // cursor-agent writes its failures to stderr and nothing else there (documented): its stderr lines are errors.
      if (name === 'cursor-stream-json') {
        assert.deepEqual(entries.map((e) => e.type), ['error'], name);
        continue;
      }
      assert.deepEqual(
        entries.map((e) => e.type === 'raw' && [e.stream, e.kind, e.line]),
        [['stderr', 'diagnostic', 'Reading additional input from stdin...']],
        name,
      );
    }
  });

  it("Codex exec's stderr warning in a recorded run (codex/exec-resume-usage)", () => {
    const { entries, unknown } = replay(getExecutor('codex-exec').createNormalizer(), capture('codex/exec-resume-usage.jsonl'));
    assert.equal(unknown, 0);
    assert.ok(entries.some((e) => e.type === 'raw' && e.kind === 'diagnostic' && e.line.startsWith('WARNING: proceeding')));
  });
});

describe('8. Gemini headless stream-json', () => {
  it('reads an edit: the tool call with its path and diff, the answer, usage and the session id (gemini/stream-json-edit)', () => {
    const { entries, unknown } = replay(createGeminiStreamJsonNormalizer(), capture('gemini/stream-json-edit.jsonl'));
    assert.equal(unknown, 0);
    assert.deepEqual(
      entries.map((e) => e.type),
      ['systemInfo', 'agentSession', 'toolCall', 'assistantMessage', 'usage'],
    );
    const [write] = tools(entries);
    assert.deepEqual([write?.name, write?.kind, write?.status, write?.path, write?.diff], ['write_file', 'edit', 'succeeded', 'hello.txt', '--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1,1 @@\n+hi\n']);
    assert.equal(write?.at, '2026-12-03T07:28:47.894Z');
    assert.deepEqual(entries.find((e) => e.type === 'agentSession'), { id: 'agent-session', type: 'agentSession', agentSessionId: '1df3bf10-0b74-448d-b04a-d2f3ffc4802e', at: '2026-12-03T07:28:47.793Z' });
    assert.deepEqual(
      entries.filter((e) => e.type === 'assistantMessage').map((e) => e.type === 'assistantMessage' && e.text),
      ['done'],
    );
    const [usage] = usages(entries);
    assert.deepEqual([usage?.inputTokens, usage?.outputTokens, usage?.cacheReadTokens, usage?.durationMs], [745, 34, 0, 110]);
  });

  it('joins streamed chunks into one message (gemini/stream-json-resume) and reads an API error (gemini/stream-json-error)', () => {
    const resume = replay(createGeminiStreamJsonNormalizer(), capture('gemini/stream-json-resume.jsonl'));
    assert.deepEqual(
      resume.entries.filter((e) => e.type === 'assistantMessage').map((e) => e.type === 'assistantMessage' && e.text),
      ['second answer'],
    );
    const error = replay(createGeminiStreamJsonNormalizer(), capture('gemini/stream-json-error.jsonl'));
    assert.equal(error.unknown, 0);
    assert.deepEqual(
      error.entries.filter((e) => e.type === 'error').map((e) => e.type === 'error' && e.message),
      ['mock error scenario (status 400) (INVALID_ARGUMENT)'],
    );
    assert.equal(usages(error.entries).length, 1);
  });

  it('the gemini executor reads both formats, each capture with nothing unknown', () => {
    for (const name of ['stream-json-edit', 'stream-json-resume', 'stream-json-error', 'written-stream-json-tool-errors', 'acp-edit-allow', 'acp-edit-reject', 'orchd-edit-allow', 'orchd-load-deny']) {
      const { entries, unknown } = replay(getExecutor('gemini').createNormalizer(), capture(`gemini/${name}.jsonl`));
      assert.equal(unknown, 0, name);
      assert.ok(entries.some((e) => e.type === 'agentSession'), `${name}: the session id`);
    }
    assert.equal(NORMALIZER_FORMATS['gemini-stream-json'].create, createGeminiStreamJsonNormalizer);
  });
});
