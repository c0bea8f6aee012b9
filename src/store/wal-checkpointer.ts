// WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside whichever COMMIT pushes the WAL
// past 1,000 pages: under an agent flood that was one group commit in every few hundred copying megabytes back into
// the database file and syncing it, a 5–20 ms stall of the event loop every host request could land behind. Here the
// daemon's own connection stops checkpointing once a worker thread, with its own connection to the same file, is ready
// to do it; the worker runs PASSIVE checkpoints (they never wait for, nor block, readers or the writer) at about
// SQLite's own cadence: every few megabytes committed, and once commits stop. A daemon that writes little never starts
// the thread. If the worker cannot start or dies, the connection checkpoints itself again, as SQLite does by default,
// so the WAL stays bounded either way.
// A PASSIVE checkpoint copies the frames that were there when it began; SQLite starts writing the WAL from its
// beginning again only when a write transaction finds every frame copied. Under a steady flood a commit always lands
// while the thread copies, so the WAL never restarted: 165 MB of WAL for 110 MB of database in the entries bench, on
// and on for as long as agents kept writing. So once the WAL holds RESET_BYTES, the next checkpoint runs with the
// group commit held (`holdsCommits`; requests and line work go on), and the commit after it restarts the WAL.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../log/logger.js';

/** SQLite's own default for `wal_autocheckpoint`, restored when the worker is not there to checkpoint. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/**
 * Bytes of events committed since the last checkpoint at which the next one runs: about SQLite's own 1,000 pages.
 * Each checkpoint syncs the WAL and the database file, so they are not run more often than SQLite would.
 */
export const CHECKPOINT_BYTES = 4 * 1024 * 1024;
/**
 * WAL size at which the next checkpoint runs with commits held, so the WAL restarts from its beginning. Most frames are
 * copied by the checkpoints before it, so that one copies about CHECKPOINT_BYTES: 12-18 ms here, fsyncs included.
 */
export const RESET_BYTES = 32 * 1024 * 1024;
/**
 * Commits are held at most this long for a checkpoint (a slow disk): then they go on, and the next hold waits until
 * the WAL has grown by another RESET_BYTES, so a disk that is always slow costs one such wait per RESET_BYTES.
 */
const HOLD_MAX_MS = 250;
/** Bytes committed in all before the thread is started: until then SQLite checkpoints as it always does. */
export const START_BYTES = 1024 * 1024;
/** Once commits stop for this long, what they left in the WAL is checkpointed. */
const IDLE_CHECKPOINT_MS = 1000;

/** How long `close()` waits for the worker to close its connection before terminating it. */
const CLOSE_TIMEOUT_MS = 2000;

/** What one checkpoint reported (`pragma wal_checkpoint(PASSIVE)`), as the worker posts it back. */
export interface CheckpointResult {
  /** The checkpoint could not run (another connection held the checkpoint lock). */
  busy: boolean;
  /** Frames in the WAL. */
  logFrames: number;
  /** Frames of it now copied into the database. */
  checkpointedFrames: number;
  ms: number;
}

export interface CheckpointerStats {
  state: 'idle' | 'starting' | 'running' | 'failed' | 'closed';
  checkpoints: number;
  /** Checkpoints run with commits held because the WAL had grown to RESET_BYTES. */
  resets: number;
  last: CheckpointResult | undefined;
}

type FromWorker = { type: 'ready' } | ({ type: 'checkpointed' } & CheckpointResult) | { type: 'failed'; message: string };

// The worker's whole program. A string run with `eval`, so that it loads the same from src/ (tsx) and from the bundle
// (dist/chunks/), with no file of its own to find; better-sqlite3 is resolved by the parent and passed in.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.path, { fileMustExist: true });
} catch (error) {
  parentPort.postMessage({ type: 'failed', message: String(error && error.message || error) });
  process.exit(1);
}
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  const started = performance.now();
  try {
    const row = checkpoint.get();
    parentPort.postMessage({ type: 'checkpointed', busy: row.busy === 1, logFrames: row.log, checkpointedFrames: row.checkpointed, ms: performance.now() - started });
  } catch (error) {
    parentPort.postMessage({ type: 'failed', message: String(error && error.message || error) });
  }
});
parentPort.postMessage({ type: 'ready' });
`;

export class WalCheckpointer {
  private worker: Worker | undefined;
  private state: CheckpointerStats['state'] = 'idle';
  private timer: NodeJS.Timeout | undefined;
  /** A checkpoint was asked of the worker and has not answered yet. */
  private inFlight = false;
  /** Bytes committed since the last checkpoint began, and in all (until the thread starts). */
  private dirtyBytes = 0;
  private committedBytes = 0;
  private checkpoints = 0;
  private resets = 0;
  /** The next checkpoint holds commits (the WAL reached `resetAt`). */
  private resetDue = false;
  /** Commits are held now, for the checkpoint in flight. */
  private holding = false;
  /** The checkpoint in flight began by holding commits (they may have been let go since, at HOLD_MAX_MS). */
  private wasHeld = false;
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly commitsFreeListeners: (() => void)[] = [];
  private pageSize = 4096;
  /** WAL bytes at which the next checkpoint holds commits: resetBytes, raised after a hold that ran out of time. */
  private resetAt: number;
  /** Callers of `holdWhile` running: no checkpoint starts on the thread meanwhile. */
  private held = 0;
  private last: CheckpointResult | undefined;
  private exited: Promise<void> | undefined;
  /** Callers waiting for the thread to be running or failed, and for the next checkpoint (tests). */
  private readonly settledWaiters: ((state: CheckpointerStats['state']) => void)[] = [];
  private readonly checkpointWaiters: ((result: CheckpointResult | null) => void)[] = [];

  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    private readonly path: string,
    private readonly logger: Logger,
    /** RESET_BYTES (tests use less). */
    private readonly resetBytes = RESET_BYTES,
  ) {
    this.resetAt = resetBytes;
  }

  /**
   * A write transaction committed `bytes` of events on the daemon's connection. Once START_BYTES have been, the thread
   * starts (a daemon that writes little never has one); then a checkpoint runs every CHECKPOINT_BYTES, and
   * IDLE_CHECKPOINT_MS after the last commit.
   */
  committed(bytes: number): void {
    this.dirtyBytes += bytes;
    if (this.state === 'idle') {
      this.committedBytes += bytes;
      if (this.committedBytes >= START_BYTES) this.start();
    } else if (this.state === 'running') this.schedule();
  }

  get stats(): CheckpointerStats {
    return { state: this.state, checkpoints: this.checkpoints, resets: this.resets, last: this.last };
  }

  /** True while a checkpoint that should restart the WAL runs: the group commit waits (src/events/batch-writer.ts). */
  get holdsCommits(): boolean {
    return this.holding;
  }

  /** Call `listener` once commits are no longer held (at once if they are not). */
  whenCommitsFree(listener: () => void): void {
    if (!this.holding) return listener();
    this.commitsFreeListeners.push(listener);
    this.refWhileWaited();
  }

  /** Resolves once the thread is running (or has failed, or this was closed) after the first commit started it. */
  settled(): Promise<CheckpointerStats['state']> {
    if (this.state !== 'idle' && this.state !== 'starting') return Promise.resolve(this.state);
    const settled = new Promise<CheckpointerStats['state']>((resolve) => this.settledWaiters.push(resolve));
    this.refWhileWaited();
    return settled;
  }

  /** Resolves with the next checkpoint's result; null if the thread fails or is closed first. */
  nextCheckpoint(): Promise<CheckpointResult | null> {
    const next = new Promise<CheckpointResult | null>((resolve) => this.checkpointWaiters.push(resolve));
    this.refWhileWaited();
    return next;
  }

  /**
   * Run `work` (a checkpoint on the daemon's connection) with the thread held off: once the checkpoint in flight, if
   * any, is done, and none starts until `work` ends. `maintenance/compact` needs this after its vacuum: a checkpoint on
   * the daemon's connection truncates the main file to the pages left, and the thread's would hold the checkpoint lock
   * and make it do nothing (and the thread's own, seen in tests, copies the pages but leaves the file its old size).
   */
  async holdWhile<T>(work: () => Promise<T>): Promise<T> {
    this.held++;
    try {
      while (this.state === 'running' && this.inFlight) await this.nextCheckpoint();
      return await work();
    } finally {
      this.held--;
      this.schedule();
    }
  }

  /** Stop the worker (it closes its connection) before the daemon's connection closes. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasRunning = this.worker !== undefined && this.state !== 'failed';
    this.setState('closed');
    clearTimeout(this.timer);
    if (!this.worker) return;
    if (wasRunning) this.worker.postMessage('close');
    // Whoever closes awaits the thread's exit: it keeps the event loop alive until then.
    this.worker.ref();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS, 'timeout')));
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') await this.worker.terminate();
  }

  private start(): void {
    this.setState('starting');
    let worker: Worker;
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      // The thread runs one pragma: a small heap is plenty (about 7 MB of RSS in all, most of it the isolate), and a
      // thread that outgrew it would fail over to SQLite's own checkpoints like any other failure.
      const resourceLimits = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16, stackSizeMb: 1 };
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: this.path }, stdout: true, stderr: true, env: {}, resourceLimits });
    } catch (error) {
      this.fail('could not start', error);
      return;
    }
    this.worker = worker;
    // The thread must not keep the daemon alive (unless someone awaits it), nor write to its stdout (the protocol's).
    this.refWhileWaited();
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => this.fail('failed', error));
    worker.on('exit', (code) => {
      if (this.state === 'starting' || this.state === 'running') this.fail('exited', new Error(`exit code ${code}`));
    });
  }

  private onMessage(message: FromWorker): void {
    if (this.state === 'closed') return;
    switch (message.type) {
      case 'ready':
        // From now on checkpoints are the worker's: the daemon's commits only append to the WAL.
        this.sqlite.pragma('wal_autocheckpoint = 0');
        this.pageSize = Number(this.sqlite.pragma('page_size', { simple: true })) || 4096;
        this.setState('running');
        this.schedule();
        return;
      case 'checkpointed': {
        const { type: _type, ...result } = message;
        this.inFlight = false;
        this.checkpoints++;
        this.last = result;
        const held = this.holding;
        const timedOut = this.wasHeld && !held;
        this.wasHeld = false;
        this.releaseCommits();
        const walBytes = result.logFrames * this.pageSize;
        if (timedOut) this.resetAt = walBytes + this.resetBytes;
        else if (walBytes < this.resetBytes) this.resetAt = this.resetBytes;
        // `logFrames` is the WAL as the checkpoint found it; commits went on meanwhile, so the WAL did not restart. Once
        // it is this big the next checkpoint holds commits; after a complete one that did, the next commit restarts it.
        this.resetDue = !result.busy && walBytes >= this.resetAt && !(held && result.checkpointedFrames === result.logFrames);
        if (this.resetDue) this.dirtyBytes = Math.max(this.dirtyBytes, CHECKPOINT_BYTES);
        for (const waiter of this.checkpointWaiters.splice(0)) waiter(result);
        this.refWhileWaited();
        this.schedule();
        return;
      }
      case 'failed':
        this.fail('failed', new Error(message.message));
        return;
    }
  }

  private releaseCommits(): void {
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if (!this.holding) return;
    this.holding = false;
    for (const listener of this.commitsFreeListeners.splice(0)) listener();
    this.refWhileWaited();
  }

  private setState(state: CheckpointerStats['state']): void {
    this.state = state;
    if (state === 'failed' || state === 'closed') this.releaseCommits();
    if (state !== 'starting') for (const waiter of this.settledWaiters.splice(0)) waiter(state);
    if (state === 'failed' || state === 'closed') for (const waiter of this.checkpointWaiters.splice(0)) waiter(null);
    this.refWhileWaited();
  }

  /**
   * The thread and its timer keep the event loop alive only while a caller awaits them (`settled`, `nextCheckpoint`,
   * `whenCommitsFree`).
   */
  private refWhileWaited(): void {
    const waited = this.settledWaiters.length + this.checkpointWaiters.length + this.commitsFreeListeners.length > 0 && this.state !== 'closed' && this.state !== 'failed';
    if (waited) {
      this.worker?.ref();
      this.timer?.ref();
    } else {
      this.worker?.unref();
      this.timer?.unref();
    }
  }

  /** Checkpoint now if enough was committed, else once commits have stopped for IDLE_CHECKPOINT_MS. */
  private schedule(): void {
    if (this.inFlight || this.held > 0 || this.state !== 'running' || this.dirtyBytes === 0) return;
    if (this.dirtyBytes >= CHECKPOINT_BYTES) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.checkpoint();
      return;
    }
    // Every commit pushes the idle checkpoint back: the same timer, restarted (no new one per commit).
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.checkpoint();
    }, IDLE_CHECKPOINT_MS);
    this.refWhileWaited();
  }

  private checkpoint(): void {
    if (this.state !== 'running' || !this.worker || this.inFlight || this.held > 0) return;
    this.dirtyBytes = 0;
    this.inFlight = true;
    if (this.resetDue) {
      // No write transaction is open between turns, so once held no frame lands before this checkpoint ends.
      this.resets++;
      this.holding = true;
      this.wasHeld = true;
      this.holdTimer = setTimeout(() => this.releaseCommits(), HOLD_MAX_MS);
      this.holdTimer.unref();
    }
    this.worker.postMessage('checkpoint');
  }

  /** Checkpoint on the daemon's own connection again, as SQLite does by default; the worker is not restarted. */
  private fail(what: string, error: unknown): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.setState('failed');
    clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight = false;
    this.logger.warn(`WAL checkpoint thread ${what}; the daemon's connection checkpoints itself again`, { error });
    try {
      if (this.sqlite.open) this.sqlite.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    } catch (pragmaError) {
      this.logger.error('could not restore automatic WAL checkpoints', { error: pragmaError });
    }
    void this.worker?.terminate();
  }
}
