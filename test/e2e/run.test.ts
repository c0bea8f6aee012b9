// End-to-end: `orchd run` and `orchd merge` as a person (or a script) uses them, with the built binary and the
// scripted agent. Plain child processes (not a terminal), --json, and a pseudo-terminal where approvals are asked
// and answered and Ctrl-C stops the agent.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pty from 'node-pty';
import { stripAnsi } from '../../src/cli/run/style.js';
import { BIN, ROOT, tempDir } from '../support/client.js';
import { git, makeRepo } from '../support/repo.js';
import { CLI_MS, EVENT_MS } from '../support/bounds.js';
import { cliEnvironment, runCli, type CliResult } from '../support/cli.js';
import { waitUntil, within } from '../support/wait.js';

let agentHome: string;
const cleanup: string[] = [];

function environment(): Record<string, string> {
  return cliEnvironment({ FAKE_AGENT_HOME: agentHome });
}

/** Run the built CLI as a plain child process (stdin, stdout and stderr are pipes). */
function orchd(args: string[], timeoutMs = CLI_MS): Promise<CliResult> {
  return runCli(args, environment(), timeoutMs);
}

/** The CLI in a pseudo-terminal: read what it shows, type into it. */
function orchdInTerminal(args: string[]) {
  const term = pty.spawn(process.execPath, [BIN, ...args], { name: 'xterm', cols: 120, rows: 40, cwd: ROOT, env: { ...environment(), TERM: 'xterm' } });
  let output = '';
  term.onData((data) => (output += data));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    term,
    exited,
    /** What a person sees: ANSI codes removed, each line as it was last redrawn after a \r. */
    screen: () =>
      stripAnsi(output)
        .split('\n')
        .map((line) => line.replace(/\r$/, '').split('\r').at(-1)!)
        .join('\n'),
    async waitFor(text: string, timeoutMs = EVENT_MS) {
      await waitUntil(() => this.screen().includes(text) || stripAnsi(output).includes(text), `\`${text}\` in the terminal; it shows:\n${this.screen()}`, timeoutMs);
    },
  };
}

/** The `Worktree` line of the summary. */
function worktreeOf(output: string): string {
  const match = /^Worktree +(\S.*)$/m.exec(output);
  assert.ok(match, `a Worktree line in:\n${output}`);
  return match[1]!.trim();
}

function jsonLines(stdout: string): Record<string, any>[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  return lines.map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      assert.fail(`stdout line is not JSON: ${line}`);
    }
  });
}

describe('orchd run and orchd merge (built binary, scripted agent)', () => {
  let repo: string;
  let dataDir: string;

  before(() => {
    agentHome = tempDir('orchd-agent-home-');
    repo = makeRepo({ 'README.md': '# app\n' });
    dataDir = tempDir('orchd-run-data-');
    cleanup.push(agentHome, repo, dataDir);
  });
  after(() => {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the agent in a worktree and shows the conversation and a summary, in plain text when not a terminal', async () => {
    const result = await orchd(['run', '--repo', repo, '--agent', 'scripted-agent', '--data-dir', dataDir, 'Say hi\n@edit hello.txt hi there']);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.doesNotMatch(result.stdout, /\x1b|\r/, 'no ANSI codes and no redraws when stdout is not a terminal');
    assert.match(result.stdout, /^You said: Say hi$/m);
    assert.match(result.stdout, /^⏺ Write {2}hello\.txt$/m);
    assert.match(result.stdout, /^ {2}✓ Write succeeded/m);
    assert.match(result.stdout, /^── scripted-agent completed after/m);
    assert.match(result.stdout, /^Changes +1 file changed, \+1 −0$/m);
    assert.match(result.stdout, /^Branch +orchd\/\S+-say-hi {2}\(from main\)$/m);
    assert.match(result.stdout, /^Commits +[0-9a-f]{7} Say hi$/m);
    assert.match(result.stdout, /^Merge +orchd merge ws_\w+ {3}\(or the protocol method workspace\/merge\)$/m);
    const worktree = worktreeOf(result.stdout);
    assert.ok(worktree.startsWith(dataDir), `the worktree ${worktree} lives in the data directory`);
    assert.equal(readFileSync(join(worktree, 'hello.txt'), 'utf8'), 'hi there\n');
    assert.doesNotMatch(result.stderr, /"level":"(info|debug)"/, 'the daemon logs warnings only');
  });

  it('--json prints every entry and then a summary, one JSON object per line', async () => {
    const result = await orchd(['run', '--json', '--repo', repo, '--agent', 'scripted-agent', '--data-dir', dataDir, 'Write it\n@edit json.txt from json']);
    assert.equal(result.code, 0, result.stderr);
    const lines = jsonLines(result.stdout);
    const entries = lines.filter((l) => l.type === 'entry').map((l) => l.entry);
    assert.ok(entries.some((e) => e.type === 'toolCall' && e.name === 'Write' && e.status === 'succeeded'), 'a succeeded tool call');
    assert.ok(entries.some((e) => e.type === 'assistantMessage' && e.text === 'You said: Write it'));
    const summary = lines.at(-1)!;
    assert.equal(summary.type, 'summary');
    assert.equal(summary.status, 'completed');
    assert.equal(summary.exitCode, 0);
    assert.match(summary.workspaceId, /^ws_/);
    assert.equal(summary.merge.command, `orchd merge ${summary.workspaceId}`);
    assert.deepEqual(
      summary.diff.repositories[0].files.map((f: { path: string }) => f.path),
      ['json.txt'],
    );
    assert.equal(readFileSync(join(summary.repositories[0].worktree, 'json.txt'), 'utf8'), 'from json\n');
    // The repository's project was made by the first run and is reused.
    const again = jsonLines((await orchd(['run', '--json', '--repo', repo, '--agent', 'scripted-agent', '--data-dir', dataDir, 'Again'])).stdout).at(-1)!;
    assert.equal(again.projectId, summary.projectId);
    assert.notEqual(again.workspaceId, summary.workspaceId);
  });

  it('without a terminal, a gated tool is denied unless --yes', async () => {
    const denied = jsonLines((await orchd(['run', '--json', '--repo', repo, '--agent', 'scripted-agent', '--data-dir', dataDir, '@bash echo no > no.txt'])).stdout);
    const deniedCall = denied.find((l) => l.type === 'entry' && l.entry.type === 'toolCall')!.entry;
    assert.equal(denied.filter((l) => l.type === 'entry' && l.entry.id === deniedCall.id).at(-1)!.entry.status, 'denied');
    assert.equal(existsSync(join(denied.at(-1)!.repositories[0].worktree, 'no.txt')), false);
    const allowed = jsonLines((await orchd(['run', '--json', '--yes', '--repo', repo, '--agent', 'scripted-agent', '--data-dir', dataDir, '@bash echo yes > yes.txt'])).stdout);
    assert.equal(readFileSync(join(allowed.at(-1)!.repositories[0].worktree, 'yes.txt'), 'utf8'), 'yes\n');
  });

  it('in a terminal, asks before a command runs: y runs it', async () => {
    const run = orchdInTerminal(['run', '--repo', repo, '--agent', 'scripted-agent', '--data-dir', dataDir, '--permission-mode', 'default', '@bash echo approved > x.txt']);
    await run.waitFor('Allow Bash: echo approved > x.txt? [y]es / [n]o / [a]lways for this session: ');
    run.term.write('y\r');
    assert.equal(await within(run.exited, 'orchd run to exit', CLI_MS), 0, run.screen());
    const screen = run.screen();
    assert.match(screen, /✓ Bash succeeded/);
    assert.match(screen, /orchd merge ws_/);
    assert.equal(readFileSync(join(worktreeOf(screen), 'x.txt'), 'utf8'), 'approved\n');
  });

  it('in a terminal, n denies: no file, and the denial is shown', async () => {
    const run = orchdInTerminal(['run', '--repo', repo, '--agent', 'scripted-agent', '--data-dir', dataDir, '--permission-mode', 'default', '@bash echo approved > x.txt']);
    await run.waitFor('[a]lways for this session: ');
    run.term.write('n\r');
    assert.equal(await within(run.exited, 'orchd run to exit', CLI_MS), 0, run.screen());
    const screen = run.screen();
    assert.match(screen, /⊘ Bash denied/);
    assert.match(screen, /denied at the terminal/);
    assert.equal(existsSync(join(worktreeOf(screen), 'x.txt')), false);
  });

  it('in a terminal, Ctrl-C stops the agent and still prints the summary (exit 130)', async () => {
    const run = orchdInTerminal(['run', '--repo', repo, '--agent', 'scripted-agent', '--data-dir', dataDir, `Wait\n@sleep ${2 * CLI_MS}`]);
    await run.waitFor('You said: Wait');
    run.term.write('\x03');
    assert.equal(await within(run.exited, 'orchd run to exit', CLI_MS), 130, run.screen());
    const screen = run.screen();
    assert.match(screen, /stopping…/);
    assert.match(screen, /── scripted-agent stopped after .*: stopped at the terminal ──/);
    assert.match(screen, /^Worktree +/m);
  });

  it('orchd merge merges the workspace into its base branch; a conflicting one is refused with its files', async () => {
    const mergeRepo = makeRepo({ 'README.md': '# merge me\n' });
    cleanup.push(mergeRepo);
    const first = jsonLines((await orchd(['run', '--json', '--repo', mergeRepo, '--agent', 'scripted-agent', '--data-dir', dataDir, '@edit hello.txt hi there'])).stdout).at(-1)!;
    const second = jsonLines((await orchd(['run', '--json', '--repo', mergeRepo, '--agent', 'scripted-agent', '--data-dir', dataDir, '@edit hello.txt something else'])).stdout).at(-1)!;

    const merged = await orchd(['merge', first.workspaceId, '--data-dir', dataDir]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(merged.stdout, `merged ${first.branch} into main (merge), now at ${git(mergeRepo, 'rev-parse', '--short=7', 'main')}\n`);
    assert.equal(git(mergeRepo, 'show', 'main:hello.txt'), 'hi there');
    assert.equal(readFileSync(join(mergeRepo, 'hello.txt'), 'utf8'), 'hi there\n', 'the checkout on main was fast-forwarded');

    const conflicted = await orchd(['merge', second.workspaceId, '--data-dir', dataDir, '--strategy', 'squash']);
    assert.equal(conflicted.code, 1);
    assert.match(conflicted.stdout, /^Not merged: .* would conflict with its base branch; nothing was changed\.$/m);
    assert.match(conflicted.stdout, /^ {4}hello\.txt$/m);
    assert.equal(git(mergeRepo, 'show', 'main:hello.txt'), 'hi there');

    const missing = await orchd(['merge', 'ws_doesnotexist', '--data-dir', dataDir]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'orchd: No workspace matches `ws_doesnotexist` (`orchd ls --all` lists them)\n');
  });

  it('mistakes are one clear line: an unknown agent (exit 2), a directory that is not a repository (exit 1)', async () => {
    const unknown = await orchd(['run', '--repo', repo, '--agent', 'nope', '--data-dir', dataDir, 'hi']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^orchd: Expected `--agent` to be one of `scripted-agent`.*, got `nope`\n$/);
    const notRepo = tempDir('orchd-not-a-repo-');
    cleanup.push(notRepo);
    const result = await orchd(['run', '--repo', notRepo, '--agent', 'scripted-agent', '--data-dir', dataDir, 'hi']);
    assert.equal(result.code, 1);
    // In the words typed (`--repo`), not the protocol's (`repositories[0].path`).
    assert.match(result.stderr, /^orchd: Expected `--repo` to be a git repository, got `.*`\n$/);
  });
});
