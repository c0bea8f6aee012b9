// Qwen Code and OpenCode captures (fixtures/captures, see its README) through the normalizer each executor uses:
// nothing unknown, every tool call paired with its result and ended, the session id and usage extracted where the
// format carries them, and a replay of the same lines yields the same entries. Qwen runs on stream-json (the Claude
// normalizer) and OpenCode on ACP (the ACP normalizer); the other mode of each is read too: Qwen's ACP capture with the
// ACP normalizer, OpenCode's `run --format json` captures with src/normalizers/opencode.ts.
// qwen/orchd-stream-json/*.jsonl and opencode/orchd-*.jsonl are written by test/real-agents/{qwen,opencode}-driver.test.ts
// with ORCHD_RECORD_CAPTURES=1 (Qwen's in a folder of their own: test/unit/acp-normalizer.test.ts reads
// qwen/orchd-*.jsonl as ACP), except
// opencode/orchd-run-rejected.jsonl: `opencode run --format json` 1.18.33 with `OPENCODE_PERMISSION={"edit":"ask"}`,
// which auto-rejects the edit (stdout as printed).
// Also the executors' pure parts: argv, approval modes and environment.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { opencodeConfigContent, opencodeEnvironment, opencodeExecutor, opencodePermission } from '../../src/executors/opencode.js';
import { qwenApprovalMode, qwenArguments, qwenExecutor } from '../../src/executors/qwen.js';
import type { AgentTurnRequest } from '../../src/executors/types.js';
import { createAcpNormalizer } from '../../src/normalizers/acp.js';
import { createOpencodeRunNormalizer } from '../../src/normalizers/opencode.js';
import type { EntryDraft, Normalizer, RawStream } from '../../src/normalizers/types.js';
import { ROOT } from '../support/client.js';
import { captureLines } from '../support/captures.js';

const CAPTURES = join(ROOT, 'fixtures', 'captures');

type Line = { line: string; stream: RawStream };
type Json = Record<string, any>;
type ToolEntry = Extract<EntryDraft, { type: 'toolCall' }>;

function replay(create: () => Normalizer, lines: Line[]): { entries: EntryDraft[]; unknown: number } {
  const normalizer = create();
  const byId = new Map<string, EntryDraft>();
  for (const { line, stream } of lines) for (const entry of normalizer.push(line, stream)) byId.set(entry.id, entry);
  return { entries: [...byId.values()], unknown: normalizer.unknownLines };
}

const parsed = (lines: Line[], stream: RawStream) => lines.filter((l) => l.stream === stream).map((l) => JSON.parse(l.line.slice(l.line.indexOf('{'))) as Json);

/** What a format carries, read off the raw lines: the session id and whether it reports usage. */
interface Carried {
  sessionId: string | null;
  usage: boolean;
  /** Tool call ids the agent reported, in any form. */
  toolCallIds: string[];
}

/** Claude-shaped stream-json: the id on `system/init`, usage on `result`, tool calls as `tool_use` blocks. */
function streamJsonCarries(lines: Line[]): Carried {
  const out = parsed(lines, 'stdout');
  const init = out.find((m) => m.type === 'system' && m.subtype === 'init');
  const toolCallIds = out.flatMap((m) => (m.type === 'assistant' ? (m.message?.content ?? []).filter((b: Json) => b.type === 'tool_use').map((b: Json) => b.id as string) : []));
  return { sessionId: init?.session_id ?? null, usage: out.some((m) => m.type === 'result' && m.usage), toolCallIds };
}

/** ACP: the id from `session/new` (or the one loaded or resumed), usage on the prompt's result, tool calls as updates
 * and permission requests. Qwen 0.15 sends usage only in `_meta.usage` of message chunks, which orchd does not read. */
function acpCarries(lines: Line[]): Carried {
  const ours = parsed(lines, 'stdin');
  const theirs = parsed(lines, 'stdout');
  const idOf = (method: string) => ours.find((m) => m.method === method)?.id;
  const created = theirs.find((m) => m.id === idOf('session/new') && !m.method)?.result?.sessionId;
  const continued = ours.find((m) => m.method === 'session/resume' || m.method === 'session/load')?.params?.sessionId;
  const prompt = theirs.find((m) => m.id === idOf('session/prompt') && !m.method);
  const toolCallIds = theirs.flatMap((m) => {
    const id = m.params?.update?.toolCallId ?? m.params?.toolCall?.toolCallId;
    return typeof id === 'string' ? [id] : [];
  });
  return { sessionId: created ?? continued ?? null, usage: Boolean(prompt?.result?.usage), toolCallIds: [...new Set(toolCallIds)] };
}

/** `opencode run --format json`: `sessionID` on every line, usage on `step_finish`, tool calls as `tool_use`. */
function runCarries(lines: Line[]): Carried {
  const out = parsed(lines, 'stdout');
  return {
    sessionId: out[0]?.sessionID ?? null,
    usage: out.some((m) => m.type === 'step_finish'),
    toolCallIds: out.filter((m) => m.type === 'tool_use').map((m) => m.part.callID as string),
  };
}

interface Suite {
  name: string;
  dir: string;
  match: RegExp;
  create: () => Normalizer;
  carries: (lines: Line[]) => Carried;
}

const SUITES: Suite[] = [
  { name: 'qwen stream-json (recorded)', dir: 'qwen', match: /^stream-json-.*\.jsonl$/, create: qwenExecutor.createNormalizer, carries: streamJsonCarries },
  { name: 'qwen stream-json (the qwen-code executor)', dir: 'qwen/orchd-stream-json', match: /\.jsonl$/, create: qwenExecutor.createNormalizer, carries: streamJsonCarries },
  { name: 'qwen ACP', dir: 'qwen', match: /^acp-.*\.jsonl$/, create: createAcpNormalizer, carries: acpCarries },
  { name: 'opencode ACP (the opencode executor)', dir: 'opencode', match: /^orchd-(?!run-).*\.jsonl$/, create: opencodeExecutor.createNormalizer, carries: acpCarries },
  { name: 'opencode run --format json', dir: 'opencode', match: /^(orchd-)?run-.*\.jsonl$/, create: createOpencodeRunNormalizer, carries: runCarries },
];

/** File-specific expectations on top of the common ones. */
const EXPECT: Record<string, (entries: EntryDraft[]) => void> = {
  'qwen/stream-json-control-allow.jsonl': (e) => expectEdit(e, 'succeeded'),
  'qwen/stream-json-control-deny.jsonl': (e) => expectEdit(e, 'denied'),
  'qwen/stream-json-edit.jsonl': (e) => expectEdit(e, 'succeeded'),
  // Qwen reports an API error as an assistant text and a success result.
  'qwen/stream-json-error.jsonl': (e) => assert.ok(texts(e).some((t) => t.startsWith('[API Error: 400'))),
  'qwen/orchd-stream-json/api-error.jsonl': (e) => assert.ok(texts(e).some((t) => t.startsWith('[API Error: 400 mock says no'))),
  'qwen/orchd-stream-json/edit-allow.jsonl': (e) => {
    expectEdit(e, 'succeeded');
    assert.deepEqual(texts(e), ['done'], 'the streamed partial and the final message are one entry');
  },
  'qwen/orchd-stream-json/resume-deny.jsonl': (e) => expectEdit(e, 'denied'),
  'qwen/orchd-stream-json/auto-edit.jsonl': (e) => expectEdit(e, 'succeeded'),
  'qwen/orchd-stream-json/shell-allow-session.jsonl': (e) => {
    const [call] = tools(e);
    assert.deepEqual([call?.kind, call?.status, call?.command], ['command', 'succeeded', 'echo shell > shell.txt']);
  },
  'qwen/orchd-stream-json/interrupt.jsonl': (e) => {
    const [text, ...more] = texts(e);
    assert.deepEqual(more, []);
    assert.match(text ?? '', /^slow0 slow1 slow2 slow3 /, 'the partial text before the interrupt is an entry');
  },
  'qwen/orchd-stream-json/interrupt-approval.jsonl': (e) => assert.deepEqual(tools(e).map((t) => t.status), ['failed']),
  'qwen/orchd-stream-json/no-auth.jsonl': (e) => assert.ok(e.some((x) => x.type === 'error')),
  'qwen/acp-edit-allow.jsonl': (e) => expectEdit(e, 'succeeded', 'hello.txt'),
  'opencode/orchd-edit-allow.jsonl': (e) => {
    expectEdit(e, 'succeeded', 'hello.txt');
    const system = e.find((x) => x.type === 'systemInfo');
    assert.ok(system?.type === 'systemInfo' && system.agentVersion === '1.18.33');
  },
  'opencode/orchd-resume-deny.jsonl': (e) => expectEdit(e, 'denied', 'denied.txt'),
  'opencode/orchd-accept-edits.jsonl': (e) => expectEdit(e, 'succeeded', 'auto.txt'),
  'opencode/orchd-shell-allow.jsonl': (e) => {
    const [call] = tools(e);
    assert.deepEqual([call?.kind, call?.status, call?.command], ['command', 'succeeded', 'echo shell > shell.txt']);
  },
  'opencode/orchd-cancel-approval.jsonl': (e) => expectEdit(e, 'denied'),
  'opencode/orchd-resume-cancel.jsonl': (e) => {
    assert.match(texts(e)[0] ?? '', /^slow0 slow1 slow2 slow3 /);
    assert.ok(!e.some((x) => x.type === 'error'), 'a cancel is not an error');
  },
  'opencode/orchd-api-error.jsonl': (e) => assert.match(errors(e)[0] ?? '', /mock says no/),
  'opencode/run-edit.jsonl': (e) => {
    const edit = expectEdit(e, 'succeeded');
    assert.equal(edit.diff, `--- /dev/null\n+++ b/${edit.path}\n@@ -0,0 +1,1 @@\n+hi\n`);
    assert.deepEqual(texts(e), ['done']);
    const usage = e.find((x) => x.type === 'usage');
    assert.deepEqual(usage?.type === 'usage' && [usage.inputTokens, usage.outputTokens, usage.costUsd], [2470 + 2557, 21 + 1, 0], 'steps add up');
  },
  'opencode/orchd-run-rejected.jsonl': (e) => {
    const edit = expectEdit(e, 'denied');
    assert.equal(edit.output, 'The user rejected permission to use this specific tool call.');
  },
  'opencode/run-resume.jsonl': (e) => assert.deepEqual(texts(e), ['second answer']),
  'opencode/run-error.jsonl': (e) => assert.deepEqual(errors(e), ['mock error scenario (status 400) (HTTP 400)']),
};

const tools = (entries: EntryDraft[]) => entries.filter((e): e is ToolEntry => e.type === 'toolCall');
const texts = (entries: EntryDraft[]) => entries.flatMap((e) => (e.type === 'assistantMessage' ? [e.text] : []));
const errors = (entries: EntryDraft[]) => entries.flatMap((e) => (e.type === 'error' ? [e.message] : []));

function expectEdit(entries: EntryDraft[], status: 'succeeded' | 'denied', path?: string): ToolEntry {
  const edit = tools(entries).find((t) => t.kind === 'edit');
  assert.ok(edit, `an edit tool call: ${JSON.stringify(tools(entries))}`);
  assert.equal(edit.status, status);
  assert.ok(edit.path, 'the edit names its file');
  if (path) assert.equal(edit.path, path);
  return edit;
}

for (const suite of SUITES) {
  const files = readdirSync(join(CAPTURES, suite.dir)).filter((f) => suite.match.test(f)).sort();
  describe(`captures: ${suite.name}`, () => {
    it('has captures to read', () => assert.ok(files.length > 0, `no ${suite.match} captures in ${suite.dir}`));
    for (const file of files) {
      it(file, () => {
        const lines = captureLines(join(CAPTURES, suite.dir, file));
        const { entries, unknown } = replay(suite.create, lines);
        assert.equal(unknown, 0, `unknown lines: ${entries.filter((e) => e.type === 'raw').map((e) => e.type === 'raw' && e.line.slice(0, 120)).join('\n')}`);
        assert.deepEqual(replay(suite.create, lines).entries, entries, 'replay yields the same entries');

        const carried = suite.carries(lines);
        const calls = tools(entries);
        assert.deepEqual(calls.map((c) => c.toolCallId).sort(), [...carried.toolCallIds].sort(), 'one entry per tool call');
        for (const call of calls) assert.ok(['succeeded', 'failed', 'denied'].includes(call.status), `tool call ${call.toolCallId} (${call.name}) ends ${call.status}, not paired with its result`);

        const session = entries.find((e) => e.type === 'agentSession');
        assert.equal(session?.type === 'agentSession' ? session.agentSessionId : null, carried.sessionId, 'the agent session id');
        const usage = entries.find((e) => e.type === 'usage');
        assert.equal(Boolean(usage), carried.usage, carried.usage ? 'usage is extracted' : 'no usage is invented');
        EXPECT[`${suite.dir}/${file}`]?.(entries);
      });
    }
  });
}

describe('every capture with an expectation is read by a suite', () => {
  it('names existing files', () => {
    for (const key of Object.keys(EXPECT)) {
      const dir = key.slice(0, key.lastIndexOf('/'));
      const file = key.slice(key.lastIndexOf('/') + 1);
      assert.ok(SUITES.some((s) => s.dir === dir && s.match.test(file)) && readdirSync(join(CAPTURES, dir)).includes(file), key);
    }
  });
});

const request = (profile: Partial<AgentTurnRequest['profile']> = {}, fields: Partial<AgentTurnRequest> = {}): AgentTurnRequest => ({
  cwd: '/work',
  prompt: 'hi',
  resumeAgentSessionId: null,
  env: {},
  profile: { model: null, permissionMode: null, extraArgs: [], env: {}, ...profile },
  ...fields,
});

describe('qwen-code executor: argv', () => {
  const base = ['--input-format', 'stream-json', '--output-format', 'stream-json', '--include-partial-messages', '--approval-mode'];
  const cases: [string, AgentTurnRequest, string[]][] = [
    ['default: auto-edit', request(), [...base, 'auto-edit']],
    ['Qwen mode', request({ permissionMode: 'yolo' }), [...base, 'yolo']],
    ['Claude mode name', request({ permissionMode: 'acceptEdits' }), [...base, 'auto-edit']],
    ['model, resume, extra args last', request({ model: 'qwen3-coder', extraArgs: ['--auth-type', 'openai'] }, { resumeAgentSessionId: 'b5c1-odd-id' }), [...base, 'auto-edit', '--model=qwen3-coder', '--resume=b5c1-odd-id', '--auth-type', 'openai']],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.deepEqual(qwenArguments(input), expected));
  it('refuses a model or resume id that starts with `-`, even in the `=` form', () => {
    assert.throws(() => qwenArguments(request({ model: '--yolo' })), /^OrchdError: Expected `model` not to start with `-`, got `--yolo`$/);
    assert.throws(() => qwenArguments(request({}, { resumeAgentSessionId: '-odd-id' })), /^OrchdError: Expected `resumeAgentSessionId` not to start with `-`, got `-odd-id`$/);
  });
  it('maps every Claude mode', () => {
    assert.deepEqual(['default', 'acceptEdits', 'plan', 'bypassPermissions', 'auto_edit', 'custom'].map(qwenApprovalMode), ['default', 'auto-edit', 'plan', 'yolo', 'auto-edit', 'custom']);
  });
  it('passes the environment through untouched (auth is the user’s)', () => {
    const env = { PATH: '/bin', OPENAI_API_KEY: 'k', ORCHD_QWEN_PATH: '/opt/qwen' };
    const launch = qwenExecutor.prepare(request({}, { env }), { requestApproval: () => new Promise(() => {}), warn: () => {} });
    assert.equal(launch.env, env);
    assert.equal(launch.argv[0], '/opt/qwen');
    assert.ok(!launch.argv.includes('--auth-type'));
  });
});

describe('opencode executor: environment', () => {
  it('permission config per mode, the default asking before commands only', () => {
    assert.deepEqual(JSON.parse(opencodePermission(null)), { edit: 'allow', bash: 'ask', webfetch: 'ask' });
    assert.deepEqual(JSON.parse(opencodePermission('default')), { edit: 'ask', bash: 'ask', webfetch: 'ask' });
    assert.equal(JSON.parse(opencodePermission('bypassPermissions')).bash, 'allow');
    assert.deepEqual(JSON.parse(opencodePermission('{"bash":"deny"}')), { bash: 'deny' });
    assert.throws(() => opencodePermission('yolo'), /Expected `permissionMode` for OpenCode to be one of `default`, `acceptEdits`, `plan`, `bypassPermissions` or a JSON permission object, got `yolo`/);
  });
  it('keeps a user’s OPENCODE_PERMISSION unless a mode is chosen', () => {
    const env = { OPENCODE_PERMISSION: '{"edit":"deny"}' };
    assert.equal(opencodeEnvironment(request({}, { env })).OPENCODE_PERMISSION, '{"edit":"deny"}');
    assert.deepEqual(JSON.parse(opencodeEnvironment(request({ permissionMode: 'default' }, { env })).OPENCODE_PERMISSION!).edit, 'ask');
  });
  it('sets the model in the inline config, keeping what is there', () => {
    assert.deepEqual(JSON.parse(opencodeConfigContent('{"provider":{"p":{}},"model":"a/b"}', 'p/m')), { provider: { p: {} }, model: 'p/m' });
    assert.deepEqual(JSON.parse(opencodeConfigContent(undefined, 'p/m')), { model: 'p/m' });
    assert.throws(() => opencodeConfigContent('not json', 'p/m'), /Expected `OPENCODE_CONFIG_CONTENT` to be a JSON object/);
    const env = opencodeEnvironment(request({ model: 'p/m' }, { env: { PATH: '/bin' } }));
    assert.deepEqual(env, { OPENCODE_DISABLE_AUTOUPDATE: '1', PATH: '/bin', OPENCODE_PERMISSION: opencodePermission(null), OPENCODE_CONFIG_CONTENT: '{"model":"p/m"}' });
  });
  it('runs `opencode acp` with the profile’s extra arguments', () => {
    const launch = opencodeExecutor.prepare(request({ extraArgs: ['--pure'] }, { env: { ORCHD_OPENCODE_PATH: '/opt/opencode' } }), { requestApproval: () => new Promise(() => {}), warn: () => {} });
    assert.deepEqual(launch.argv, ['/opt/opencode', 'acp', '--pure']);
    assert.equal(launch.env.OPENCODE_PERMISSION, opencodePermission(null));
  });
});
