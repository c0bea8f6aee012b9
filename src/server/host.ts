// The process-wide side of the server: one engine per process, shared by every connection, and the exit path.
import { realpathSync } from 'node:fs';
import { resolveDataDir } from '../config/data-dir.js';
import { openEngine, type Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import type { EventHubOptions } from '../events/hub.js';
import type { Logger } from '../log/logger.js';
import { Foreground } from '../util/foreground.js';
import type { ClientConnection } from './client-connection.js';

/** How long after the shutdown deadline the process is ended regardless. */
const EXIT_GRACE_MS = 2000;

/** A network service the host serves beside its own transport (src/server/ws/service.ts). */
export interface ServiceHandle {
  readonly url: string;
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

export interface HostOptions {
  logger: Logger;
  version: string;
  /** --data-dir */
  dataDirFlag?: string | undefined;
  /** ORCHD_DATA_DIR */
  dataDirEnv?: string | undefined;
  /** Ends the process (or, in tests, records the code). */
  exit: (code: number) => void;
  events?: EventHubOptions;
  /** How often to check that the host process named in `initialize` is alive (ms). */
  parentPollMs?: number;
  /** How long shutdown may take before exit proceeds anyway. */
  shutdownDeadlineMs?: number;
  /** Called once the engine is open (the stdio bridge starts its WebSocket service here). */
  onEngineOpen?: (engine: Engine) => void;
}

export class ServerHost {
  private engineValue: Engine | undefined;
  private opening: Promise<Engine> | undefined;
  private repaired: Promise<void> | undefined;
  /** True once start-up repair has finished (see whenRepaired). */
  repairDone = false;
  private shuttingDown: Promise<void> | undefined;
  private exited = false;
  private parentTimer: NodeJS.Timeout | undefined;
  readonly logger: Logger;
  readonly version: string;
  /** Every attached connection (daemon/status). */
  readonly connections = new Set<ClientConnection>();
  readonly startedAt = new Date();
  /** Requests read from every connection and not yet dispatched; the engine's background work yields to them. */
  readonly foreground = new Foreground();
  /** The WebSocket service this daemon serves, if any (`orchd serve`, `--listen`), and what to release after it. */
  private serviceValue: { service: ServiceHandle; release: () => void } | undefined;

  constructor(private readonly options: HostOptions) {
    this.logger = options.logger;
    this.version = options.version;
  }

  /** The open engine, if `initialize` opened it. */
  get engine(): Engine | undefined {
    return this.engineValue;
  }

  /** The WebSocket service, for daemon/status. */
  get service(): ServiceHandle | undefined {
    return this.serviceValue?.service;
  }

  /**
   * Serve `service` until shutdown: it closes its connections first (close code 1001), then the engine closes, then
   * `release` runs (removing service.json and the lock, so a new daemon never recovers under a live one).
   */
  setService(service: ServiceHandle, release: () => void): void {
    this.serviceValue = { service, release };
  }

  /** True once `shutdown` began. */
  get isShuttingDown(): boolean {
    return this.shuttingDown !== undefined;
  }

  /**
   * Open the engine on the resolved data directory (once per process; later calls must agree on the directory).
   * `initialize` opens it with `deferQueries`: it replies before the query builder is loaded, which start-up repair
   * (awaited by every other request) waits for.
   */
  async openEngine(fromInitialize: string | undefined, options: { deferQueries?: boolean } = {}): Promise<Engine> {
    const { dataDir, source } = resolveDataDir({ fromInitialize, fromFlag: this.options.dataDirFlag, fromEnv: this.options.dataDirEnv });
    if (this.opening) {
      const engine = await this.opening;
      // The same directory however it is spelled (a symlink, macOS's /var and /private/var).
      if (!sameDirectory(engine.dataDir, dataDir)) {
        throw OrchdError.invalidState(`Expected \`dataDir\` to be the directory this process already uses, \`${engine.dataDir}\`, got \`${dataDir}\``, {
          dataDir: engine.dataDir,
        });
      }
      return engine;
    }
    this.logger.info('opening data directory', { dataDir, source });
    this.opening = openEngine({ dataDir, logger: this.logger, foreground: this.foreground, deferQueries: options.deferQueries ?? false, ...(this.options.events ? { events: this.options.events } : {}) }).then((engine) => {
      this.repaired = this.repair(engine);
      return engine;
    });
    try {
      this.engineValue = await this.opening;
    } catch (error) {
      this.opening = undefined;
      throw error;
    }
    this.options.onEngineOpen?.(this.engineValue);
    return this.engineValue;
  }

  /**
   * Resolves once start-up repair is done. `initialize` replies as soon as the database is open; every other request
   * waits for this, so none can trip over what a crash left behind.
   */
  whenRepaired(): Promise<void> {
    return this.repaired ?? Promise.resolve();
  }

  /** Repair what a crash left behind: orphaned processes, interrupted executions, vanished or half-made worktrees. */
  private async repair(engine: Engine): Promise<void> {
    try {
      // Imported here, off the spawn → `initialize` path: they pull in the git and worktree code (and Kysely).
      const [{ recoverExecutions }, { reconcileWorkspaces }, { recoverTerminals }] = await Promise.all([
        import('../executions/recovery.js'),
        import('../workspaces/reconcile.js'),
        import('../terminals/service.js'),
        engine.store.ready(),
      ]);
      await recoverExecutions(engine).catch((error) => this.logger.error('execution recovery failed', { error }));
      await recoverTerminals(engine).catch((error) => this.logger.error('terminal recovery failed', { error }));
      await reconcileWorkspaces(engine).catch((error) => this.logger.error('reconciliation failed', { error }));
    } catch (error) {
      this.logger.error('start-up repair could not run', { error });
    } finally {
      this.repairDone = true;
    }
  }

  /** Stop everything this process started and close the database, within the deadline. Idempotent. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      const deadline = this.options.shutdownDeadlineMs ?? 10_000;
      await this.serviceValue?.service.close().catch((error) => this.logger.error('closing the WebSocket service failed', { error }));
      const engine = this.engineValue ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
      if (!engine) return this.serviceValue?.release();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), deadline);
        timer.unref();
      });
      const close = async () => {
        await this.repaired?.catch(() => {});
        await engine.close();
        return 'closed' as const;
      };
      const outcome = await Promise.race([close(), timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') this.logger.warn('shutdown deadline passed', { deadlineMs: deadline });
      else this.logger.info('shutdown complete');
      this.serviceValue?.release();
    })();
    return this.shuttingDown;
  }

  /** Poll the host's pid; when it is gone, shut down and exit (the host cannot send `exit` any more). */
  watchParent(pid: number, intervalMs = this.options.parentPollMs ?? 1000): void {
    if (this.parentTimer || pid === process.pid) return;
    this.parentTimer = setInterval(() => {
      if (isAlive(pid)) return;
      clearInterval(this.parentTimer);
      this.logger.warn('host process is gone; shutting down', { processId: pid });
      void this.exit(0);
    }, intervalMs);
    this.parentTimer.unref();
  }

  /** Shut down if needed, then end the process with `code`. */
  async exit(code: number): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    if (this.parentTimer) clearInterval(this.parentTimer);
    // Whatever shutdown does, the process ends: a stuck close must not leave an orphan behind its host.
    const force = setTimeout(() => this.options.exit(code), (this.options.shutdownDeadlineMs ?? 10_000) + EXIT_GRACE_MS);
    force.unref();
    await this.shutdown().catch((error) => this.logger.error('shutdown failed', { error }));
    clearTimeout(force);
    this.options.exit(code);
  }

  /** True once `exit` began: a second signal should not wait for the first one's shutdown. */
  get isExiting(): boolean {
    return this.exited;
  }
}

/** True when both paths name one directory (compared by real path; by the strings when either cannot be resolved). */
function sameDirectory(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** True while a process with this pid exists (EPERM means it exists but is not ours). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
