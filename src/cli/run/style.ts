// Terminal styling for the CLI's human output: ANSI colours when they are wanted, plain text otherwise.

export interface Style {
  readonly enabled: boolean;
  dim(text: string): string;
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** Colours only on a terminal, and never when NO_COLOR is set (any non-empty value) or --no-color was given. */
export function wantsColor(options: { isTty: boolean; noColorFlag: boolean; env: Record<string, string | undefined> }): boolean {
  if (!options.isTty || options.noColorFlag) return false;
  if (options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== '') return false;
  return options.env.TERM !== 'dumb';
}

/** A style that wraps text in ANSI codes when enabled and returns it unchanged otherwise. */
export function createStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (enabled && text ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return { enabled, dim: wrap(2, 22), bold: wrap(1, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

/** Text without ANSI escape sequences (for width and for tests). */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}

/** `1.2s`, `12s`, `3m05s`. */
export function formatElapsed(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** One line at most `width` characters long, with an ellipsis when cut. */
export function oneLine(text: string, width = 160): string {
  const lines = text.split('\n');
  let first = (lines.find((l) => l.trim()) ?? '').trimEnd();
  const more = lines.filter((l) => l.trim()).length > 1;
  if (first.length > width) first = `${first.slice(0, Math.max(1, width - 1))}…`;
  else if (more) first = `${first} …`;
  return first;
}
