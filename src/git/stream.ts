// git commands whose output is read as it comes (`git grep` over a big tree), rather than buffered by dugite's exec.
// Same installation and env as every other call (git-environment.ts, resolved through dugite's setupEnvironment),
// but spawned in its own process group so that stopping it early (a result limit, a cancelled request) ends git and
// anything it started. Such a command is short-lived and bounded by its caller, as ARCHITECTURE allows outside the
// supervisor.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { OrchdError } from '../errors.js';
import { loadDugite } from './exec.js';
import { gitInstallation } from './git-environment.js';

export interface GitStream {
  /** git's stdout, to be consumed by the caller. */
  readonly stdout: Readable;
  /** Settles once git has exited and its stdout and stderr are closed: the exit code (null when killed) and stderr (at most 64 KB). */
  readonly done: Promise<{ readonly exitCode: number | null; readonly signal: NodeJS.Signals | null; readonly stderr: string }>;
  /** Kill git's whole process group (idempotent; nothing happens once git has exited). */
  kill(): void;
}

const STDERR_LIMIT = 64 * 1024;

/** Start git in `cwd` with its output streamed; rejects only when git cannot be started at all. */
export async function spawnGitStream(args: readonly string[], cwd: string, options: { env?: Record<string, string | undefined> } = {}): Promise<GitStream> {
  const found = await gitInstallation();
  const { setupEnvironment } = await loadDugite();
  const { env, gitLocation } = setupEnvironment({ ...found.env, ...options.env });
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn(gitLocation, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } catch (error) {
    throw startFailure(error, gitLocation, cwd);
  }
  let exited = false;
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(startFailure(error, gitLocation, cwd)));
  });
  // A pipe error must not become an uncaught one; 'close' still reports how git ended.
  child.stdout.on('error', () => {});
  child.stderr.on('error', () => {});
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += text.slice(0, STDERR_LIMIT - stderr.length);
  });
  // Once git is reaped its pid may be reused: no signal to its group after that.
  child.once('exit', () => {
    exited = true;
  });
  const done = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    // 'close' comes after 'exit' and after both pipes have ended, so every byte git wrote has been read by then.
    child.once('close', (exitCode, signal) => {
      resolve({ exitCode, signal, stderr });
    });
  });
  await started;
  return {
    stdout: child.stdout,
    done,
    kill() {
      if (exited || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    },
  };
}

function startFailure(error: unknown, binary: string, cwd: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') {
    // spawn says ENOENT for a missing cwd as for a missing binary.
    let cwdIsDir = false;
    try {
      cwdIsDir = statSync(cwd).isDirectory();
    } catch {
      cwdIsDir = false;
    }
    return cwdIsDir ? OrchdError.gitNotFound(binary, 'it could not be started') : OrchdError.pathNotFound('path', cwd);
  }
  return error;
}
