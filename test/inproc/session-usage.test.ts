// Per-turn usage across processes and the session's totals, through the real session path: `codex-exec` turns run by
// the engine (chain, output capture, live entries, replay, session/get), with a stand-in `codex` that prints what the
// real Codex 0.169 printed for a first turn and for its resume (fixtures/captures/codex/exec-resume-usage.*: the
// resumed process's `turn.completed.usage` is the thread's running total, and it writes a warning on stderr).
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NormalizedEntry } from '../../protocol/entries.js';
import { CHAIN_MS } from '../support/bounds.js';
import { ROOT, tempDir } from '../support/client.js';
import { inProcessOrchd, type InProcessOrchd } from '../support/inproc.js';
import { makeRepo } from '../support/repo.js';
import { waitUntil } from '../support/wait.js';

const CAPTURE = join(ROOT, 'fixtures', 'captures', 'codex', 'exec-resume-usage');

/** The two processes of the capture: the first run (from the meta's notes) and the resumed one (stdout and stderr). */
function recordedRuns(): { first: { stdout: string[] }; resumed: { stdout: string[]; stderr: string[] } } {
  const meta = JSON.parse(readFileSync(`${CAPTURE}.meta.json`, 'utf8')) as { notes: string[] };
  const prefix = 'first run stdout: ';
  const records = readFileSync(`${CAPTURE}.jsonl`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { dir: string; line: string });
  return {
    first: { stdout: meta.notes.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)) },
    resumed: { stdout: records.filter((r) => r.dir === 'out').map((r) => r.line), stderr: records.filter((r) => r.dir === 'err').map((r) => r.line) },
  };
}

const usageOf = (entries: NormalizedEntry[]) => entries.filter((e): e is Extract<NormalizedEntry, { type: 'usage' }> => e.type === 'usage').map((e) => [e.inputTokens, e.cacheReadTokens, e.outputTokens]);

describe('session usage: per-turn entries across resumed processes, totals on session/get', () => {
  let orchd: InProcessOrchd;
  let repo: string;
  let bin: string;
  let sub: string;
  const previousPath = process.env.ORCHD_CODEX_PATH;

  before(async () => {
    const runs = recordedRuns();
    bin = tempDir('orchd-codex-standin-');
    // `codex exec …` prints the first run; `codex exec resume <thread> …` the resumed one, its stderr included.
    writeFileSync(join(bin, 'runs.json'), JSON.stringify(runs));
    writeFileSync(
      join(bin, 'codex.mjs'),
      `import { readFileSync } from 'node:fs';
const runs = JSON.parse(readFileSync(new URL('./runs.json', import.meta.url), 'utf8'));
const args = process.argv.slice(2);
if (args[0] === '--version') { console.log('codex-cli 0.169.0'); process.exit(0); }
const run = args[1] === 'resume' ? runs.resumed : runs.first;
for (const line of run.stderr ?? []) process.stderr.write(line + '\\n');
for (const line of run.stdout) process.stdout.write(line + '\\n');
`,
    );
    writeFileSync(join(bin, 'codex'), `#!/bin/sh\nexec "${process.execPath}" "${join(bin, 'codex.mjs')}" "$@"\n`);
    chmodSync(join(bin, 'codex'), 0o755);
    process.env.ORCHD_CODEX_PATH = join(bin, 'codex');
    orchd = inProcessOrchd();
    await orchd.client.initialize();
    repo = realpathSync(makeRepo());
    sub = (await orchd.client.request('events/subscribe', {})).subscriptionId;
  });

  after(async () => {
    await orchd.close();
    rmSync(repo, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
    if (previousPath === undefined) delete process.env.ORCHD_CODEX_PATH;
    else process.env.ORCHD_CODEX_PATH = previousPath;
  });

  const events = () => orchd.client.events(sub);
  const idleCount = (sessionId: string) => events().filter((e) => e.kind === 'session/updated' && e.sessionId === sessionId && (e.data as { session: { status: string } }).session.status === 'idle').length;

  it('counts each turn once: the resumed turn is what it added to the thread, live and on replay; session/get sums them', async () => {
    const project = (await orchd.client.request('project/create', { name: 'usage', repositories: [{ path: repo, name: 'app' }], settings: { autoCommit: false } })).project;
    const task = (await orchd.client.request('task/create', { projectId: project.id, title: 'usage' })).task;
    const workspace = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
    const { session } = await orchd.client.request('session/start', { workspaceId: workspace.id, executor: 'codex-exec', prompt: 'first turn' });
    await waitUntil(() => idleCount(session.id) >= 1, 'the first turn to end', CHAIN_MS);
    await orchd.client.request('session/followUp', { sessionId: session.id, prompt: 'second turn' });
    await waitUntil(() => idleCount(session.id) >= 2, 'the resumed turn to end', CHAIN_MS);

    const executions = (await orchd.client.request('execution/list', { sessionId: session.id })).executions.filter((e) => e.runReason === 'codingAgent');
    assert.equal(executions.length, 2);
    assert.equal(executions[1]!.action.type === 'agent' && executions[1]!.action.resumeAgentSessionId, '01a2483b-d83a-75f3-a8ac-521e19e4b5a9', 'the follow-up resumed the thread');

    // The first process reported 7141 input and 2 output tokens, the resumed one the thread's 14368 and 4.
    const { entries, unknownLines } = await orchd.client.request('session/entries', { sessionId: session.id });
    const replayed = entries.map((e) => e.entry);
    assert.deepEqual(usageOf(replayed), [
      [7141, 0, 2],
      [14368 - 7141, 0, 2],
    ]);
    assert.equal(unknownLines, 0, "Codex's stderr warning is a diagnostic, not an unknown line");
    const diagnostics = replayed.filter((e) => e.type === 'raw' && e.kind === 'diagnostic');
    assert.ok(diagnostics.length === 1 && diagnostics[0]!.type === 'raw' && diagnostics[0]!.stream === 'stderr' && diagnostics[0]!.line.startsWith('WARNING: proceeding'), JSON.stringify(diagnostics));

    // Live entries (session/entryUpserted, written while the turns ran) say the same.
    const live = new Map<string, NormalizedEntry>();
    for (const event of events()) if (event.kind === 'session/entryUpserted' && event.sessionId === session.id) live.set((event.data as { entry: NormalizedEntry }).entry.id, (event.data as { entry: NormalizedEntry }).entry);
    assert.deepEqual(usageOf([...live.values()]), usageOf(replayed));

    const got = (await orchd.client.request('session/get', { sessionId: session.id })).session;
    assert.deepEqual(got.usage, { inputTokens: 14368, outputTokens: 4, cachedTokens: 0, costUsd: null }, 'the totals are the thread total Codex reported last');
    const listed = (await orchd.client.request('session/list', { workspaceId: workspace.id })).sessions[0]!;
    assert.equal('usage' in listed, false, 'only session/get computes the totals');
  });
});
