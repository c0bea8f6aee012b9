// Start one OS process for an execution and own it to the end: own process group, output captured as UTF-8 chunks
// persisted as `execution/output` events (with backpressure), exit recorded with HEADs, stop escalated over the group.
import type { ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import type { Execution, ExecutionAction, RepositoryHead, RunReason } from '../../protocol/execution.js';
import type { Workspace } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { transact } from '../events/unit-of-work.js';
import { headOid } from '../git/repo.js';
import { newId } from '../util/ids.js';
import { scopeOf } from '../workspaces/service.js';
import { daemonIdentity, processIdentity, stopProcessGroup } from './process-group.js';
import { createOutputCapture, type OutputStream } from './output.js';
import type { AgentDriver, AgentInput } from '../executors/types.js';
import type { Emit } from '../events/unit-of-work.js';
import { executionFromRow, loadExecution } from './store.js';

export interface ProcessSpec {
  /** argv[0] is the program; or `script`, run with /bin/sh -c. */
  argv?: string[];
  script?: string;
  cwd: string;
  env: Record<string, string>;
  input: string | null;
  keepStdinOpen: boolean;
  /** An agent driver: it gets stdin once the process has spawned, every stdout line, and the first word on stop. */
  driver?: AgentDriver;
  /** Every complete line of the raw log (stdout, stderr, and what was written to stdin), in order. */
  onLine?: (line: string, stream: OutputStream) => void;
  /** Called when an output batch is cut (after its lines were observed); the returned function runs inside the
   * batch's transaction, after its chunks are emitted, so derived events commit with the output they came from. */
  onBatch?: () => ((emit: Emit) => void) | null;
  /** Record the execution as failed to start with this reason, without starting anything (e.g. a missing CLI). */
  failure?: string;
}

export interface ExecutionIntent {
  /** Chosen by the caller when it must know the id before the process starts (an agent's approvals); else new. */
  id?: string;
  workspace: Workspace;
  sessionId: string | null;
  runReason: RunReason;
  action: ExecutionAction;
}

export interface RunningExecution {
  readonly id: string;
  /** Resolves with the final execution once the process has exited and everything is persisted. */
  readonly done: Promise<Execution>;
  /** Stop: interrupt, SIGINT, SIGTERM, SIGKILL over the process group, with short grace periods. */
  stop(reason: string): Promise<void>;
}

async function readHeads(workspace: Workspace): Promise<RepositoryHead[]> {
  return Promise.all(workspace.repositories.map(async (r) => ({ repositoryId: r.repositoryId, oid: await headOid(r.path).catch(() => null) })));
}

/** Start the process and return at once; `done` settles when it has exited. */
export async function startExecution(engine: Engine, intent: ExecutionIntent, spec: ProcessSpec): Promise<RunningExecution> {
  const { workspace } = intent;
  const id = intent.id ?? newId('exe');
  const scope = { ...scopeOf(workspace), ...(intent.sessionId ? { sessionId: intent.sessionId } : {}), executionId: id };
  const owner = daemonIdentity();
  const headsBefore = await readHeads(workspace);
  const startedAt = new Date().toISOString();
  // The row exists before the process does, so a crash can never leave a process orchd has no record of for long.
  await transact(engine, async (trx) => {
    await trx
      .insertInto('executions')
      .values({
        id,
        workspace_id: workspace.id,
        session_id: intent.sessionId,
        run_reason: intent.runReason,
        status: 'running',
        exit_code: null,
        signal: null,
        pid: null,
        pgid: null,
        process_start_ticks: null,
        boot_id: null,
        owner_pid: owner.pid,
        owner_start_ticks: owner.startTicks,
        action: JSON.stringify(intent.action),
        heads_before: JSON.stringify(headsBefore),
        heads_after: null,
        reason: null,
        started_at: startedAt,
        ended_at: null,
      })
      .execute();
  });

  let child: ChildProcess;
  try {
    if (spec.failure !== undefined) throw new Error(spec.failure);
    const [file, ...args] = spec.script !== undefined ? ['/bin/sh', '-c', spec.script] : (spec.argv ?? []);
    if (!file) throw new OrchdError('invalidState', 'Expected a command to run, got an empty argv');
    // Own process group (detached), stdout and stderr piped: a child never inherits the daemon's stdout.
    // execa with buffering, rejection and its own clean-up off: orchd reads the raw streams and owns the kill.
    const subprocess = execa(file, args, {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: false,
      detached: true,
      stdin: spec.input !== null || spec.keepStdinOpen || spec.driver ? 'pipe' : 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: false,
      forceKillAfterDelay: false,
    });
    subprocess.catch(() => {});
    child = subprocess as unknown as ChildProcess;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (error) {
    const reason = `could not start: ${(error as Error).message}`;
    const execution = await finish(engine, id, scope, { status: 'failed', exitCode: null, signal: null, reason, headsAfter: headsBefore, emitStarted: true });
    return { id, done: Promise.resolve(execution), stop: async () => {} };
  }

  const pid = child.pid!;
  const identity = processIdentity(pid);
  const started = await transact(engine, async (trx, emit) => {
    const row = await trx
      .updateTable('executions')
      .set({ pid, pgid: pid, process_start_ticks: identity?.startTicks ?? null, boot_id: identity?.bootId ?? null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const execution = executionFromRow(row);
    emit('execution/started', { execution }, scope);
    return execution;
  });
  engine.logger.debug('execution started', { executionId: id, pid, runReason: intent.runReason });

  const driver = spec.driver;
  const capture = createOutputCapture({
    cutBatch: () => spec.onBatch?.() ?? null,
    persist: (chunks, derived) =>
      engine.writer.write((emit) => {
        for (const chunk of chunks) emit('execution/output', { executionId: id, seq: chunk.seq, stream: chunk.stream, text: chunk.text }, scope);
        (derived as ((emit: Emit) => void) | null)?.(emit);
      }),
    onLine: (line, stream) => {
      spec.onLine?.(line, stream);
      if (stream === 'stdout') driver?.onStdoutLine(line);
    },
    logger: engine.logger,
    slicer: engine.lineWork,
  });
  if (child.stdin) child.stdin.on('error', (error) => engine.logger.debug('stdin closed early', { executionId: id, error }));
  const input: AgentInput = {
    writeLine(line) {
      if (!child.stdin || child.stdin.destroyed || child.stdin.writableEnded) return;
      capture.recordInput(`${line}\n`);
      child.stdin.write(`${line}\n`);
    },
    close() {
      if (child.stdin && !child.stdin.writableEnded) child.stdin.end();
    },
  };
  if (spec.input !== null && child.stdin) {
    child.stdin.write(spec.input);
    if (!spec.keepStdinOpen && !driver) child.stdin.end();
  }
  capture.attach(child.stdout!, 'stdout');
  capture.attach(child.stderr!, 'stderr');
  if (driver) {
    try {
      driver.start(input);
    } catch (error) {
      engine.logger.error('agent driver failed to start', { executionId: id, error });
      input.close();
    }
  }

  let stopReason: string | null = null;
  let stopping: Promise<void> | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const done = (async () => {
    const { code, signal } = await exited;
    // Members of the group may outlive the leader (an agent's MCP servers, a backgrounded dev server): end them.
    await stopProcessGroup(pid, { gracefulMs: 0, intMs: 500, termMs: 1000 }).catch(() => {});
    await capture.closed();
    const status = stopReason !== null ? 'killed' : code === 0 ? 'completed' : 'failed';
    const reason = stopReason ?? (status === 'failed' ? (signal ? `terminated by ${signal}` : `exited with code ${code}`) : null);
    const execution = await finish(engine, id, scope, { status, exitCode: code, signal, reason, headsAfter: await readHeads(workspace), emitStarted: false });
    engine.running.delete(id);
    return execution;
  })();

  const running: RunningExecution = {
    id,
    done,
    stop(reason) {
      stopping ??= (async () => {
        stopReason ??= reason;
        // An agent is first asked to end its turn (its driver sends the interrupt and closes stdin when the turn
        // ends); signals follow if it has not exited within the grace period, or at once if it cannot be asked.
        let asked = false;
        if (driver) {
          try {
            asked = driver.interrupt();
          } catch (error) {
            engine.logger.warn('agent interrupt failed', { executionId: id, error });
          }
        }
        const step = await stopProcessGroup(pid, { graceful: asked ? () => {} : undefined, gracefulMs: asked ? 3000 : 0 });
        engine.logger.info('execution stopped', { executionId: id, reason, endedBy: step });
        await done;
      })();
      return stopping;
    },
  };
  engine.running.set(id, running);
  void started;
  return running;
}

async function finish(
  engine: Engine,
  id: string,
  scope: Record<string, string>,
  outcome: { status: Execution['status']; exitCode: number | null; signal: string | null; reason: string | null; headsAfter: RepositoryHead[]; emitStarted: boolean },
): Promise<Execution> {
  return transact(engine, async (trx, emit) => {
    const row = await trx
      .updateTable('executions')
      .set({ status: outcome.status, exit_code: outcome.exitCode, signal: outcome.signal, reason: outcome.reason, heads_after: JSON.stringify(outcome.headsAfter), ended_at: new Date().toISOString() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const execution = executionFromRow(row);
    if (outcome.emitStarted) emit('execution/started', { execution }, scope);
    emit('execution/exited', { execution }, scope);
    return execution;
  });
}

/** Stop one execution this process owns; an execution that already ended is returned as it is. */
export async function stopExecution(engine: Engine, executionId: string, reason: string): Promise<{ stopped: boolean; execution: Execution }> {
  const running = engine.running.get(executionId);
  if (!running) {
    const execution = await loadExecution(engine.store.db, executionId);
    if (!execution) throw OrchdError.notFound('execution', executionId);
    return { stopped: false, execution };
  }
  await running.stop(reason);
  return { stopped: true, execution: await running.done };
}
