// End-to-end: the commands a person uses after `orchd run`, with the built binary, the scripted agent and real git
// repositories: `orchd ls` finds the work again (ids shortened to a unique prefix), `orchd log` replays and follows a
// conversation, `orchd rm` and `orchd merge --cleanup` remove worktrees and branches (checked with git), usage
// errors are one line with a hint, and in a terminal an approval question comes after its tool line and survives
// another CLI starting on the same data directory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pty from 'node-pty';
import { stripAnsi } from '../../src/cli/run/style.js';
import { CLI_MS, EVENT_MS } from '../support/bounds.js';
import { cliEnvironment, runCli, type CliResult } from '../support/cli.js';
import { BIN, ROOT, tempDir } from '../support/client.js';
import { git, makeRepo } from '../support/repo.js';
import { waitUntil, within } from '../support/wait.js';

let agentHome: string;
let dataDir: string;
const cleanup: string[] = [];

function environment(extra: Record<string, string> = {}): Record<string, string> {
  return cliEnvironment({ FAKE_AGENT_HOME: agentHome, ...extra });
}

function orchd(args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return runCli([...args, '--data-dir', dataDir], environment(extra));
}

/** `orchd run --json` to the end; its summary line. */
async function run(repo: string, prompt: string, ...flags: string[]): Promise<Record<string, any>> {
  const result = await orchd(['run', '--json', '--repo', repo, '--agent', 'scripted-agent', ...flags, prompt]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
}

/** A CLI process left running: its output so far, and its exit. */
function spawnOrchd(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], { cwd: ROOT, env: environment(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** The CLI in a pseudo-terminal: what a person sees (ANSI removed, each line as last redrawn), and typing into it. */
function inTerminal(args: string[]) {
  const term = pty.spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], { name: 'xterm', cols: 120, rows: 40, cwd: ROOT, env: { ...environment(), TERM: 'xterm' } });
  let output = '';
  term.onData((data) => (output += data));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  const screen = () =>
    stripAnsi(output)
      .split('\n')
      .map((line) => line.replace(/\r$/, '').split('\r').at(-1)!)
      .join('\n');
  return {
    term,
    exited,
    screen,
    waitFor: (text: string) => waitUntil(() => stripAnsi(output).includes(text), `\`${text}\` in the terminal; it shows:\n${screen()}`, EVENT_MS),
  };
}

/** `orchd ls --json --all`'s workspaces. */
async function workspaces(): Promise<Record<string, any>[]> {
  const listed = await orchd(['ls', '--json', '--all']);
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout).workspaces;
}

/** The ID column of `orchd ls` for the row whose line contains `text`. */
function shortIdOf(table: string, text: string): string {
  const line = table.split('\n').find((l) => l.includes(text));
  assert.ok(line, `a row with ${text} in:\n${table}`);
  return line.split(/\s+/)[0]!;
}

const worktreeListed = (repo: string, path: string) => git(repo, 'worktree', 'list', '--porcelain').includes(`worktree ${path}\n`);
const branchExists = (repo: string, branch: string) => git(repo, 'branch', '--list', branch) !== '';

describe('orchd ls, log, rm and merge --cleanup (built binary, scripted agent)', () => {
  let repo: string;

  before(() => {
    agentHome = tempDir('orchd-agent-home-');
    dataDir = tempDir('orchd-ls-data-');
    repo = makeRepo({ 'README.md': '# app\n' });
    cleanup.push(agentHome, dataDir, repo);
  });
  after(() => {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  it('ls shows the work with its task, branch, agent, status, tokens and cost, fitted to 80 columns; log <prefix> replays it', async () => {
    const first = await run(repo, 'Say hi\n@edit hello.txt hi there');
    const second = await run(repo, 'Write a second file with a rather long task title\n@edit second.txt two');

    const wide = await orchd(['ls']);
    assert.equal(wide.code, 0, wide.stderr);
    const [header, ...rows] = wide.stdout.trimEnd().split('\n');
    assert.match(header!, /^ID +TASK +BRANCH +AGENT +STATUS +ACTIVE +TOKENS +COST$/);
    assert.equal(rows.length, 2, wide.stdout);
    assert.match(wide.stdout, new RegExp(`^ws_\\w+ +Say hi +${first.branch.replace('/', '\\/')} +scripted-agent +completed +\\d+[smhd] +[\\d.]+k? +<?\\$\\d+\\.\\d\\d$`, 'm'));
    assert.ok(wide.stdout.includes('Write a second file with a rather long task title'), wide.stdout);

    const narrow = await orchd(['ls'], { COLUMNS: '80' });
    for (const line of narrow.stdout.trimEnd().split('\n')) assert.ok(line.length <= 80, `${line.length} columns: ${line}`);
    assert.match(narrow.stdout, /^ID +TASK +AGENT +STATUS +ACTIVE +TOKENS +COST$/m, 'the branch is left out to fit');

    // The ID column is a prefix that names one workspace: what `orchd log`, `merge` and `rm` take.
    const short = shortIdOf(wide.stdout, 'Say hi');
    assert.ok(first.workspaceId.startsWith(short) && short.length < first.workspaceId.length, `${short} abbreviates ${first.workspaceId}`);

    const json = (await workspaces()).find((w) => w.id === first.workspaceId)!;
    assert.equal(json.task, 'Say hi');
    assert.equal(json.branch, first.branch);
    assert.equal(json.agent, 'scripted-agent');
    assert.equal(json.status, 'completed');
    assert.equal(json.sessionId, first.sessionId);
    assert.deepEqual(json.worktrees, [first.repositories[0].worktree]);
    assert.ok(json.usage.outputTokens > 0 && json.usage.costUsd > 0, JSON.stringify(json.usage));

    for (const [kind, header] of [
      ['sessions', /^ID +WORKSPACE +TASK +AGENT +STATUS +TURNS +ACTIVE +TOKENS +COST$/m],
      ['tasks', /^ID +TITLE +PROJECT +STATUS +WORKSPACES +UPDATED$/m],
      ['projects', /^ID +NAME +WORKSPACES +REPOSITORIES$/m],
    ] as const) {
      const listed = await orchd(['ls', kind]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, header);
    }
    assert.match((await orchd(['ls', 'projects'])).stdout, new RegExp(`^prj_\\w+ +\\S+ +2 +${repo.replace(/[/.]/g, '\\$&')}$`, 'm'));
    assert.equal(JSON.parse((await orchd(['ls', 'sessions', '--json'])).stdout).sessions.find((s: any) => s.id === second.sessionId).turns, 1);

    const log = await orchd(['log', short]);
    assert.equal(log.code, 0, log.stderr);
    assert.doesNotMatch(log.stdout, /\x1b/, 'no colours when stdout is not a terminal');
    const lines = log.stdout.split('\n');
    const order = ['▸ scripted-agent', '› Say hi', 'You said: Say hi', '⏺ Write  hello.txt', '  ✓ Write succeeded (+1 −0)', '✓ scripted-agent finished'];
    const at = order.map((text) => lines.findIndex((line) => line.startsWith(text)));
    assert.ok(at.every((index, i) => index >= 0 && (i === 0 || index > at[i - 1]!)), `in order ${JSON.stringify(order)}:\n${log.stdout}`);
    assert.match(lines[0]!, new RegExp(`^· session ${first.sessionId} \\(scripted-agent\\) in ${first.workspaceId} on `));
    // A session id, and the short form from the branch name, name the same conversation.
    assert.equal((await orchd(['log', first.sessionId])).stdout, log.stdout);
    assert.equal((await orchd(['log', first.branch.split('/')[1].slice(0, 8)])).stdout, log.stdout);

    const entries = (await orchd(['log', first.sessionId, '--json'])).stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.ok(entries.every((e) => e.type === 'entry'));
    assert.ok(entries.some((e) => e.entry.type === 'toolCall' && e.entry.name === 'Write' && e.entry.status === 'succeeded'));
  });

  it('log --raw prints the agent\'s own output lines, with a header per process on stderr', async () => {
    const { workspaceId, sessionId } = await run(repo, 'Raw\n@edit raw.txt raw');
    const raw = await orchd(['log', '--raw', workspaceId]);
    assert.equal(raw.code, 0, raw.stderr);
    const lines = raw.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.ok(lines.some((l) => l.type === 'system' && l.subtype === 'init'), 'the agent\'s init line');
    assert.ok(lines.some((l) => l.type === 'result'), 'and its result line');
    assert.ok(lines.every((l) => l.session_id === undefined || typeof l.session_id === 'string'));
    assert.match(raw.stderr, /^── scripted-agent \(exe_\w+, completed, exit code 0\) ──$/m);
    assert.equal((await orchd(['log', '--raw', sessionId])).stdout, raw.stdout);
  });

  it('log -f follows a running session, its next lines included, until it is stopped', async () => {
    const release = join(tempDir('orchd-release-'), 'go');
    cleanup.push(join(release, '..'));
    const running = spawnOrchd(['run', '--json', '--yes', '--repo', repo, '--agent', 'scripted-agent', `Follow me\n@bash while [ ! -f ${release} ]; do sleep 0.05; done; echo released`]);
    await waitUntil(() => running.stdout().includes('"name":"Bash"'), `the Bash call in orchd run's output:\n${running.stdout()}${running.stderr()}`);
    const workspace = (await workspaces()).find((w) => w.task === 'Follow me')!;
    assert.equal(workspace.status, 'running');

    const follow = spawnOrchd(['log', '-f', workspace.id]);
    await waitUntil(() => follow.stdout().includes('⏺ Bash'), `the history in orchd log -f:\n${follow.stdout()}${follow.stderr()}`);
    assert.doesNotMatch(follow.stdout(), /Bash succeeded/);
    writeFileSync(release, '');
    await waitUntil(() => follow.stdout().includes('  ✓ Bash succeeded') && follow.stdout().includes('    released'), `the live tool result in orchd log -f:\n${follow.stdout()}${follow.stderr()}`);
    assert.equal(await within(running.exited, 'orchd run to exit', CLI_MS), 0, running.stderr());
    // The session went idle; like tail -f, log -f still runs until it is told to stop.
    await waitUntil(() => follow.stdout().includes('✓ scripted-agent finished'), `the end of the turn in orchd log -f:\n${follow.stdout()}`);
    assert.equal(follow.child.exitCode, null, 'still following');
    follow.child.kill('SIGINT');
    assert.equal(await within(follow.exited, 'orchd log -f to exit after SIGINT', CLI_MS), 130, follow.stderr());
    assert.equal(follow.stdout().split('⏺ Bash').length, 2, `each line once:\n${follow.stdout()}`);
  });

  it('rm asks, or refuses without a terminal; --yes removes the worktree and the branch but never uncommitted work; --force does', async () => {
    const kept = await run(repo, 'Keep me\n@edit keep.txt keep');
    const worktree = kept.repositories[0].worktree;

    const refused = await orchd(['rm', kept.workspaceId]);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, 'orchd: rm asks before it removes a workspace, and stdin is not a terminal: pass --yes to remove without asking (--force to lose uncommitted changes too)\n');
    assert.ok(existsSync(worktree) && branchExists(repo, kept.branch), 'nothing was removed');

    writeFileSync(join(worktree, 'draft.txt'), 'not committed\n');
    const dirty = await orchd(['rm', kept.workspaceId, '--yes']);
    assert.equal(dirty.code, 1);
    assert.equal(dirty.stderr, `orchd: Not removing ${kept.workspaceId}: 1 uncommitted file would be lost; pass --force to remove it too, or commit first\n`);
    assert.ok(existsSync(join(worktree, 'draft.txt')));

    // In a terminal: the question names the task, the branch and what would be lost; anything but y keeps it.
    const no = inTerminal(['rm', kept.workspaceId.slice(0, 14)]);
    await no.waitFor('[y/N] ');
    assert.match(no.screen(), new RegExp(`Remove workspace ${kept.workspaceId} \\(task "Keep me", branch ${kept.branch.replace('/', '\\/')}, 1 uncommitted file that will be lost\\)\\? \\[y/N\\] $`, 'm'));
    no.term.write('n\r');
    assert.equal(await within(no.exited, 'orchd rm to exit', CLI_MS), 1);
    assert.match(no.screen(), new RegExp(`orchd: kept ${kept.workspaceId}`));
    assert.ok(existsSync(worktree));

    const yes = inTerminal(['rm', kept.workspaceId]);
    await yes.waitFor('[y/N] ');
    yes.term.write('y\r');
    assert.equal(await within(yes.exited, 'orchd rm to exit', CLI_MS), 0, yes.screen());
    assert.match(yes.screen(), new RegExp(`^removed ${kept.workspaceId} \\(worktree ${worktree.replace(/[/.]/g, '\\$&')}; branch ${kept.branch.replace('/', '\\/')} deleted\\)$`, 'm'));
    assert.equal(existsSync(worktree), false);
    assert.equal(worktreeListed(repo, worktree), false, 'git forgot the worktree');
    assert.equal(branchExists(repo, kept.branch), false, 'the branch is gone');
    assert.equal((await workspaces()).some((w) => w.id === kept.workspaceId), false);

    const clean = await run(repo, 'Clean\n@edit clean.txt clean');
    const removed = await orchd(['rm', clean.workspaceId, '--yes', '--keep-branch']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /branch \S+ kept\)\n$/);
    assert.equal(worktreeListed(repo, clean.repositories[0].worktree), false);
    assert.equal(branchExists(repo, clean.branch), true, '--keep-branch keeps it');

    const forced = await run(repo, 'Forced\n@edit forced.txt forced');
    writeFileSync(join(forced.repositories[0].worktree, 'draft.txt'), 'lost\n');
    const force = await orchd(['rm', '--force', forced.workspaceId]);
    assert.equal(force.code, 0, force.stderr);
    assert.equal(existsSync(forced.repositories[0].worktree), false);
    assert.equal(branchExists(repo, forced.branch), false);
  });

  it('merge --cleanup merges, then removes the worktree and the branch', async () => {
    const mergeRepo = makeRepo({ 'README.md': '# merge me\n' });
    cleanup.push(mergeRepo);
    const work = await run(mergeRepo, 'Merge me\n@edit merged.txt merged');
    const merged = await orchd(['merge', work.workspaceId.slice(0, 16), '--cleanup']);
    assert.equal(merged.code, 0, merged.stderr);
    const [mergedLine, removedLine] = merged.stdout.trimEnd().split('\n');
    assert.equal(mergedLine, `merged ${work.branch} into main (merge), now at ${git(mergeRepo, 'rev-parse', '--short=7', 'main')}`);
    assert.match(removedLine!, new RegExp(`^removed ${work.workspaceId} \\(worktree .*; branch ${work.branch.replace('/', '\\/')} deleted\\)$`));
    assert.equal(git(mergeRepo, 'show', 'main:merged.txt'), 'merged');
    assert.equal(existsSync(work.repositories[0].worktree), false);
    assert.equal(worktreeListed(mergeRepo, work.repositories[0].worktree), false);
    assert.equal(branchExists(mergeRepo, work.branch), false);
  });

  it('an ambiguous or unknown id is one line naming the candidates or the way to find them', async () => {
    const all = await workspaces();
    assert.ok(all.length >= 2);
    const ambiguous = await orchd(['log', 'ws_']);
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, new RegExp(`^orchd: \`ws_\` is ambiguous: it matches ${all.length} workspaces: ws_\\w+ \\(orchd/[^)]+\\), .*; type more of the id\\n$`));
    const unknown = await orchd(['rm', 'ws_zzzz', '--yes']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'orchd: No workspace matches `ws_zzzz` (`orchd ls --all` lists them)\n');
    const unknownSession = await orchd(['log', 'ses_zzzz']);
    assert.equal(unknownSession.stderr, 'orchd: No session matches `ses_zzzz` (`orchd ls --all` lists them)\n');
    const merge = await orchd(['merge', 'zzzzzzzz']);
    assert.equal(merge.code, 1);
    assert.equal(merge.stderr, 'orchd: No workspace matches `zzzzzzzz` (`orchd ls --all` lists them)\n');
  });

  it('usage errors are one line and a hint; protocol errors name the flag typed', async () => {
    const typo = await orchd(['run', '--agnet', 'scripted-agent', 'hi']);
    assert.equal(typo.code, 2);
    assert.equal(typo.stderr, "orchd: unknown option --agnet; did you mean --agent?\nRun 'orchd run --help' for usage.\n");
    const missing = await runCli(['run', 'hi', '--agent'], environment());
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, "orchd: option --agent needs a value (--agent ID)\nRun 'orchd run --help' for usage.\n");
    const command = await orchd(['mrege', 'ws_1']);
    assert.equal(command.code, 2);
    assert.equal(command.stderr, "orchd: unknown command mrege; did you mean merge?\nRun 'orchd --help' for usage.\n");
    const help = await orchd(['rm', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage:\n {2}orchd rm WORKSPACE_ID\.\.\./);
    const notRepo = tempDir('orchd-not-a-repo-');
    cleanup.push(notRepo);
    const badRepo = await orchd(['run', '--repo', notRepo, '--agent', 'scripted-agent', 'hi']);
    assert.equal(badRepo.code, 1);
    assert.match(badRepo.stderr, /^orchd: Expected `--repo` to be a git repository, got `.*`\n$/);
    const badBase = await orchd(['run', '--repo', repo, '--base', 'mian', '--agent', 'scripted-agent', 'hi']);
    assert.equal(badBase.code, 1);
    assert.match(badBase.stderr, /^orchd: .*`--base`.*`mian`.*\n$/);
  });

  it('in a terminal, the approval question comes after its tool line, and `orchd ls` meanwhile does not expire it', async () => {
    const asked = inTerminal(['run', '--repo', repo, '--agent', 'scripted-agent', '--permission-mode', 'default', 'Approve me\n@bash echo approved > approved.txt']);
    await asked.waitFor('[a]lways for this session: ');
    const screen = asked.screen();
    const toolLine = screen.indexOf('⏺ Bash  echo approved > approved.txt');
    assert.ok(toolLine >= 0 && toolLine < screen.indexOf('Allow Bash: echo approved > approved.txt?'), `the tool line first:\n${screen}`);
    // Another CLI on the same data directory starts its own orchd meanwhile: the question stays open.
    const listed = await orchd(['ls']);
    assert.match(listed.stdout, /Approve me .* running /);
    assert.doesNotMatch(listed.stderr, /expired/);
    asked.term.write('y\r');
    assert.equal(await within(asked.exited, 'orchd run to exit', CLI_MS), 0, asked.screen());
    assert.match(asked.screen(), /✓ Bash succeeded/);
    const workspace = (await workspaces()).find((w) => w.task === 'Approve me')!;
    assert.equal(readFileSync(join(workspace.worktrees[0], 'approved.txt'), 'utf8'), 'approved\n');
  });
});
