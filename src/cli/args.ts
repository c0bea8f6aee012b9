// Command-line parsing for bin/orchd.ts: a pure function from argv to what to do.
import { parseArgs } from 'node:util';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../log/logger.js';

export type Cli =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'error'; message: string }
  | { command: 'stdio'; logLevel: LogLevel; dataDir: string | undefined }
  | { command: 'doctor'; json: boolean; dataDir: string | undefined };

/** Usage text for `orchd --help`. */
export function usage(): string {
  return `orchd: a headless orchestrator for AI coding agents

Usage:
  orchd [--stdio] [--data-dir DIR] [--log-level LEVEL]   serve JSON-RPC (LSP framing) on stdin/stdout
  orchd doctor [--json] [--data-dir DIR]                 check git, SQLite, the data directory and agent CLIs
  orchd --help | --version

With no command, orchd serves on stdio when stdin is not a terminal.

Options:
  --stdio              serve the protocol on stdin/stdout (logs go to stderr as JSON lines)
  --data-dir DIR       where the database and worktrees live (default: $ORCHD_DATA_DIR, else ~/.local/share/orchd)
  --log-level LEVEL    ${LOG_LEVELS.join(' | ')} (default: $ORCHD_LOG_LEVEL, else info)
  --json               doctor: print JSON instead of text
  -h, --help           show this help
  -v, --version        print the version
`;
}

/** Decide what to run from argv. */
export function parseCli(argv: readonly string[], env: { stdinIsTty: boolean; logLevelEnv?: string | undefined } = { stdinIsTty: false }): Cli {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        stdio: { type: 'boolean' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    return { command: 'error', message: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const level = values['log-level'] ?? env.logLevelEnv ?? process.env.ORCHD_LOG_LEVEL ?? 'info';
  if (!isLogLevel(level)) return { command: 'error', message: `Expected \`--log-level\` to be one of ${LOG_LEVELS.join(', ')}, got \`${level}\`` };
  const dataDir = values['data-dir'];
  const [command, ...rest] = positionals;
  if (command === undefined) {
    if (values.stdio || !env.stdinIsTty) return { command: 'stdio', logLevel: level, dataDir };
    return { command: 'help' };
  }
  if (rest.length) return { command: 'error', message: `Unexpected argument \`${rest[0]}\`` };
  switch (command) {
    case 'doctor':
      return { command: 'doctor', json: Boolean(values.json), dataDir };
    case 'help':
      return { command: 'help' };
    default:
      return { command: 'error', message: `Unknown command \`${command}\`` };
  }
}
