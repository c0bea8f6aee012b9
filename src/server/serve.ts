// `orchd serve`: a long-running daemon with no host of its own, serving JSON-RPC over WebSocket to every client that
// brings a token. It takes the data directory's service lock before it opens the database (so it never recovers
// under a live daemon), and ends on `daemon/stop` or a signal.
import { resolveDataDir } from '../config/data-dir.js';
import { OrchdError } from '../errors.js';
import { createLogger, type LogLevel } from '../log/logger.js';
import { acquireServiceLock } from '../service/discovery.js';
import { ensurePrivateDirectory } from '../store/private-files.js';
import { tuneHeap } from './heap.js';
import { ServerHost } from './host.js';
import { exitOnSignals } from './signals.js';
import { guardStdout } from './stdout-guard.js';
import { startService, type ListenOptions } from './ws/start.js';

export interface ServeOptions {
  version: string;
  logLevel: LogLevel;
  dataDir: string | undefined;
  listen: ListenOptions;
}

/** Serve until stopped; resolves to an exit code only when the service could not start. */
export async function runServe(options: ServeOptions): Promise<number | undefined> {
  // Nothing is ever written to stdout in service mode; the guard keeps a stray write from any library off it too.
  guardStdout();
  const logger = createLogger({ level: options.logLevel });
  void tuneHeap(logger);
  const { dataDir } = resolveDataDir({ fromFlag: options.dataDir, fromEnv: process.env.ORCHD_DATA_DIR });
  const host = new ServerHost({ logger, version: options.version, dataDirFlag: dataDir, exit: (code) => process.exit(code) });
  let lock;
  try {
    ensurePrivateDirectory(dataDir);
    lock = acquireServiceLock(dataDir);
  } catch (error) {
    process.stderr.write(`orchd serve: ${(error as Error).message}\n`);
    return error instanceof OrchdError && error.kind === 'alreadyExists' ? 1 : 2;
  }
  exitOnSignals(host, logger);
  try {
    const engine = await host.openEngine(undefined);
    const service = await startService(host, engine, lock, options.listen);
    if (process.stderr.isTTY) process.stderr.write(`orchd serving ${service.url} (data: ${dataDir}; token: ${dataDir}/service-token; stop: Ctrl-C)\n`);
    return undefined;
  } catch (error) {
    lock.release();
    logger.error('orchd serve could not start', { error });
    process.stderr.write(`orchd serve: ${(error as Error).message}\n`);
    await host.shutdown().catch(() => {});
    return 1;
  }
}
