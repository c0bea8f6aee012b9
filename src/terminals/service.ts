// Terminals in workspaces (issue 13, docs/terminals.md): create (a PTY through the supervisor, cwd confined to the
// workspace by real path), input, resize, kill, list, get, and the scrollback. The live runtimes are engine.terminals;
// the rows are the record, and a crash is repaired by recoverTerminals.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Terminal, TerminalCreateParams, TerminalOutputResult, TerminalSignal } from '../../protocol/terminal.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { transact } from '../events/unit-of-work.js';
import { workspaceEnvironment } from '../executions/environment.js';
import { effectiveConfig } from '../config/service.js';
import { daemonIdentity } from '../supervisor/process-group.js';
import { reclaimLeftover } from '../supervisor/recovery.js';
import type { PtyProcess } from '../supervisor/supervisor.js';
import { newId } from '../util/ids.js';
import { assertWorkspaceOpen } from '../workspaces/busy.js';
import { getWorkspace, scopeOf } from '../workspaces/service.js';
import type { TerminalRuntime } from './runtime.js';
import { loadTerminalRow, readChunks, terminalFromRow } from './store.js';

/** Scrollback when neither the request nor the configuration says (the configuration's built-in default). */
export { DEFAULT_SCROLLBACK_BYTES } from '../config/defaults.js';

/** The terminal, with the live output seq and pid when it runs in this daemon. */
async function current(engine: Engine, terminalId: string): Promise<Terminal> {
  const row = await loadTerminalRow(engine.store.db, terminalId);
  if (!row) throw OrchdError.notFound('terminal', terminalId);
  const live = engine.terminals.get(terminalId);
  return terminalFromRow(row, live ? { outputSeq: live.outputSeq, pid: live.proc.pid } : undefined);
}

export function getTerminal(engine: Engine, terminalId: string): Promise<Terminal> {
  return current(engine, terminalId);
}

export async function listTerminals(engine: Engine, filter: { workspaceId?: string | undefined; status?: Terminal['status'] | undefined }): Promise<Terminal[]> {
  let query = engine.store.db.selectFrom('terminals').selectAll().orderBy('created_at').orderBy('id');
  if (filter.workspaceId !== undefined) query = query.where('workspace_id', '=', filter.workspaceId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  const rows = await query.execute();
  return rows.map((row) => {
    const live = engine.terminals.get(row.id);
    return terminalFromRow(row, live ? { outputSeq: live.outputSeq, pid: live.proc.pid } : undefined);
  });
}

/** The directory to start in: a worktree, or a directory inside the workspace by real path. */
async function startDirectory(engine: Engine, workspace: Awaited<ReturnType<typeof getWorkspace>>, params: TerminalCreateParams): Promise<{ cwd: string; repositoryId: string | null }> {
  const repository = params.repository === undefined ? workspace.repositories[0] : workspace.repositories.find((r) => r.repositoryId === params.repository);
  if (!repository) {
    if (params.repository !== undefined) throw OrchdError.notFound('repository', params.repository, 'repository');
    throw OrchdError.invalidState(`Expected workspace \`${workspace.id}\` to have a worktree to start a terminal in, got none`, { workspaceId: workspace.id });
  }
  const base = repository.path;
  const wanted = params.cwd === undefined ? base : isAbsolute(params.cwd) ? params.cwd : resolve(base, params.cwd);
  let real: string;
  try {
    real = await realpath(wanted);
    if (!(await stat(real)).isDirectory()) throw OrchdError.pathNotFound('cwd', params.cwd ?? wanted);
  } catch (error) {
    if (error instanceof OrchdError) throw error;
    throw OrchdError.pathNotFound('cwd', params.cwd ?? wanted);
  }
  const root = await realpath(workspace.path).catch(() => workspace.path);
  const inside = (dir: string, top: string) => {
    const rel = relative(top, dir);
    return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !isAbsolute(rel));
  };
  const worktrees = await Promise.all(workspace.repositories.map(async (r) => ({ id: r.repositoryId, real: await realpath(r.path).catch(() => r.path) })));
  const owner = worktrees.find((w) => inside(real, w.real));
  if (!owner && !inside(real, root)) throw OrchdError.pathOutsideWorkspace('cwd', params.cwd ?? wanted, root);
  return { cwd: real, repositoryId: owner?.id ?? null };
}

export async function createTerminal(engine: Engine, params: TerminalCreateParams): Promise<Terminal> {
  const workspace = await getWorkspace(engine, params.workspaceId);
  assertWorkspaceOpen(engine, workspace, 'open a terminal');
  const { cwd, repositoryId } = await startDirectory(engine, workspace, params);
  // The default program and scrollback come from the configuration (`terminal.shell`, `terminal.scrollbackBytes`).
  const { terminal } = effectiveConfig(engine, workspace.projectId);
  const command = params.command ?? terminal.shell;
  const args = params.args ?? (params.command === undefined ? ['-l'] : []);
  const env = await workspaceEnvironment(engine, workspace, { TERM: 'xterm-256color', COLORTERM: 'truecolor', ...params.env });
  const id = newId('trm');
  const scope = scopeOf(workspace);
  const scrollbackBytes = params.scrollbackBytes ?? terminal.scrollbackBytes;
  const owner = daemonIdentity();
  const now = new Date().toISOString();
  // The row exists before the process does, so a crash never leaves a terminal orchd has no record of.
  await engine.store.db
    .insertInto('terminals')
    .values({
      id,
      workspace_id: workspace.id,
      repository_id: repositoryId,
      name: params.name ?? command.split('/').pop() ?? command,
      cwd,
      command,
      args: JSON.stringify(args),
      cols: params.cols,
      rows: params.rows,
      status: 'running',
      pid: null,
      process_start_ticks: null,
      boot_id: null,
      owner_pid: owner.pid,
      owner_start_ticks: owner.startTicks,
      exit_code: null,
      signal: null,
      reason: null,
      output_seq: 0,
      scrollback_bytes: scrollbackBytes,
      snapshot: null,
      snapshot_seq: 0,
      created_at: now,
      ended_at: null,
    })
    .execute();

  // The emulator behind snapshots (@xterm/headless) loads with the first terminal, not with the daemon; before the
  // spawn, so the runtime listens from the PTY's first byte.
  const { TerminalRuntime } = await import('./runtime.js');
  let runtime: TerminalRuntime | undefined;
  let proc: PtyProcess | undefined;
  try {
    proc = await engine.processes.spawnPty(
      { kind: 'terminal', id, workspaceId: workspace.id },
      { file: command, args, cwd, env, cols: params.cols, rows: params.rows },
      {
        // A closing terminal window sends SIGHUP: an interactive shell ignores SIGINT and SIGTERM but ends on it, and
        // passes it on to its jobs. Signals escalate from SIGINT if the group is still there after a second.
        graceful: () => {
          proc?.signal('SIGHUP');
          return true;
        },
        gracefulMs: 1000,
        afterExit: (exit) => recordExit(engine, id, scope, runtime, exit, proc?.stopReason ?? null),
      },
    );
  } catch (error) {
    await transact(engine, async (trx, emit) => {
      const row = await trx
        .updateTable('terminals')
        .set({ status: 'exited', reason: `could not start: ${(error as Error).message}`, ended_at: new Date().toISOString() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      emit('terminal/exited', { terminal: terminalFromRow(row) }, scope);
    });
    throw OrchdError.invalidState(`Expected \`command\` to start in a terminal, but \`${command}\` could not start: ${(error as Error).message}`, { field: 'command', command });
  }
  const started = proc;
  runtime = new TerminalRuntime(engine, started, { terminalId: id, scope, cols: params.cols, rows: params.rows, outputSeq: 0, scrollbackBytes });
  engine.terminals.set(id, runtime);
  const identity = started.identity;
  return transact(engine, async (trx, emit) => {
    const row = await trx
      .updateTable('terminals')
      .set({ pid: started.pid, process_start_ticks: identity?.startTicks ?? null, boot_id: identity?.bootId ?? null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const terminal = terminalFromRow(row, { outputSeq: runtime!.outputSeq, pid: started.pid });
    emit('terminal/created', { terminal }, scope);
    return terminal;
  }).finally(() => runtime!.begin());
}

/** After the PTY's process group is gone: commit the last output, then the exit, and forget the runtime. */
async function recordExit(
  engine: Engine,
  terminalId: string,
  scope: ReturnType<typeof scopeOf>,
  runtime: TerminalRuntime | undefined,
  exit: { code: number | null; signal: string | null },
  stopReason: string | null,
): Promise<void> {
  try {
    await runtime?.drain();
    await transact(engine, async (trx, emit) => {
      const row = await trx
        .updateTable('terminals')
        .set({ status: 'exited', exit_code: exit.code, signal: exit.signal, reason: stopReason, output_seq: runtime?.outputSeq ?? 0, ended_at: new Date().toISOString() })
        .where('id', '=', terminalId)
        .returningAll()
        .executeTakeFirstOrThrow();
      emit('terminal/exited', { terminal: terminalFromRow(row) }, scope);
    });
  } finally {
    runtime?.dispose();
    engine.terminals.delete(terminalId);
  }
}

function liveRuntime(engine: Engine, terminalId: string, terminal: Terminal): TerminalRuntime {
  const runtime = engine.terminals.get(terminalId);
  if (!runtime || terminal.status !== 'running') {
    throw OrchdError.invalidState(`Expected terminal \`${terminalId}\` to be running, got \`${terminal.status}\``, { terminalId, status: terminal.status });
  }
  return runtime;
}

export async function inputTerminal(engine: Engine, terminalId: string, data: string): Promise<number> {
  // A keystroke is the hot path: a live terminal is in memory, and only a miss needs the row (to say why).
  const live = engine.terminals.get(terminalId);
  if (live) return live.input(data);
  return liveRuntime(engine, terminalId, await current(engine, terminalId)).input(data);
}

export async function resizeTerminal(engine: Engine, terminalId: string, cols: number, rows: number): Promise<Terminal> {
  const terminal = await current(engine, terminalId);
  const runtime = liveRuntime(engine, terminalId, terminal);
  const scope = scopeOf(await getWorkspace(engine, terminal.workspaceId));
  runtime.resize(cols, rows);
  return transact(engine, async (trx, emit) => {
    const row = await trx.updateTable('terminals').set({ cols, rows }).where('id', '=', terminalId).returningAll().executeTakeFirstOrThrow();
    const updated = terminalFromRow(row, { outputSeq: runtime.outputSeq, pid: runtime.proc.pid });
    emit('terminal/updated', { terminal: updated }, scope);
    return updated;
  });
}

/** With a signal: send it to the terminal's group. Without: stop it with escalation and wait until it has exited. */
export async function killTerminal(engine: Engine, terminalId: string, signal?: TerminalSignal): Promise<Terminal> {
  const terminal = await current(engine, terminalId);
  const runtime = engine.terminals.get(terminalId);
  if (!runtime || terminal.status !== 'running') return terminal;
  if (signal) {
    runtime.proc.signal(signal);
    return current(engine, terminalId);
  }
  await runtime.proc.stop('killed');
  return current(engine, terminalId);
}

/** Stop a workspace's terminals (workspace stop, archive, delete); their reason says why. */
export function stopWorkspaceTerminals(engine: Engine, workspaceId: string, reason: string): Promise<void> {
  return engine.processes.stopWhere({ workspaceId, kind: 'terminal' }, reason);
}

/** The scrollback after `sinceSeq`: chunks, or (when they are older than what is kept) the snapshot and every chunk after it. */
export async function terminalOutput(engine: Engine, terminalId: string, sinceSeq: number): Promise<TerminalOutputResult> {
  const row = await loadTerminalRow(engine.store.db, terminalId);
  if (!row) throw OrchdError.notFound('terminal', terminalId);
  const reset = sinceSeq < row.snapshot_seq;
  const chunks = readChunks(engine.store, terminalId, reset ? row.snapshot_seq : sinceSeq);
  const data = (reset ? (row.snapshot ?? '') : '') + chunks.map((c) => c.data).join('');
  const toSeq = chunks.length ? chunks[chunks.length - 1]!.seq : Math.max(reset ? row.snapshot_seq : sinceSeq, 0);
  return { terminalId, reset, data, toSeq, exited: row.status === 'exited' };
}

/**
 * After a crash: terminals a dead orchd left `running` get their leftover process groups killed (only after proving
 * the pid is still theirs) and are marked exited with the reason.
 */
export async function recoverTerminals(engine: Engine): Promise<string[]> {
  const rows = await engine.store.db.selectFrom('terminals').selectAll().where('status', '=', 'running').execute();
  const recovered: string[] = [];
  for (const row of rows) {
    const reason = await reclaimLeftover(row, engine.terminals.has(row.id));
    if (reason === null) continue;
    const lastChunk = readChunks(engine.store, row.id, row.output_seq).at(-1)?.seq ?? row.output_seq;
    const workspace = await engine.store.db.selectFrom('workspaces').select(['project_id', 'task_id']).where('id', '=', row.workspace_id).executeTakeFirst();
    await transact(engine, async (trx, emit) => {
      const updated = await trx
        .updateTable('terminals')
        .set({ status: 'exited', reason, output_seq: lastChunk, ended_at: new Date().toISOString() })
        .where('id', '=', row.id)
        .where('status', '=', 'running')
        .returningAll()
        .executeTakeFirst();
      if (updated) emit('terminal/exited', { terminal: terminalFromRow(updated) }, { projectId: workspace?.project_id, taskId: workspace?.task_id, workspaceId: row.workspace_id });
    });
    engine.logger.warn('recovered terminal', { terminalId: row.id, reason });
    recovered.push(row.id);
  }
  return recovered;
}
