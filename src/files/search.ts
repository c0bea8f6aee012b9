// fs/search: text search in a workspace's worktrees through git's own grep, so ignore rules, binary detection and
// speed are git's. One `git grep` per worktree, its output parsed as it streams; the search stops (git's process
// group killed) at `maxResults` or when the request is cancelled. docs/files.md describes the semantics.
import type { SearchMatch } from '../../protocol/fs.js';
import type { Engine } from '../engine.js';
import { OrchdError, shown } from '../errors.js';
import { gitFailure } from '../git/exec.js';
import { spawnGitStream } from '../git/stream.js';
import { searchCancelled, searchRoots, type SearchRoot } from './search-targets.js';

export interface SearchOptions {
  readonly repository?: string | undefined;
  readonly query: string;
  readonly regex: boolean;
  readonly caseSensitive: boolean;
  readonly wholeWord: boolean;
  readonly globs?: readonly string[] | undefined;
  readonly maxResults: number;
}

export interface SearchContext {
  readonly signal?: AbortSignal | undefined;
  /** When given, matches are handed here in batches as they are found, and left out of the result. */
  readonly partial?: ((matches: SearchMatch[]) => void) | undefined;
}

export interface SearchOutcome {
  /** The matches not already handed to `partial`. */
  readonly matches: SearchMatch[];
  readonly truncated: boolean;
}

/** How many characters of a long line the preview keeps, and how many of them come before the match. */
const PREVIEW_CHARS = 500;
const PREVIEW_BEFORE = 100;
/** Bytes of a line kept after the match's column: enough for any preview; the rest of a giant line is skipped. */
const KEEP_AFTER_MATCH = 64 * 1024;
/** A partial batch goes out at this many matches, or this long after its first match, whichever comes first. */
const BATCH_MATCHES = 100;
const BATCH_MS = 50;

// A UTF-8 locale for grep: `.` and `-i` then work on characters, not bytes (the other git calls run under `C` so
// dugite can parse their messages; C.UTF-8's messages are the same English). Without that locale, glibc falls back
// to C and git still runs. Pathspec environment overrides are cleared so `:(glob)` magic always means what it says.
const GREP_ENV: Record<string, string | undefined> = {
  LC_ALL: 'C.UTF-8',
  LANG: 'C.UTF-8',
  GIT_LITERAL_PATHSPECS: undefined,
  GIT_GLOB_PATHSPECS: undefined,
  GIT_NOGLOB_PATHSPECS: undefined,
  GIT_ICASE_PATHSPECS: undefined,
};

/** Search the workspace's worktrees (or the one `repository` names) for `query`. */
export async function searchWorkspace(engine: Engine, workspaceId: string, options: SearchOptions, context: SearchContext = {}): Promise<SearchOutcome> {
  const roots = await searchRoots(engine, workspaceId, options.repository);
  if (/[\n\0]/.test(options.query)) {
    throw OrchdError.invalidParams('query', `Expected \`query\` to be one line without NUL, got ${shown(options.query)}`);
  }
  const args = grepArgs(options);
  const measure = matchLength(options);
  const collector = new MatchCollector(options.maxResults, context.partial);
  try {
    for (const root of roots) {
      if (context.signal?.aborted) throw searchCancelled('fs/search');
      await grepWorktree(root, args, options, measure, collector, context.signal);
      if (collector.truncated) break;
    }
  } finally {
    collector.close();
  }
  return { matches: collector.kept, truncated: collector.truncated };
}

/** The `git grep` argv for these options; the query follows `-e` and the pathspecs follow `--`, so neither is an option. */
export function grepArgs(options: Pick<SearchOptions, 'query' | 'regex' | 'caseSensitive' | 'wholeWord' | 'globs'>): string[] {
  return [
    'grep',
    // Tracked and untracked files; untracked ones as `git status` sees them (.gitignore and the other exclude files apply).
    '--untracked',
    // `submodule.recurse=true` in a user's config would make git refuse `--untracked`.
    '--no-recurse-submodules',
    '--no-color',
    '-I',
    '-z',
    '-n',
    '--column',
    options.regex ? '-E' : '-F',
    ...(options.caseSensitive ? [] : ['-i']),
    ...(options.wholeWord ? ['-w'] : []),
    '-e',
    options.query,
    '--',
    ...globPathspecs(options.globs ?? []),
  ];
}

/**
 * Globs as git pathspecs, with .gitignore's meaning: a pattern without `/` matches a name at any depth (`*.ts`,
 * `node_modules`), one with `/` is anchored at the worktree root (`src/**\/*.ts`; a leading `/` only anchors), and a
 * pattern matches the path itself or anything beneath it. `!pattern` excludes.
 */
export function globPathspecs(globs: readonly string[]): string[] {
  const specs: string[] = [];
  globs.forEach((glob, index) => {
    const exclude = glob.startsWith('!');
    let pattern = exclude ? glob.slice(1) : glob;
    const field = `globs[${index}]`;
    const anchored = pattern.startsWith('/');
    if (anchored) pattern = pattern.replace(/^\/+/, '');
    pattern = pattern.replace(/\/+$/, '');
    if (pattern === '' || pattern.includes('\0')) throw OrchdError.invalidParams(field, `Expected \`${field}\` to be a glob naming paths, got ${shown(glob)}`);
    if (pattern.split('/').some((segment) => segment === '..' || segment === '.')) {
      throw OrchdError.invalidParams(field, `Expected \`${field}\` to stay inside the worktree (no \`.\` or \`..\` segments), got ${shown(glob)}`);
    }
    const base = anchored || pattern.includes('/') ? pattern : `**/${pattern}`;
    const magic = exclude ? ':(exclude,glob)' : ':(glob)';
    specs.push(`${magic}${base}`, `${magic}${base}/**`);
  });
  return specs;
}

/** How long the match at a column is, in UTF-16 code units: the query's length for a plain search, else JS's reading of the pattern. */
function matchLength(options: SearchOptions): (line: string, column: number) => number {
  if (!options.regex) {
    const length = options.query.length;
    return () => length;
  }
  const pattern = jsRegExp(options.query, options.caseSensitive, options.wholeWord);
  return (line, column) => {
    if (!pattern) return 0;
    pattern.lastIndex = column;
    const found = pattern.exec(line);
    return found ? found[0].length : 0;
  };
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

/**
 * A JS reading of a POSIX extended regular expression, sticky so it matches exactly where git found the match:
 * bracket classes and GNU's `\<` `\>` are translated. JS picks the first alternative where POSIX picks the longest,
 * so a `length` can be shorter than git's match for patterns like `a|ab`; null when JS cannot read the pattern.
 */
export function jsRegExp(query: string, caseSensitive: boolean, wholeWord: boolean): RegExp | null {
  let source = query.replace(/\[:([a-z]+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
  source = source.replace(/\\</g, '\\b(?=\\w)').replace(/\\>/g, '\\b(?<=\\w)');
  // git's word characters are ASCII letters, digits and `_`.
  if (wholeWord) source = `(?:${source})(?![A-Za-z0-9_])`;
  const flags = caseSensitive ? 'y' : 'yi';
  for (const extra of ['u', '']) {
    try {
      return new RegExp(source, flags + extra);
    } catch {
      // Unicode mode rejects some escapes POSIX allows; try without it.
    }
  }
  return null;
}

/** Gathers matches up to the limit; with a `partial` sink, hands them out in batches and keeps only the unsent. */
class MatchCollector {
  readonly kept: SearchMatch[] = [];
  truncated = false;
  private count = 0;
  private pending: SearchMatch[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limit: number,
    private readonly partial?: (matches: SearchMatch[]) => void,
  ) {}

  /** False once the limit is passed: the caller stops the search. */
  add(match: SearchMatch): boolean {
    if (this.count >= this.limit) {
      this.truncated = true;
      return false;
    }
    this.count++;
    if (!this.partial) {
      this.kept.push(match);
      return true;
    }
    this.pending.push(match);
    if (this.pending.length >= BATCH_MATCHES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
    return true;
  }

  /** Whatever is still pending goes in the result rather than in one more partial batch. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.kept.push(...this.pending);
    this.pending = [];
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this.partial!(batch);
  }
}

async function grepWorktree(
  root: SearchRoot,
  args: readonly string[],
  options: SearchOptions,
  measure: (line: string, column: number) => number,
  collector: MatchCollector,
  signal: AbortSignal | undefined,
): Promise<void> {
  const git = await spawnGitStream(args, root.path, { env: GREP_ENV });
  let stopped = false;
  const stop = () => {
    stopped = true;
    git.kill();
  };
  const parser = new GrepOutputParser((path, line, columnByte, bytes, start, end) => {
    if (stopped) return;
    if (!collector.add(toMatch(root.repositoryId, path, line, columnByte, bytes, start, end, measure))) stop();
  });
  git.stdout.on('data', (chunk: Buffer) => {
    if (!stopped) parser.feed(chunk);
  });
  signal?.addEventListener('abort', stop, { once: true });
  if (signal?.aborted) stop();
  let end: Awaited<typeof git.done>;
  try {
    end = await git.done;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  if (signal?.aborted) throw searchCancelled('fs/search');
  if (stopped || end.exitCode === 0 || end.exitCode === 1) return;
  throw grepFailure(args, root.path, options, end.exitCode ?? -1, end.stderr);
}

function grepFailure(args: readonly string[], cwd: string, options: SearchOptions, exitCode: number, stderr: string): OrchdError {
  const badPattern = /^fatal: (?:-e option|command line), '[^\n]*': (.+)$/m.exec(stderr);
  if (badPattern && options.regex) {
    return OrchdError.invalidParams('query', `Expected \`query\` to be a POSIX extended regular expression, got ${shown(options.query)} (${badPattern[1]})`, { query: options.query });
  }
  return gitFailure(args, cwd, { stdout: '', stderr, exitCode });
}

/** One git grep record as a SearchMatch: the byte column becomes a character column, the line a preview around the match. */
function toMatch(
  repositoryId: string,
  path: string,
  line: number,
  columnByte: number,
  bytes: Buffer,
  start: number,
  end: number,
  measure: (line: string, column: number) => number,
): SearchMatch {
  let text = bytes.toString('utf8', start, end);
  // Equal lengths mean every byte decoded to one UTF-16 unit (any multi-byte sequence decodes to fewer units).
  const column = text.length === end - start ? columnByte - 1 : bytes.toString('utf8', start, Math.min(end, start + Math.max(0, columnByte - 1))).length;
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const length = Math.min(measure(text, column), Math.max(0, text.length - column));
  let previewOffset = 0;
  let preview = text;
  if (text.length > PREVIEW_CHARS) {
    previewOffset = Math.max(0, Math.min(column - PREVIEW_BEFORE, text.length - PREVIEW_CHARS));
    let previewEnd = previewOffset + PREVIEW_CHARS;
    // Never cut a surrogate pair in half.
    if (isLowSurrogate(text.charCodeAt(previewOffset))) previewOffset++;
    if (isLowSurrogate(text.charCodeAt(previewEnd))) previewEnd--;
    preview = text.slice(previewOffset, previewEnd);
  }
  return { repositoryId, path, line, column: column + 1, length, preview, previewOffset };
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

const NUL = 0;
const NEWLINE = 0x0a;

/** A decimal number from ASCII digits. */
function digits(bytes: Buffer, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (bytes[i]! - 48);
  return value;
}

/** A record's content: bytes[start, end) of `bytes` (the line without its LF). */
export type GrepRecord = (path: string, line: number, columnByte: number, bytes: Buffer, start: number, end: number) => void;

/**
 * Parses `git grep -z -n --column` output as it streams: `path NUL line NUL column NUL content LF`. A path may hold
 * any byte but NUL (a newline too), the content any byte but LF. A record inside one chunk is read in place (no
 * copies: this is the hot path); one split across chunks is gathered field by field, keeping at most
 * KEEP_AFTER_MATCH bytes of content past the column, so a giant minified line costs no more than that.
 */
export class GrepOutputParser {
  private field = 0;
  private parts: Buffer[] = [];
  private partsLength = 0;
  private path = '';
  private line = 0;
  private column = 0;

  constructor(private readonly onRecord: GrepRecord) {}

  feed(chunk: Buffer): void {
    let at = 0;
    // Finish a record begun in an earlier chunk.
    if (this.field !== 0 || this.partsLength > 0) {
      at = this.feedSplit(chunk, 0);
      if (at < 0) return;
    }
    while (at < chunk.length) {
      const pathEnd = chunk.indexOf(NUL, at);
      const lineEnd = pathEnd < 0 ? -1 : chunk.indexOf(NUL, pathEnd + 1);
      const columnEnd = lineEnd < 0 ? -1 : chunk.indexOf(NUL, lineEnd + 1);
      const contentEnd = columnEnd < 0 ? -1 : chunk.indexOf(NEWLINE, columnEnd + 1);
      if (contentEnd < 0) {
        this.feedSplit(chunk, at);
        return;
      }
      this.onRecord(chunk.toString('utf8', at, pathEnd), digits(chunk, pathEnd + 1, lineEnd), digits(chunk, lineEnd + 1, columnEnd), chunk, columnEnd + 1, contentEnd);
      at = contentEnd + 1;
    }
  }

  /** Field by field from `at`; returns where the record ended (just past its LF), or -1 when the chunk ran out first. */
  private feedSplit(chunk: Buffer, at: number): number {
    while (at < chunk.length) {
      const delimiter = this.field === 3 ? NEWLINE : NUL;
      const end = chunk.indexOf(delimiter, at);
      if (end === -1) {
        this.keep(chunk.subarray(at));
        return -1;
      }
      this.keep(chunk.subarray(at, end));
      at = end + 1;
      if (this.endField()) return at;
    }
    return -1;
  }

  private keep(piece: Buffer): void {
    if (!piece.length) return;
    if (this.field === 3) {
      const room = this.column - 1 + KEEP_AFTER_MATCH - this.partsLength;
      if (room <= 0) return;
      if (piece.length > room) piece = piece.subarray(0, room);
    }
    // Not copied: every chunk a pipe delivers is a fresh buffer, never reused by the stream.
    this.parts.push(piece);
    this.partsLength += piece.length;
  }

  /** True when the field ended a record. */
  private endField(): boolean {
    const value = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    switch (this.field) {
      case 0:
        this.path = value.toString('utf8');
        this.field = 1;
        return false;
      case 1:
        this.line = digits(value, 0, value.length);
        this.field = 2;
        return false;
      case 2:
        this.column = digits(value, 0, value.length);
        this.field = 3;
        return false;
      default:
        this.field = 0;
        this.onRecord(this.path, this.line, this.column, value, 0, value.length);
        return true;
    }
  }
}
