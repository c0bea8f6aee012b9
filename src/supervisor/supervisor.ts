// The one owner of every OS process orchd starts (agents, scripts, and terminals): spawn through pipes or a PTY, each
// in its own process group; its identity (pid + start time + boot id) for the owner to persist; exit detection; stop
// escalated over the whole group (the owner's polite request, then SIGINT → SIGTERM → SIGKILL); members that outlive
// their leader ended after it exits; and one place that stops everything for a workspace or for shutdown.
// Owners (src/executions/runner.ts, src/terminals/) keep their own records; the supervisor keeps the live table.
import type { ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, openSync, statSync } from 'node:fs';
import { delimiter, resolve as resolvePath } from 'node:path';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../log/logger.js';
import { processIdentity, stopProcessGroup, untilOwnGroup, type ProcessIdentity, type StopStep } from './process-group.js';

export type ProcessKind = 'execution' | 'terminal';

/** Whose process it is: what `stopWhere` and `daemon/status` select on. */
export interface ProcessOwner {
  kind: ProcessKind;
  id: string;
  workspaceId: string | null;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessHooks {
  /** Ask the process to end by itself first (an agent's interrupt message); true when it was asked. */
  graceful?: () => boolean;
  /** How long a process that was asked gets before signals follow (default 3 s). */
  gracefulMs?: number;
  /**
   * The owner's bookkeeping once the process and its group are gone (persist the exit, emit events); the process
   * leaves the supervisor's table, and `done` settles, only after it.
   */
  afterExit?: (exit: ProcessExit) => Promise<void>;
}

/** Grace periods of a stop; members left after the leader exits get the short ones. */
export interface StopTimings {
  intMs: number;
  termMs: number;
}
const STOP_TIMINGS: StopTimings = { intMs: 2000, termMs: 2000 };
const AFTER_EXIT_TIMINGS: StopTimings = { intMs: 500, termMs: 1000 };

export interface Supervised {
  readonly owner: ProcessOwner;
  readonly pid: number;
  /** pid + start time + boot id, for the owner to persist (null off Linux). */
  readonly identity: ProcessIdentity | null;
  /** Resolves when the leader has exited. */
  readonly exited: Promise<ProcessExit>;
  /** Resolves when the leader has exited, the rest of its group is gone and the owner's `afterExit` has run. */
  readonly done: Promise<void>;
  /** Why it was stopped, when someone stopped it (the owner reports `killed` with this reason rather than `failed`). */
  readonly stopReason: string | null;
  /** Stop the whole group with escalation; resolves with the step that ended it, once `done` has settled. */
  stop(reason: string): Promise<StopStep>;
  /** Send one signal to the whole group (a terminal's `terminal/kill {signal}`). */
  signal(signal: NodeJS.Signals): void;
}

export interface PipeSpawn {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  stdin: 'pipe' | 'ignore';
}

export interface PipeProcess extends Supervised {
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  readonly stderr: Readable;
}

export interface PtySpawn {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
}

export interface PtyProcess extends Supervised {
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Stop reading the PTY (the program blocks once the kernel buffer fills), and read again. */
  pause(): void;
  resume(): void;
  onData(listener: (data: string) => void): void;
}

export class ProcessSupervisor {
  private readonly live = new Set<Supervised>();

  constructor(private readonly logger: Logger) {}

  /** Every process started and not yet done, optionally only a workspace's or one kind's. */
  list(filter: { workspaceId?: string; kind?: ProcessKind } = {}): Supervised[] {
    return [...this.live].filter((p) => (filter.workspaceId === undefined || p.owner.workspaceId === filter.workspaceId) && (filter.kind === undefined || p.owner.kind === filter.kind));
  }

  /** Stop every process the filter selects and wait until each is done. */
  async stopWhere(filter: { workspaceId?: string; kind?: ProcessKind }, reason: string): Promise<void> {
    await Promise.all(this.list(filter).map((p) => p.stop(reason).catch((error) => this.logger.warn('stop failed', { owner: p.owner, error }))));
  }

  /** Shutdown: stop everything. */
  stopAll(reason: string): Promise<void> {
    return this.stopWhere({}, reason);
  }

  /** Spawn with stdout and stderr piped (never the daemon's own stdout) in a new process group; rejects when it cannot start. */
  async spawnPipes(owner: ProcessOwner, spec: PipeSpawn, hooks: ProcessHooks = {}): Promise<PipeProcess> {
    // execa with buffering, rejection and its own clean-up off: orchd reads the raw streams and owns the kill.
    // Imported on first use: a quarter of the code a daemon would otherwise compile before its `initialize` reply.
    const { execa } = await import('execa');
    const subprocess = execa(spec.file, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: false,
      detached: true,
      stdin: spec.stdin,
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: false,
      forceKillAfterDelay: false,
    });
    subprocess.catch(() => {});
    const child = subprocess as unknown as ChildProcess;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const exited = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const base = this.track(owner, child.pid!, exited, hooks);
    return Object.assign(base, { stdin: child.stdin, stdout: child.stdout!, stderr: child.stderr! });
  }

  /** Spawn in a new pseudo-terminal (its own session and process group); throws when it cannot start. */
  async spawnPty(owner: ProcessOwner, spec: PtySpawn, hooks: ProcessHooks = {}): Promise<PtyProcess> {
    // node-pty forks first and reports a failed exec only as the program's exit (code 1) after the spawn returned.
    assertExecutable(spec.file, spec.cwd, spec.env.PATH);
    const pty = await import('node-pty');
    const terminal = pty.spawn(spec.file, [...spec.args], { name: spec.env.TERM ?? 'xterm-256color', cols: spec.cols, rows: spec.rows, cwd: spec.cwd, env: spec.env });
    const exited = new Promise<ProcessExit>((resolve) =>
      terminal.onExit(({ exitCode, signal }) => resolve({ code: signal ? null : exitCode, signal: signal ? signalName(signal) : null })),
    );
    // Output that comes before the owner listens (during the wait below) is kept for its first listener.
    const listeners: ((data: string) => void)[] = [];
    const early: string[] = [];
    terminal.onData((data) => {
      if (listeners.length === 0) early.push(data);
      for (const listener of listeners) listener(data);
    });
    // Until the child's setsid() has run it is in orchd's own group, where a stop would find no group and then wait
    // for an exit that never comes.
    await untilOwnGroup(terminal.pid);
    // Hold the terminal's slave side open until the program has exited: without it, the program's exit hangs the PTY
    // up while output is still unread, and libuv takes the first short read after the hang-up for the end of the
    // stream, dropping the rest (microsoft/node-pty #72, #85). With it, node-pty reads on until it closes the PTY.
    let slave: number | undefined;
    try {
      const ptsName = (terminal as unknown as { ptsName?: string }).ptsName;
      if (ptsName) slave = openSync(ptsName, fsConstants.O_RDWR | fsConstants.O_NOCTTY | fsConstants.O_NONBLOCK);
    } catch (error) {
      this.logger.debug('could not hold the PTY slave open', { owner, error });
    }
    void exited.then(() => slave !== undefined && closeSync(slave));
    const base = this.track(owner, terminal.pid, exited, hooks);
    return Object.assign(base, {
      write: (data: string) => terminal.write(data),
      resize: (cols: number, rows: number) => terminal.resize(cols, rows),
      pause: () => terminal.pause(),
      resume: () => terminal.resume(),
      onData: (listener: (data: string) => void) => {
        listeners.push(listener);
        for (const data of early.splice(0)) listener(data);
      },
    });
  }

  /** The common part: the identity, the live table, the stop and the after-exit clean-up. */
  private track(owner: ProcessOwner, pid: number, exited: Promise<ProcessExit>, hooks: ProcessHooks): Supervised {
    const identity = processIdentity(pid);
    let stopReason: string | null = null;
    let stopping: Promise<StopStep> | null = null;
    // Assigned below; `done` reads it only after the process has exited.
    let supervised!: Supervised;
    const done = (async () => {
      const exit = await exited;
      // Members of the group may outlive the leader (an agent's MCP servers, a backgrounded dev server): end them.
      await stopProcessGroup(pid, AFTER_EXIT_TIMINGS).catch(() => {});
      try {
        await hooks.afterExit?.(exit);
      } catch (error) {
        this.logger.error('after-exit bookkeeping failed', { owner, error });
      } finally {
        this.live.delete(supervised);
      }
    })();
    supervised = {
      owner,
      pid,
      identity,
      exited,
      done,
      get stopReason() {
        return stopReason;
      },
      stop: (reason) => {
        stopping ??= (async () => {
          stopReason ??= reason;
          let asked = false;
          try {
            asked = hooks.graceful?.() ?? false;
          } catch (error) {
            this.logger.warn('graceful stop request failed', { owner, error });
          }
          const step = await stopProcessGroup(pid, { graceful: asked ? () => {} : undefined, gracefulMs: asked ? (hooks.gracefulMs ?? 3000) : 0, ...STOP_TIMINGS });
          this.logger.info('process stopped', { owner, pid, reason, endedBy: step });
          await done;
          return step;
        })();
        return stopping;
      },
      signal: (signal) => {
        try {
          process.kill(-pid, signal);
        } catch {
          /* already gone */
        }
      },
    };
    this.live.add(supervised);
    return supervised;
  }
}

/**
 * Throw unless `file` names what execvp(3) would run: with a slash, that file (relative to `cwd`); without one, the
 * first executable regular file of that name in `path` (glibc's default when PATH is unset).
 */
function assertExecutable(file: string, cwd: string, path: string | undefined): void {
  const executable = (candidate: string): 'ok' | 'no such file' | 'not a file' | 'not executable' => {
    try {
      if (!statSync(candidate).isFile()) return 'not a file';
      accessSync(candidate, fsConstants.X_OK);
      return 'ok';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EACCES' ? 'not executable' : 'no such file';
    }
  };
  if (file.includes('/')) {
    const verdict = executable(resolvePath(cwd, file));
    if (verdict !== 'ok') throw new Error(verdict);
    return;
  }
  const dirs = (path ?? '/bin:/usr/bin').split(delimiter);
  if (!dirs.some((dir) => executable(resolvePath(cwd, dir || '.', file)) === 'ok')) throw new Error('not found on PATH');
}

/** node-pty reports the terminating signal as a number. */
function signalName(signal: number): NodeJS.Signals | null {
  const entry = Object.entries(constants.signals).find(([, n]) => n === signal);
  return (entry?.[0] as NodeJS.Signals | undefined) ?? null;
}
