// How a daemon process ends on a signal (the same for `orchd --stdio` and `orchd serve`): the first SIGTERM, SIGINT
// or SIGHUP stops everything gracefully; a second one means "now".
import type { Logger } from '../log/logger.js';
import type { ServerHost } from './host.js';

export function exitOnSignals(host: ServerHost, logger: Logger): void {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // A second signal while shutting down means "now": whoever sent it has waited long enough.
      if (host.isExiting) {
        logger.warn('second signal during shutdown; exiting now', { signal });
        process.exit(1);
      }
      logger.info('signal received; shutting down', { signal });
      void host.exit(0);
    });
  }
  process.on('uncaughtException', (error) => logger.error('uncaught exception', { error }));
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection', { error }));
}
