// One execution's record around one OS process: the row before the process exists, the process started through the
// supervisor (its own group, stop escalation, src/supervisor/), output captured as UTF-8 chunks persisted as
// `execution/output` events (with backpressure), the exit recorded with HEADs.
import type { Execution, ExecutionAction, RepositoryHead, RunReason } from '../../protocol/execution.js';
import type { Workspace } from '../../protocol/workspace.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { transact } from '../events/unit-of-work.js';
import { headOid } from '../git/repo.js';
import { newId } from '../util/ids.js';
import { scopeOf } from '../workspaces/service.js';
import { daemonIdentity } from '../supervisor/process-group.js';
import type { PipeProcess } from '../supervisor/supervisor.js';
import { createOutputCapture, type OutputCapture, type OutputStream } from './output.js';
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

  const driver = spec.driver;
  let capture: OutputCapture | undefined;
  let settle!: { resolve: (execution: Execution) => void; reject: (error: unknown) => void };
  const done = new Promise<Execution>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {});
  let proc: PipeProcess;
  try {
    if (spec.failure !== undefined) throw new Error(spec.failure);
    const [file, ...args] = spec.script !== undefined ? ['/bin/sh', '-c', spec.script] : (spec.argv ?? []);
    if (!file) throw new OrchdError('invalidState', 'Expected a command to run, got an empty argv');
    proc = await engine.processes.spawnPipes(
      { kind: 'execution', id, workspaceId: workspace.id },
      { file, args, cwd: spec.cwd, env: spec.env, stdin: spec.input !== null || spec.keepStdinOpen || driver ? 'pipe' : 'ignore' },
      {
        // An agent is first asked to end its turn (its driver sends the interrupt and closes stdin when the turn
        // ends); signals follow if it has not exited within the grace period, or at once if it cannot be asked.
        graceful: driver ? () => driver.interrupt() : undefined,
        afterExit: async ({ code, signal }) => {
          try {
            await capture?.closed();
            const stopReason = proc.stopReason;
            const status = stopReason !== null ? 'killed' : code === 0 ? 'completed' : 'failed';
            const reason = stopReason ?? (status === 'failed' ? (signal ? `terminated by ${signal}` : `exited with code ${code}`) : null);
            settle.resolve(await finish(engine, id, scope, { status, exitCode: code, signal, reason, headsAfter: await readHeads(workspace), emitStarted: false }));
          } catch (error) {
            settle.reject(error);
            throw error;
          } finally {
            engine.running.delete(id);
          }
        },
      },
    );
  } catch (error) {
    const reason = `could not start: ${(error as Error).message}`;
    const execution = await finish(engine, id, scope, { status: 'failed', exitCode: null, signal: null, reason, headsAfter: headsBefore, emitStarted: true });
    return { id, done: Promise.resolve(execution), stop: async () => {} };
  }

  const pid = proc.pid;
  const identity = proc.identity;
  await transact(engine, async (trx, emit) => {
    const row = await trx
      .updateTable('executions')
      .set({ pid, pgid: pid, process_start_ticks: identity?.startTicks ?? null, boot_id: identity?.bootId ?? null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    emit('execution/started', { execution: executionFromRow(row) }, scope);
  });
  engine.logger.debug('execution started', { executionId: id, pid, runReason: intent.runReason });

  const output = createOutputCapture({
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
  capture = output;
  const stdin = proc.stdin;
  if (stdin) stdin.on('error', (error) => engine.logger.debug('stdin closed early', { executionId: id, error }));
  const input: AgentInput = {
    writeLine(line) {
      if (!stdin || stdin.destroyed || stdin.writableEnded) return;
      output.recordInput(`${line}\n`);
      stdin.write(`${line}\n`);
    },
    close() {
      if (stdin && !stdin.writableEnded) stdin.end();
    },
  };
  if (spec.input !== null && stdin) {
    stdin.write(spec.input);
    if (!spec.keepStdinOpen && !driver) stdin.end();
  }
  output.attach(proc.stdout, 'stdout');
  output.attach(proc.stderr, 'stderr');
  if (driver) {
    try {
      driver.start(input);
    } catch (error) {
      engine.logger.error('agent driver failed to start', { executionId: id, error });
      input.close();
    }
  }

  const running: RunningExecution = {
    id,
    done,
    async stop(reason) {
      await proc.stop(reason);
      await done.catch(() => {});
    },
  };
  engine.running.set(id, running);
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
