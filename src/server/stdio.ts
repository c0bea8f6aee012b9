// `orchd --stdio`: serve the protocol on stdin/stdout with Content-Length framing until `exit` or stdin closes.
import type { LogLevel } from '../log/logger.js';
import { createLogger } from '../log/logger.js';
import { attachConnection, type AttachedConnection } from './connection.js';
import { FrameWriter } from './frame-writer.js';
import { FrameReader } from './framing.js';
import { ServerHost } from './host.js';
import { flushProtocolOut, guardStdout } from './stdout-guard.js';

export interface StdioOptions {
  version: string;
  logLevel: LogLevel;
  dataDir?: string | undefined;
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
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // A second signal while shutting down means "now": the host has waited long enough.
      if (host.isExiting) {
        logger.warn('second signal during shutdown; exiting now', { signal });
        process.exit(1);
      }
      logger.info('signal received; shutting down', { signal });
      void host.exit(0);
    });
  }
  // The host reads stdout: when that pipe breaks, the host is gone, and so is the reason to run.
  process.stdout.on('error', (error) => {
    logger.warn('stdout closed; shutting down', { code: (error as NodeJS.ErrnoException).code });
    void host.exit(0);
  });
  process.on('uncaughtException', (error) => logger.error('uncaught exception', { error }));
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection', { error }));
  logger.info('orchd listening on stdio', { version: options.version, pid: process.pid });
}
