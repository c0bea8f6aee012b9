import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveEmbeddedGitDir } from 'dugite';
import { gitFailure, runGit } from '../../src/git/exec.js';
import { gitBinaryPath, gitInstallation, gitVersion, MINIMUM_GIT_VERSION, versionAtLeast } from '../../src/git/git-environment.js';
import { EXIT_MS } from '../support/bounds.js';
import { childPidsRunning, waitUntil, within } from '../support/wait.js';
import { rejectsKind, tempDir } from './helpers.js';

test('uses the system git when dugite has no embedded git, via per-call env only', async () => {
  const before = { ...process.env };
  const found = await gitInstallation();
  const embedded = existsSync(join(resolveEmbeddedGitDir(), 'bin', 'git'));
  if (embedded) {
    assert.equal(found.source, 'embedded');
  } else {
    assert.equal(found.source, 'system');
    const onPath = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    assert.equal(found.binary, realpathSync(onPath));
    assert.equal(found.env.LOCAL_GIT_DIRECTORY, found.prefix);
    const execPath = execFileSync(found.binary, ['--exec-path'], { encoding: 'utf8', env: { ...process.env, GIT_EXEC_PATH: '' } }).trim();
    assert.equal(found.env.GIT_EXEC_PATH, execPath);
    assert.equal(found.execPath, execPath);
    if (existsSync('/etc/gitconfig')) assert.equal(found.env.GIT_CONFIG_SYSTEM, '/etc/gitconfig');
  }
  assert.equal(found.env.GIT_TERMINAL_PROMPT, '0');
  assert.equal(found.env.LC_ALL, 'C');
  assert.equal(await gitBinaryPath(), found.binary);
  // The same promise every time: decided once.
  assert.equal(await gitInstallation(), found);
  // Nothing leaked into this process's env for agents spawned later.
  assert.deepEqual({ ...process.env }, before);
  assert.equal(process.env.LOCAL_GIT_DIRECTORY, before.LOCAL_GIT_DIRECTORY);
});

test('git runs with the resolved exec path, so helpers such as git-remote-* are found', async (t) => {
  const dir = await tempDir(t);
  const out = await runGit(['--exec-path'], dir);
  assert.equal(out.exitCode, 0);
  assert.equal(out.stdout.trim(), (await gitInstallation()).execPath);
  // `git init` needs templates and exec-path helpers from the real installation.
  const init = await runGit(['init', '--quiet'], dir);
  assert.equal(init.exitCode, 0, init.stderr);
  assert.equal(init.stderr, '');
});

test('gitVersion reports a dotted version at least the minimum', async () => {
  const version = await gitVersion();
  assert.match(version, /^\d+\.\d+(\.\d+)*$/);
  assert.ok(versionAtLeast(version, MINIMUM_GIT_VERSION), `git ${version} is older than ${MINIMUM_GIT_VERSION}`);
  assert.ok(versionAtLeast('2.40.0', '2.39.5'));
  assert.ok(!versionAtLeast('2.9', '2.36.0'));
});

test('an aborted signal kills git and rejects with kind cancelled', async (t) => {
  const dir = await tempDir(t);
  const controller = new AbortController();
  // hash-object --stdin waits for stdin, which stays open: only the abort ends it.
  const pending = runGit(['hash-object', '--stdin'], dir, { signal: controller.signal });
  // Abort once git is running, so the abort has a process to kill.
  await waitUntil(() => childPidsRunning('hash-object').length > 0, 'git hash-object to start');
  controller.abort();
  await within(rejectsKind(pending, 'cancelled'), 'the aborted git to reject', EXIT_MS);
  // Already aborted: git is not started at all.
  await rejectsKind(runGit(['status'], dir, { signal: AbortSignal.abort() }), 'cancelled');
});

test('a missing directory is pathNotFound and a plain directory notAGitRepository', async (t) => {
  await rejectsKind(runGit(['status'], '/nonexistent/orchd-dir'), 'pathNotFound');
  const dir = await tempDir(t);
  const args = ['status'];
  const out = await runGit(args, dir);
  assert.notEqual(out.exitCode, 0);
  const error = gitFailure(args, dir, out);
  assert.equal(error.kind, 'notAGitRepository');
  assert.equal(error.message, `Expected \`path\` to be a git repository, got \`${dir}\``);
});

test('unknown failures become gitFailed with args, exit code and stderr', async (t) => {
  const dir = await tempDir(t);
  const args = ['definitely-not-a-command'];
  const out = await runGit(args, dir);
  const error = gitFailure(args, dir, out);
  assert.equal(error.kind, 'gitFailed');
  assert.deepEqual(error.details.args, args);
  assert.equal(error.details.exitCode, out.exitCode);
  assert.match(String(error.details.stderr), /is not a git command/);
  assert.match(error.message, /^Expected `git definitely-not-a-command` to succeed, got exit code `1`/);
  assert.ok(!error.message.endsWith('.'));
});
