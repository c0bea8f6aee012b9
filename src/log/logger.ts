// Logs are data: JSON lines on stderr, one object per line, built lazily so a disabled level costs nothing.
import { writeStderr } from './stderr-sink.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };
export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

export type LogFields = Record<string, unknown>;
export type LazyFields = LogFields | (() => LogFields);

export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  error(msg: string, fields?: LazyFields): void;
  warn(msg: string, fields?: LazyFields): void;
  info(msg: string, fields?: LazyFields): void;
  debug(msg: string, fields?: LazyFields): void;
  trace(msg: string, fields?: LazyFields): void;
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  bindings?: LogFields;
}

/** True when the string names a log level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && value in RANK;
}

/** A logger writing JSON lines (to stderr by default). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? writeStderr;
  const bindings = options.bindings ?? {};
  const emit = (at: LogLevel, msg: string, fields?: LazyFields) => {
    if (RANK[at] > RANK[level]) return;
    const extra = typeof fields === 'function' ? fields() : fields;
    const record: LogFields = { t: new Date().toISOString(), level: at, msg, ...bindings, ...extra };
    let line: string;
    try {
      line = JSON.stringify(record, errorReplacer);
    } catch {
      line = JSON.stringify({ t: record.t, level: at, msg, unserializable: true });
    }
    write(`${line}\n`);
  };
  return {
    level,
    enabled: (at) => RANK[at] <= RANK[level],
    error: (msg, fields) => emit('error', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    debug: (msg, fields) => emit('debug', msg, fields),
    trace: (msg, fields) => emit('trace', msg, fields),
    child: (more) => createLogger({ level, write, bindings: { ...bindings, ...more } }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const { name, message, stack } = value;
    const extra = value as unknown as Record<string, unknown>;
    return { name, message, stack, kind: extra.kind, cause: value.cause };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A logger that drops everything (for tests and library use). */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} });
