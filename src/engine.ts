// The engine root: the open data directory (database, event hub) and the services every domain module uses.
// It knows nothing of JSON-RPC; src/server/ drives it, and so can tests and `orchd run`.
import { realpath, stat } from 'node:fs/promises';
import { OrchdError } from './errors.js';
import { BatchWriter } from './events/batch-writer.js';
import { EventHub, type EventHubOptions } from './events/hub.js';
import { repositoryRoot } from './git/repo.js';
import type { Logger } from './log/logger.js';
import { openStore, type Store } from './store/database.js';
import { WalCheckpointer } from './store/wal-checkpointer.js';
import { Foreground } from './util/foreground.js';
import { TurnSlicer } from './util/turn-slicer.js';
import { KeyedMutex } from './util/keyed-mutex.js';
import type { RunningExecution } from './executions/runner.js';
import type { SessionRuntime } from './sessions/chain.js';
import type { TerminalRuntime } from './terminals/runtime.js';
import { ApprovalBroker } from './approvals/broker.js';
import { PortBlocks } from './executions/ports.js';
import { ProcessSupervisor } from './supervisor/supervisor.js';
import { ConfigService } from './config/service.js';
import { userConfigFile, userConfigHome } from './config/files.js';
import { WatchRegistry } from './files/watches.js';
import { FileListCache } from './files/file-list-cache.js';

export interface RepositoryResolver {
  /** The top level of the git repository containing `path`; pathNotFound or notAGitRepository otherwise. */
  resolveRoot(path: string, field: string): Promise<string>;
}

export interface Engine {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly store: Store;
  readonly hub: EventHub;
  /** Group commit for agent output and the events derived from it (one synchronous transaction per turn). */
  readonly writer: BatchWriter;
  readonly repositories: RepositoryResolver;
  /** Serializes worktree mutations per repository (keyed by the main checkout's path). */
  readonly locks: KeyedMutex;
  /** Every OS process this engine started (agents, scripts, terminals): spawn, stop escalation, shutdown. */
  readonly processes: ProcessSupervisor;
  /** Live terminals of this engine, by terminal id (src/terminals/). */
  readonly terminals: Map<string, TerminalRuntime>;
  /** Executions whose process this engine started and still owns, by execution id. */
  readonly running: Map<string, RunningExecution>;
  /** Sessions whose action chain runs in this process. */
  readonly sessions: Map<string, SessionRuntime>;
  /** Agents waiting for approval answers, and the hosts that can be asked. */
  readonly approvals: ApprovalBroker;
  /** The block of ports each workspace's processes get (ORCHD_PORT); released when the workspace is deleted or archived. */
  readonly ports: PortBlocks;
  /** Whether hosts are sending requests: session starts and group commits yield to them (src/util/foreground.ts). */
  readonly foreground: Foreground;
  /** Line work of every running process's output capture, a time budget per turn shared by all of them. */
  readonly lineWork: TurnSlicer;
  /** Workspaces under an operation no session may overlap (merge, rebase, reset, delete, archive), with its name. */
  readonly workspaceOperations: Map<string, string>;
  /** The configuration files (user's, repositories'), watched, and the effective configuration's cache (src/config/). */
  readonly config: ConfigService;
  /** The file lists fs/findFiles scores, per worktree, briefly cached (src/files/file-list-cache.ts). */
  readonly fileLists: FileListCache;
  /** File watches by connection, one watcher per watched workspace (src/files/watches.ts). */
  readonly watches: WatchRegistry;
  /** Checkpoints the WAL on a thread of its own (src/store/wal-checkpointer.ts); told of every batch commit. */
  readonly checkpointer: WalCheckpointer;
  /** Stop every process this engine owns, then close; bounded by the host's shutdown deadline. */
  close(): Promise<void>;
}

export interface EngineOptions {
  dataDir: string;
  logger: Logger;
  events?: EventHubOptions;
  /** The server's request counter (one per process); a fresh one otherwise. */
  foreground?: Foreground;
  /** The directory of the user's config.json (default: ORCHD_CONFIG_HOME, else $XDG_CONFIG_HOME/orchd). */
  configHome?: string;
  /** Open before the query builder is loaded; the caller awaits `store.ready()` before anything queries (src/server/host.ts). */
  deferQueries?: boolean;
}

/** Open the data directory and start the engine. */
export async function openEngine(options: EngineOptions): Promise<Engine> {
  const store = await openStore(options.dataDir, options.logger, { deferQueries: options.deferQueries ?? false });
  const hub = await EventHub.open(store, options.logger, options.events);
  let closing: Promise<void> | undefined;
  const running = new Map<string, RunningExecution>();
  const sessions = new Map<string, SessionRuntime>();
  const foreground = options.foreground ?? new Foreground();
  const processes = new ProcessSupervisor(options.logger);
  const config = new ConfigService({ userFile: userConfigFile(options.configHome ?? userConfigHome()), logger: options.logger, events: { store, hub } });
  const watches = new WatchRegistry(hub, options.logger);
  const checkpointer = new WalCheckpointer(store.sqlite, store.path, options.logger);
  return {
    dataDir: options.dataDir,
    logger: options.logger,
    store,
    hub,
    writer: new BatchWriter(store, hub, options.logger, foreground, checkpointer),
    checkpointer,
    repositories: gitRepositoryResolver,
    locks: new KeyedMutex(),
    processes,
    terminals: new Map(),
    running,
    sessions,
    approvals: new ApprovalBroker(),
    ports: new PortBlocks(),
    workspaceOperations: new Map(),
    config,
    watches,
    fileLists: new FileListCache(),
    foreground,
    lineWork: new TurnSlicer(undefined, (error) => options.logger.error('output line work failed', { error })),
    close() {
      closing ??= (async () => {
        for (const runtime of sessions.values()) {
          runtime.stopping = true;
          runtime.steps.length = 0;
        }
        // Every process, whoever owns it, through the one supervisor; owners record `killed` with this reason.
        await Promise.all([processes.stopAll('orchd shut down'), watches.close()]);
        await Promise.all([...sessions.values()].map((r) => r.loop?.catch(() => {})));
        await config.close();
        hub.close();
        await checkpointer.close();
        await store.close();
      })();
      return closing;
    },
  };
}

const gitRepositoryResolver: RepositoryResolver = {
  async resolveRoot(path, field) {
    let real: string;
    try {
      if (!(await stat(path)).isDirectory()) throw OrchdError.notAGitRepository(field, path);
      real = await realpath(path);
    } catch (error) {
      if (error instanceof OrchdError) throw error;
      throw OrchdError.pathNotFound(field, path);
    }
    try {
      return await repositoryRoot(real);
    } catch (error) {
      if (error instanceof OrchdError && error.kind === 'notAGitRepository') throw OrchdError.notAGitRepository(field, path);
      throw error;
    }
  },
};
