// `orchd --stdio`: serve the protocol on stdin/stdout with Content-Length framing until `exit` or stdin closes.
import type { LogLevel } from '../log/logger.js';
import { createLogger } from '../log/logger.js';
import { attachConnection, type AttachedConnection } from './connection.js';
import { FrameWriter } from './frame-writer.js';
import { FrameReader } from './framing.js';
import { tuneHeap } from './heap.js';
import { ServerHost } from './host.js';
import { exitOnSignals } from './signals.js';
import type { Engine } from '../engine.js';
import type { ListenOptions } from './ws/start.js';
import { flushProtocolOut, guardStdout } from './stdout-guard.js';

export interface StdioOptions {
  version: string;
  logLevel: LogLevel;
  dataDir?: string | undefined;
  /** Also serve WebSocket clients (the bridge), once `initialize` has opened the data directory. */
  listen?: ListenOptions | undefined;
}

/** Run the daemon on this process's stdio. Resolves never; the process exits through the host. */
export function runStdio(options: StdioOptions): void {
  const out = guardStdout();
  const logger = createLogger({ level: options.logLevel });
  const host = new ServerHost({
    logger,
    version: options.version,
    dataDirFlag: options.dataDir,
    dataDirEnv: process.env.ORCHD_DATA_DIR,
    exit: (code) => {
      void flushProtocolOut().finally(() => process.exit(code));
    },
    onEngineOpen: (engine: Engine) => {
      // After the `initialize` reply that opened the engine has gone out (src/server/heap.ts).
      setTimeout(() => void tuneHeap(logger), 0);
      if (options.listen) void bridge(host, engine, options.listen);
    },
  });
  let attached: AttachedConnection | undefined;
  const reader = new FrameReader(process.stdin, { onBadFrame: (bad) => attached?.replyToBadFrame(bad) });
  const writer = new FrameWriter(out);
  attached = attachConnection(host, reader, writer, {
    checkResults: process.env.ORCHD_CHECK_RESULTS === '1',
    transport: 'stdio',
    // stdin closing counts as shutdown: stop everything and exit cleanly.
    onClose: () => {
      logger.info('stdin closed');
      void host.exit(0);
    },
  });
  exitOnSignals(host, logger);
  // The host reads stdout: when that pipe breaks, the host is gone, and so is the reason to run.
  process.stdout.on('error', (error) => {
    logger.warn('stdout closed; shutting down', { code: (error as NodeJS.ErrnoException).code });
    void host.exit(0);
  });
  logger.info('orchd listening on stdio', { version: options.version, pid: process.pid });
}

/**
 * The bridge: the daemon a host spawned also serves WebSocket clients on the data directory `initialize` opened. When
 * another service already holds that directory, the host keeps working and the failure is logged.
 */
async function bridge(host: ServerHost, engine: Engine, listen: ListenOptions): Promise<void> {
  try {
    // Tokens are checked through the query builder, which start-up repair waits for.
    await host.whenRepaired();
    const [{ acquireServiceLock }, { startService }] = await Promise.all([import('../service/discovery.js'), import('./ws/start.js')]);
    const lock = acquireServiceLock(engine.dataDir);
    await startService(host, engine, lock, listen);
  } catch (error) {
    host.logger.error('could not serve WebSocket clients (--listen)', { error });
  }
}
