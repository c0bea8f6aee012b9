// Command-line parsing for bin/orchd.ts: a pure function from argv to what to do.
import { parseArgs } from 'node:util';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../log/logger.js';
import { didYouMean } from './suggest.js';

export const MERGE_STRATEGIES = ['merge', 'squash', 'rebase'] as const;
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

/** What `orchd run` was asked to do. `prompt` is `-` when it is to be read from stdin. */
export interface RunArgs {
  repo: string | undefined;
  agent: string | undefined;
  base: string | undefined;
  profile: string | undefined;
  model: string | undefined;
  permissionMode: string | undefined;
  json: boolean;
  yes: boolean;
  noColor: boolean;
  dataDir: string | undefined;
  logLevel: LogLevel;
  prompt: string;
}

/** What `orchd merge` was asked to do. */
export interface MergeArgs {
  /** A workspace id, or a unique prefix of one (src/cli/ids.ts). */
  workspaceId: string;
  strategy: MergeStrategy | undefined;
  /** --cleanup: after a successful merge, remove the worktree and the branch (as `orchd rm`). */
  cleanup: boolean;
  dataDir: string | undefined;
  logLevel: LogLevel;
}

/** What `orchd gc` was asked to do. */
export interface GcArgs {
  projectId: string | undefined;
  dryRun: boolean;
  json: boolean;
  dataDir: string | undefined;
  logLevel: LogLevel;
}

/** What `orchd shell` was asked to do: a terminal in the workspace, running `command` (default: the login shell). */
export interface ShellArgs {
  workspaceId: string;
  /** Where to start, relative to the workspace's first worktree or absolute (inside the workspace). */
  cwd: string | undefined;
  /** The program after `--`; undefined for the user's login shell. */
  program: string | undefined;
  args: string[];
  dataDir: string | undefined;
  logLevel: LogLevel;
}

export const LS_KINDS = ['workspaces', 'sessions', 'tasks', 'projects'] as const;
export type LsKind = (typeof LS_KINDS)[number];

/** What `orchd ls` was asked to list. */
export interface LsArgs {
  kind: LsKind;
  /** Also archived and merged workspaces (and their sessions), done and cancelled tasks. */
  all: boolean;
  json: boolean;
  dataDir: string | undefined;
  logLevel: LogLevel;
}

/** What `orchd log` was asked to show. */
export interface LogArgs {
  /** A session or workspace id (or a unique prefix of one); a workspace means its latest session. */
  target: string;
  follow: boolean;
  raw: boolean;
  json: boolean;
  noColor: boolean;
  dataDir: string | undefined;
  logLevel: LogLevel;
}

/** What `orchd entries` was asked to replay (src/cli/entries.ts checks `agent` and `format` against what orchd knows). */
export interface EntriesArgs {
  /** An executor id: its normalizer reads the log. */
  agent: string | undefined;
  /** A log format name (src/normalizers/formats.ts), for a log the agent's executor does not read. */
  format: string | undefined;
  /** A path, or `-` for stdin. */
  file: string;
  json: boolean;
  stats: boolean;
  noColor: boolean;
}

/** What `orchd rm` was asked to remove. */
export interface RmArgs {
  workspaceIds: string[];
  /** Remove without asking (refused when uncommitted changes would be lost, unless `force`). */
  yes: boolean;
  /** Remove without asking, uncommitted changes included. */
  force: boolean;
  keepBranch: boolean;
  dataDir: string | undefined;
  logLevel: LogLevel;
}

/** What `orchd token` was asked to do. */
export type TokenArgs = { json: boolean; dataDir: string | undefined } & (
  | { action: 'create'; name: string | undefined; readOnly: boolean }
  | { action: 'list' }
  | { action: 'revoke'; target: string }
);

/** What `orchd config` was asked to do. */
export type ConfigArgs = { json: boolean; dataDir: string | undefined; logLevel: LogLevel } & (
  | { action: 'show'; projectId: string | undefined }
  | { action: 'validate'; file: string | undefined }
  | { action: 'path' }
);

/** Where a WebSocket service listens (`orchd serve`, `orchd --stdio --listen`). */
export interface ListenArgs {
  host: string;
  /** 0: any free port (service.json says which). */
  port: number;
  /** Browser origins allowed to connect (`--allow-origin`, repeatable). */
  allowedOrigins: string[];
}

/** What `orchd serve` was asked to do. */
export interface ServeArgs {
  listen: ListenArgs;
  dataDir: string | undefined;
  logLevel: LogLevel;
}

export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/** The commands, in the order `orchd --help` lists them. */
export const COMMANDS = ['run', 'ls', 'log', 'entries', 'merge', 'rm', 'shell', 'serve', 'status', 'doctor', 'gc', 'token', 'config', 'help'] as const;
export type Command = (typeof COMMANDS)[number];
/** A command with a help page of its own (`orchd run --help`, `orchd help run`). */
export type HelpTopic = Exclude<Command, 'help'>;

export type Cli =
  | { command: 'help'; topic?: HelpTopic | undefined }
  | { command: 'version' }
  /** A usage mistake: one line, then a hint naming the help page (`usageOf`, or `orchd --help` when absent). */
  | { command: 'error'; message: string; usageOf?: HelpTopic | undefined }
  | { command: 'stdio'; logLevel: LogLevel; dataDir: string | undefined; listen: ListenArgs | undefined }
  | ({ command: 'serve' } & ServeArgs)
  | { command: 'status'; json: boolean; dataDir: string | undefined }
  | { command: 'doctor'; json: boolean; dataDir: string | undefined }
  | ({ command: 'run' } & RunArgs)
  | ({ command: 'merge' } & MergeArgs)
  | ({ command: 'shell' } & ShellArgs)
  | ({ command: 'ls' } & LsArgs)
  | ({ command: 'log' } & LogArgs)
  | ({ command: 'entries' } & EntriesArgs)
  | ({ command: 'rm' } & RmArgs)
  | ({ command: 'gc' } & GcArgs)
  | ({ command: 'token' } & TokenArgs)
  | ({ command: 'config' } & ConfigArgs);

// ---- help -------------------------------------------------------------------------------------------------------

/** One help page: the synopsis lines (`orchd --help` lists them all) and the command's options. */
interface HelpPage {
  /** [how it is typed, what it does], printed in two columns. */
  synopsis: [string, string][];
  options?: string;
}

const HELP: Record<HelpTopic, HelpPage> = {
  run: {
    synopsis: [['orchd run --agent ID [options] "PROMPT"', 'run an agent in a new worktree and watch it work']],
    options: `run (PROMPT is the remaining arguments joined with spaces, or \`-\` to read it from stdin):
  --agent ID           the executor to run, e.g. scripted-agent (no API key needed), claude-code, codex
  --repo DIR           the git repository to work on (default: the current directory)
  --base BRANCH        the branch to start from (default: the repository's current branch)
  --profile NAME       a profile from the project's settings (names the agent when --agent is omitted)
  --model MODEL        the model to ask the agent for
  --permission-mode M  the agent's permission mode (e.g. default, acceptEdits, bypassPermissions)
  --json               print each conversation entry, then a summary, as JSON lines
  -y, --yes            allow what the agent asks when there is no terminal to ask (default: deny)
  --no-color           no colours (also when NO_COLOR is set or stdout is not a terminal)
`,
  },
  ls: {
    synopsis: [['orchd ls [workspaces|sessions|tasks|projects] [--all]', 'list what orchd knows (default: workspaces)']],
    options: `ls (workspaces: task, branch, agent, status, last activity, tokens and cost; ids can be shortened to a unique prefix):
  --all                also merged and archived workspaces (and their sessions), done and cancelled tasks
  --json               print the rows as JSON
`,
  },
  log: {
    synopsis: [['orchd log SESSION_ID|WORKSPACE_ID [-f] [--raw]', 'a session\'s conversation (a workspace: its latest session)']],
    options: `log:
  -f, --follow         keep printing what the session does until Ctrl-C, like tail -f
  --raw                the agent's and scripts' raw output (execution/logs) instead of the conversation
  --json               print each conversation entry as a JSON line
  --no-color           no colours
`,
  },
  entries: {
    synopsis: [['orchd entries --agent ID [--json|--stats] FILE|-', 'replay a recorded agent log as the conversation (no daemon)']],
    options: `entries (FILE: the agent's stdout as printed, or a transcript of {"dir":"out"|"in"|"err","line":…} records; \`-\` reads stdin):
  --agent ID           the executor whose normalizer reads the log, e.g. claude-code, codex, gemini
  --format NAME        a log format instead, e.g. opencode-run for \`opencode run --format json\`
  --json               print the final state of each entry as JSON lines (with --stats: the counts as JSON)
  --stats              print counts: entries by type, unknown lines, tool calls by status, session id, usage
  --no-color           no colours
`,
  },
  merge: {
    synopsis: [['orchd merge WORKSPACE_ID [--strategy S] [--cleanup]', 'merge a workspace\'s branch into its base branch']],
    options: `merge:
  --strategy S         ${MERGE_STRATEGIES.join(' | ')} (default: merge)
  --cleanup            after a successful merge, remove the worktree and the branch (as orchd rm)
`,
  },
  rm: {
    synopsis: [['orchd rm WORKSPACE_ID... [--yes] [--keep-branch]', 'stop, archive and remove workspaces: worktree and branch']],
    options: `rm (asks first on a terminal; without one, --yes or --force is required):
  -y, --yes            remove without asking; refused when uncommitted changes would be lost
  -f, --force          remove without asking, uncommitted changes included
  --keep-branch        keep the branch (only the worktree is removed)
`,
  },
  shell: {
    synopsis: [['orchd shell WORKSPACE_ID [--cwd DIR] [-- CMD ARGS...]', 'open a terminal in a workspace, here in your terminal']],
    options: `shell (your terminal is put in raw mode and its size followed; the program's exit code is the exit code; Ctrl-D or exit ends it):
  --cwd DIR            where to start: relative to the workspace's first worktree, or absolute inside the workspace
  -- CMD ARGS...       run CMD instead of your login shell ($SHELL -l, else /bin/sh)
`,
  },
  serve: {
    synopsis: [['orchd serve [--port N] [--host ADDR]', 'serve JSON-RPC over WebSocket to many clients (service mode)']],
    options: `serve (clients authenticate with a token; the default one is written to <data dir>/service-token, mode 0600):
  --port N             the port to listen on (default: 0, any free port; <data dir>/service.json says which)
  --host ADDR          the address to bind (default: ${DEFAULT_LISTEN_HOST}; any other address prints a warning)
  --allow-origin URL   a browser origin allowed to connect, e.g. http://localhost:5173 (repeatable; default: none)
`,
  },
  status: { synopsis: [['orchd status [--json]', 'show the running service: connections, traffic, processes']] },
  doctor: { synopsis: [['orchd doctor [--json] [--data-dir DIR]', 'check git, SQLite, the data directory and agent CLIs']] },
  gc: {
    synopsis: [['orchd gc [--project ID] [--dry-run] [--json]', 'apply the projects\' retention to the event log, then vacuum']],
    options: `gc (the same as the protocol method maintenance/compact; a project's retention is set with project/update):
  --project ID         only this project (default: every project that has a retention)
  --dry-run            say what would be dropped, change nothing
  --json               print the result as JSON
`,
  },
  token: {
    synopsis: [
      ['orchd token create [--read-only] [--name N] [--json]', 'create an access token for service mode (shown once)'],
      ['orchd token list [--json] | orchd token revoke ID|NAME', 'list or revoke access tokens'],
    ],
    options: `token (managed by whoever can open the data directory; only a hash of each token is stored):
  --read-only          the token may only call methods that change nothing (subscribe, list, get, diff, logs)
  --name N             a name for it (default: token-<n>)
  --json               print the result as JSON
`,
  },
  config: {
    synopsis: [
      ['orchd config show [--project ID] [--json]', 'the effective configuration and where each value comes from'],
      ['orchd config validate [FILE]', 'check the user\'s file and this repository\'s orchd.json (or FILE)'],
      ['orchd config path', 'where the user\'s file and this repository\'s orchd.json are'],
    ],
    options: `config (layers, lowest first: defaults, the user's file, each repository's orchd.json, the project's settings):
  --project ID         show: this project (default: the project of the repository you are in, else the user level)
  --json               show, path: print JSON
`,
  },
};

const COMMON_OPTIONS = `Options:
  --stdio              serve the protocol on stdin/stdout (logs go to stderr as JSON lines)
  --data-dir DIR       where the database and worktrees live (default: $ORCHD_DATA_DIR, else ~/.local/share/orchd)
  --log-level LEVEL    ${LOG_LEVELS.join(' | ')} (default: $ORCHD_LOG_LEVEL, else info; the person-facing commands: warn)
  --listen PORT        with --stdio: also serve WebSocket clients on PORT (0: any free port; see service.json)
  --json               doctor, status, ls, gc, token, config: print JSON instead of text
  -h, --help           show this help (\`orchd COMMAND --help\`: one command's)
  -v, --version        print the version
`;

/** Usage text for `orchd --help`, or one command's (`orchd run --help`). */
export function usage(topic?: HelpTopic): string {
  if (topic !== undefined) {
    const page = HELP[topic];
    const synopsis = page.synopsis.map(synopsisLine).join('\n');
    return `Usage:\n${synopsis}\n  (--data-dir DIR and --log-level LEVEL as for every command)\n${page.options ? `\n${page.options}` : ''}`;
  }
  const synopses = COMMANDS.filter((c): c is HelpTopic => c !== 'help').flatMap((c) => HELP[c].synopsis.map(synopsisLine));
  return `orchd: a headless orchestrator for AI coding agents

Usage:
  orchd [--stdio] [--data-dir DIR] [--log-level LEVEL]   serve JSON-RPC (LSP framing) on stdin/stdout
  orchd --stdio --listen PORT [--host ADDR]              ...and serve WebSocket clients beside the host (the bridge)
${synopses.join('\n')}
  orchd --help | --version | COMMAND --help

With no command, orchd serves on stdio when stdin is not a terminal.
Ids (ws_…, ses_…) may be shortened to any unique prefix, as git does with commits.

${COMMON_OPTIONS}
${COMMANDS.filter((c): c is HelpTopic => c !== 'help')
  .map((c) => HELP[c].options)
  .filter(Boolean)
  .join('\n')}`;
}

function synopsisLine([typed, does]: [string, string]): string {
  return `  ${typed.padEnd(54)} ${does}`;
}

/** The second line of a usage error: where to read more. */
export function usageHint(topic: HelpTopic | undefined): string {
  return topic === undefined ? "Run 'orchd --help' for usage." : `Run 'orchd ${topic} --help' for usage.`;
}

// ---- option tables ----------------------------------------------------------------------------------------------

type OptionTable = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** What a value-taking option's value is called in the help (`--repo DIR`). */
const VALUE_NAMES: Record<string, string> = {
  repo: 'DIR',
  agent: 'ID',
  base: 'BRANCH',
  profile: 'NAME',
  model: 'MODEL',
  'permission-mode': 'M',
  'data-dir': 'DIR',
  'log-level': 'LEVEL',
  strategy: 'S',
  cwd: 'DIR',
  name: 'N',
  project: 'ID',
  port: 'N',
  host: 'ADDR',
  'allow-origin': 'URL',
  format: 'NAME',
  listen: 'PORT',
};

const COMMON = {
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const RUN_OPTIONS = {
  repo: { type: 'string' },
  agent: { type: 'string' },
  base: { type: 'string' },
  profile: { type: 'string' },
  model: { type: 'string' },
  'permission-mode': { type: 'string' },
  json: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'no-color': { type: 'boolean' },
  ...COMMON,
} as const;

const MERGE_OPTIONS = { strategy: { type: 'string' }, cleanup: { type: 'boolean' }, ...COMMON } as const;
const SHELL_OPTIONS = { cwd: { type: 'string' }, ...COMMON } as const;
const LS_OPTIONS = { all: { type: 'boolean', short: 'a' }, json: { type: 'boolean' }, ...COMMON } as const;
const LOG_OPTIONS = { follow: { type: 'boolean', short: 'f' }, raw: { type: 'boolean' }, json: { type: 'boolean' }, 'no-color': { type: 'boolean' }, ...COMMON } as const;
const ENTRIES_OPTIONS = {
  agent: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  stats: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  ...COMMON,
} as const;
const RM_OPTIONS = { yes: { type: 'boolean', short: 'y' }, force: { type: 'boolean', short: 'f' }, 'keep-branch': { type: 'boolean' }, ...COMMON } as const;

const TOKEN_OPTIONS = {
  'read-only': { type: 'boolean' },
  name: { type: 'string' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const CONFIG_OPTIONS = { project: { type: 'string' }, json: { type: 'boolean' }, ...COMMON } as const;

const LISTEN_OPTIONS = {
  host: { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
} as const;

const SERVE_OPTIONS = { ...LISTEN_OPTIONS, port: { type: 'string' }, ...COMMON } as const;

const GC_OPTIONS = { project: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, ...COMMON } as const;

const GLOBAL_OPTIONS = {
  stdio: { type: 'boolean' },
  listen: { type: 'string' },
  ...LISTEN_OPTIONS,
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** The global options that take a value: their value is not the command word. */
const GLOBAL_VALUE_OPTIONS = new Set(['--data-dir', '--log-level', '--listen', '--host', '--allow-origin']);

/** Other spellings of `orchd ls`'s kinds. */
const LS_ALIASES: Record<string, LsKind> = {
  workspace: 'workspaces',
  ws: 'workspaces',
  session: 'sessions',
  task: 'tasks',
  project: 'projects',
};

/**
 * The first mistake in how options are written, as one line, or null: an unknown option (with the nearest known one),
 * an option that needs a value and got none, a flag given a value. node's parseArgs finds these too, but says them in
 * three lines of its own words.
 */
export function optionMistake(argv: readonly string[], options: OptionTable): string | null {
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const longNames = Object.keys(options).map((name) => `--${name}`);
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (!spec) return `unknown option ${token.rawName}${token.rawName.startsWith('--') ? didYouMean(token.rawName, longNames) : ''}`;
    const long = `--${token.name}`;
    if (spec.type === 'string') {
      const needs = `option ${long} needs a value (${long} ${VALUE_NAMES[token.name] ?? 'VALUE'})`;
      if (token.value === undefined) return needs;
      // `--agent --json`: the next option was taken for the value; `--agent=--json` says it is meant.
      if (!token.inlineValue && token.value.startsWith('-') && token.value !== '-') return `${needs}, got ${token.value}`;
    } else if (token.inlineValue) {
      return `option ${long} takes no value, got ${token.rawName}=${token.value}`;
    }
  }
  return null;
}

/** parseArgs after optionMistake; a usage error naming `topic` when the options are written wrongly. */
function parseOptions<T extends OptionTable>(topic: HelpTopic | undefined, argv: readonly string[], options: T) {
  const mistake = optionMistake(argv, options);
  if (mistake) return { error: usageError(topic, mistake) } as const;
  try {
    return { parsed: parseArgs({ args: [...argv], allowPositionals: true, strict: true, tokens: true, options }) } as const;
  } catch (error) {
    // What optionMistake does not foresee: node's own words, first line only.
    return { error: usageError(topic, (error as Error).message.split('\n')[0]!) } as const;
  }
}

function usageError(topic: HelpTopic | undefined, message: string): Cli {
  return topic === undefined ? { command: 'error', message } : { command: 'error', message, usageOf: topic };
}

// ---- parsing ----------------------------------------------------------------------------------------------------

const SUBCOMMANDS = new Set<string>(['run', 'merge', 'shell', 'gc', 'token', 'serve', 'config', 'ls', 'log', 'rm', 'entries']);

/** Decide what to run from argv. */
export function parseCli(argv: readonly string[], env: { stdinIsTty: boolean; logLevelEnv?: string | undefined } = { stdinIsTty: false }): Cli {
  const commandIndex = findCommand(argv);
  const command = commandIndex === -1 ? undefined : argv[commandIndex];
  if (command !== undefined && SUBCOMMANDS.has(command)) {
    const rest = [...argv.slice(0, commandIndex), ...argv.slice(commandIndex + 1)];
    switch (command) {
      case 'run':
        return parseRun(rest);
      case 'merge':
        return parseMerge(rest);
      case 'shell':
        return parseShell(rest);
      case 'gc':
        return parseGc(rest);
      case 'token':
        return parseToken(rest);
      case 'serve':
        return parseServe(rest, env);
      case 'config':
        return parseConfig(rest);
      case 'ls':
        return parseLs(rest);
      case 'log':
        return parseLog(rest);
      case 'rm':
        return parseRm(rest);
      case 'entries':
        return parseEntries(rest);
    }
  }
  return parseGlobal(argv, env);
}

/** Index of the first argument that is neither an option nor an option's value; -1 when there is none. */
function findCommand(argv: readonly string[]): number {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') return index + 1 < argv.length ? index + 1 : -1;
    if (GLOBAL_VALUE_OPTIONS.has(arg)) {
      index++;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') return index;
  }
  return -1;
}

function isHelpTopic(word: string | undefined): word is HelpTopic {
  return word !== undefined && word !== 'help' && (COMMANDS as readonly string[]).includes(word);
}

function unknownCommand(word: string): Cli {
  return { command: 'error', message: `unknown command ${word}${didYouMean(word, COMMANDS)}` };
}

function parseGlobal(argv: readonly string[], env: { stdinIsTty: boolean; logLevelEnv?: string | undefined }): Cli {
  const result = parseOptions(undefined, argv, GLOBAL_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  const [command, ...rest] = positionals;
  if (values.help) return { command: 'help', topic: isHelpTopic(command) ? command : undefined };
  if (values.version) return { command: 'version' };
  const level = values['log-level'] ?? env.logLevelEnv ?? process.env.ORCHD_LOG_LEVEL ?? 'info';
  if (!isLogLevel(level)) return badLogLevel(level, undefined);
  const dataDir = values['data-dir'];
  const listenOnly = values.host !== undefined || values['allow-origin'] !== undefined;
  if (command === undefined && (values.stdio || !env.stdinIsTty)) {
    if (values.listen === undefined) {
      if (listenOnly) return { command: 'error', message: 'Expected `--listen PORT` with `--host` and `--allow-origin`, got neither' };
      return { command: 'stdio', logLevel: level, dataDir, listen: undefined };
    }
    const listen = listenArgs('--listen', values.listen, values);
    return 'message' in listen ? listen : { command: 'stdio', logLevel: level, dataDir, listen };
  }
  if (values.listen !== undefined || listenOnly) return { command: 'error', message: '`--listen`, `--host` and `--allow-origin` belong to `--stdio` (or use `orchd serve`)' };
  if (command === undefined) return { command: 'help' };
  switch (command) {
    case 'status':
    case 'doctor':
      if (rest.length) return usageError(command, `Unexpected argument \`${rest[0]}\``);
      return { command, json: Boolean(values.json), dataDir };
    case 'help':
      if (rest.length > 1) return usageError(undefined, `Unexpected argument \`${rest[1]}\``);
      if (rest[0] !== undefined && !isHelpTopic(rest[0])) return unknownCommand(rest[0]);
      return { command: 'help', topic: rest[0] as HelpTopic | undefined };
    default:
      return unknownCommand(command);
  }
}

function parseRun(argv: string[]): Cli {
  const result = parseOptions('run', argv, RUN_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  if (values.help) return { command: 'help', topic: 'run' };
  // The person-facing commands keep the terminal readable: the in-process daemon logs warnings and errors only, unless asked.
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel, 'run');
  if (values.agent === undefined && values.profile === undefined) return usageError('run', 'Expected `--agent ID` (or `--profile NAME`), got neither');
  for (const name of ['repo', 'agent', 'base', 'profile', 'model', 'permission-mode', 'data-dir'] as const) {
    if (values[name] !== undefined && values[name].trim() === '') return usageError('run', `Expected \`--${name}\` to be non-empty, got \`\``);
  }
  const prompt = positionals.join(' ');
  if (!prompt.trim()) return usageError('run', 'Expected a prompt (the arguments after the options, or `-` to read it from stdin), got none');
  return {
    command: 'run',
    repo: values.repo,
    agent: values.agent,
    base: values.base,
    profile: values.profile,
    model: values.model,
    permissionMode: values['permission-mode'],
    json: Boolean(values.json),
    yes: Boolean(values.yes),
    noColor: Boolean(values['no-color']),
    dataDir: values['data-dir'],
    logLevel,
    prompt,
  };
}

function parseMerge(argv: string[]): Cli {
  const result = parseOptions('merge', argv, MERGE_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  if (values.help) return { command: 'help', topic: 'merge' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel, 'merge');
  const [workspaceId, ...rest] = positionals;
  if (!workspaceId?.trim()) return usageError('merge', 'Expected a workspace id (`orchd merge ws_…`; `orchd ls` lists them), got none');
  if (rest.length) return usageError('merge', `Unexpected argument \`${rest[0]}\``);
  const strategy = values.strategy;
  if (strategy !== undefined && !isMergeStrategy(strategy)) {
    return usageError('merge', `Expected \`--strategy\` to be one of ${MERGE_STRATEGIES.join(', ')}, got \`${strategy}\`${didYouMean(strategy, MERGE_STRATEGIES)}`);
  }
  return { command: 'merge', workspaceId, strategy, cleanup: Boolean(values.cleanup), dataDir: values['data-dir'], logLevel };
}

function parseShell(argv: string[]): Cli {
  const result = parseOptions('shell', argv, SHELL_OPTIONS);
  if (result.error) return result.error;
  const { values, tokens } = result.parsed;
  if (values.help) return { command: 'help', topic: 'shell' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel, 'shell');
  // Positionals before `--` are the workspace; everything after it is the program and its arguments, as given.
  const terminator = tokens.find((token) => token.kind === 'option-terminator')?.index ?? Number.POSITIVE_INFINITY;
  const before: string[] = [];
  const after: string[] = [];
  for (const token of tokens) if (token.kind === 'positional') (token.index > terminator ? after : before).push(token.value);
  const [workspaceId, ...rest] = before;
  if (!workspaceId?.trim()) return usageError('shell', 'Expected a workspace id (`orchd shell ws_…`), got none');
  if (rest.length) return usageError('shell', `Unexpected argument \`${rest[0]}\` (put the program to run after \`--\`: \`orchd shell ${workspaceId} -- ${rest[0]}\`)`);
  for (const name of ['cwd', 'data-dir'] as const) {
    if (values[name] !== undefined && values[name].trim() === '') return usageError('shell', `Expected \`--${name}\` to be non-empty, got \`\``);
  }
  const [program, ...args] = after;
  if (terminator !== Number.POSITIVE_INFINITY && !program?.trim()) return usageError('shell', 'Expected a program after `--`, got none');
  return { command: 'shell', workspaceId, cwd: values.cwd, program, args, dataDir: values['data-dir'], logLevel };
}

function parseLs(argv: string[]): Cli {
  const result = parseOptions('ls', argv, LS_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  if (values.help) return { command: 'help', topic: 'ls' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel, 'ls');
  const [word, ...rest] = positionals;
  if (rest.length) return usageError('ls', `Unexpected argument \`${rest[0]}\``);
  const kind = word === undefined ? 'workspaces' : (LS_KINDS as readonly string[]).includes(word) ? (word as LsKind) : LS_ALIASES[word];
  if (kind === undefined) {
    return usageError('ls', `Expected ${LS_KINDS.map((k) => `\`${k}\``).join(', ')} or nothing, got \`${word}\`${didYouMean(word!, LS_KINDS)}`);
  }
  return { command: 'ls', kind, all: Boolean(values.all), json: Boolean(values.json), dataDir: values['data-dir'], logLevel };
}

function parseLog(argv: string[]): Cli {
  const result = parseOptions('log', argv, LOG_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  if (values.help) return { command: 'help', topic: 'log' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel, 'log');
  const [target, ...rest] = positionals;
  if (!target?.trim()) return usageError('log', 'Expected a session or workspace id (`orchd log ses_…` or `orchd log ws_…`; `orchd ls` lists them), got none');
  if (rest.length) return usageError('log', `Unexpected argument \`${rest[0]}\``);
  if (values.raw && values.json) return usageError('log', '`--raw` and `--json` cannot go together: the raw output is not JSON');
  return {
    command: 'log',
    target,
    follow: Boolean(values.follow),
    raw: Boolean(values.raw),
    json: Boolean(values.json),
    noColor: Boolean(values['no-color']),
    dataDir: values['data-dir'],
    logLevel,
  };
}

function parseEntries(argv: string[]): Cli {
  const result = parseOptions('entries', argv, ENTRIES_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  if (values.help) return { command: 'help', topic: 'entries' };
  // Accepted as by every command, though a replay opens no data directory and starts no daemon.
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel, 'entries');
  if (values.agent === undefined && values.format === undefined) return usageError('entries', 'Expected `--agent ID` (or `--format NAME`), got neither');
  const [file, ...rest] = positionals;
  if (!file?.trim()) return usageError('entries', 'Expected a log file (or `-` to read the log from stdin), got none');
  if (rest.length) return usageError('entries', `Unexpected argument \`${rest[0]}\` (one log at a time)`);
  return {
    command: 'entries',
    agent: values.agent,
    format: values.format,
    file,
    json: Boolean(values.json),
    stats: Boolean(values.stats),
    noColor: Boolean(values['no-color']),
  };
}

function parseRm(argv: string[]): Cli {
  const result = parseOptions('rm', argv, RM_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  if (values.help) return { command: 'help', topic: 'rm' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel, 'rm');
  if (!positionals.length || positionals.some((id) => !id.trim())) return usageError('rm', 'Expected a workspace id (`orchd rm ws_…`; `orchd ls` lists them), got none');
  return {
    command: 'rm',
    workspaceIds: positionals,
    yes: Boolean(values.yes),
    force: Boolean(values.force),
    keepBranch: Boolean(values['keep-branch']),
    dataDir: values['data-dir'],
    logLevel,
  };
}

function parseGc(argv: string[]): Cli {
  const result = parseOptions('gc', argv, GC_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  if (values.help) return { command: 'help', topic: 'gc' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel, 'gc');
  if (positionals.length) return usageError('gc', `Unexpected argument \`${positionals[0]}\``);
  if (values.project !== undefined && values.project.trim() === '') return usageError('gc', 'Expected `--project` to be a project id, got ``');
  return { command: 'gc', projectId: values.project, dryRun: Boolean(values['dry-run']), json: Boolean(values.json), dataDir: values['data-dir'], logLevel };
}

function parseServe(argv: string[], env: { logLevelEnv?: string | undefined }): Cli {
  const result = parseOptions('serve', argv, SERVE_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  if (values.help) return { command: 'help', topic: 'serve' };
  if (positionals.length) return usageError('serve', `Unexpected argument \`${positionals[0]}\``);
  const logLevel = values['log-level'] ?? env.logLevelEnv ?? process.env.ORCHD_LOG_LEVEL ?? 'info';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel, 'serve');
  const listen = listenArgs('--port', values.port ?? '0', values);
  if ('message' in listen) return { ...listen, usageOf: 'serve' };
  return { command: 'serve', listen, dataDir: values['data-dir'], logLevel };
}

/** `--listen`/`--port`, `--host` and `--allow-origin` checked and read. */
function listenArgs(flag: string, port: string, values: { host?: string | undefined; 'allow-origin'?: string[] | undefined }): ListenArgs | { command: 'error'; message: string } {
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return { command: 'error', message: `Expected \`${flag}\` to be a port number from 0 to 65535, got \`${port}\`` };
  const host = values.host ?? DEFAULT_LISTEN_HOST;
  if (!host.trim() || host.startsWith('-')) return { command: 'error', message: `Expected \`--host\` to be an address to bind, got \`${host}\`` };
  const allowedOrigins = values['allow-origin'] ?? [];
  for (const origin of allowedOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) return { command: 'error', message: `Expected \`--allow-origin\` to be an origin like http://localhost:5173, got \`${origin}\`` };
  }
  return { host, port: Number(port), allowedOrigins };
}

const TOKEN_ACTIONS = ['create', 'list', 'revoke'] as const;

function parseToken(argv: string[]): Cli {
  const result = parseOptions('token', argv, TOKEN_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  if (values.help) return { command: 'help', topic: 'token' };
  const [action, ...rest] = positionals;
  const common = { command: 'token' as const, json: Boolean(values.json), dataDir: values['data-dir'] };
  const createOnly = values['read-only'] !== undefined || values.name !== undefined;
  switch (action) {
    case 'create':
      if (rest.length) return usageError('token', `Unexpected argument \`${rest[0]}\``);
      return { ...common, action, name: values.name, readOnly: Boolean(values['read-only']) };
    case 'list':
    case 'revoke': {
      if (createOnly) return usageError('token', `\`--read-only\` and \`--name\` belong to \`token create\``);
      if (action === 'list') return rest.length ? usageError('token', `Unexpected argument \`${rest[0]}\``) : { ...common, action };
      const [target, ...extra] = rest;
      if (!target) return usageError('token', 'Expected a token id or name (`orchd token revoke tok_…`), got none');
      if (extra.length) return usageError('token', `Unexpected argument \`${extra[0]}\``);
      return { ...common, action, target };
    }
    default:
      return usageError('token', `Expected \`create\`, \`list\` or \`revoke\`, got ${action === undefined ? 'nothing' : `\`${action}\`${didYouMean(action, TOKEN_ACTIONS)}`}`);
  }
}

const CONFIG_ACTIONS = ['show', 'validate', 'path'] as const;

function parseConfig(argv: string[]): Cli {
  const result = parseOptions('config', argv, CONFIG_OPTIONS);
  if (result.error) return result.error;
  const { values, positionals } = result.parsed;
  if (values.help) return { command: 'help', topic: 'config' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel, 'config');
  const [action, ...rest] = positionals;
  const common = { command: 'config' as const, json: Boolean(values.json), dataDir: values['data-dir'], logLevel };
  if (values.project !== undefined && action !== 'show') return usageError('config', '`--project` belongs to `config show`');
  switch (action) {
    case 'show':
      if (rest.length) return usageError('config', `Unexpected argument \`${rest[0]}\``);
      if (values.project !== undefined && values.project.trim() === '') return usageError('config', 'Expected `--project` to be a project id, got ``');
      return { ...common, action, projectId: values.project };
    case 'validate': {
      const [file, ...extra] = rest;
      if (extra.length) return usageError('config', `Unexpected argument \`${extra[0]}\``);
      return { ...common, action, file };
    }
    case 'path':
      if (rest.length) return usageError('config', `Unexpected argument \`${rest[0]}\``);
      return { ...common, action };
    default:
      return usageError('config', `Expected \`show\`, \`validate\` or \`path\`, got ${action === undefined ? 'nothing' : `\`${action}\`${didYouMean(action, CONFIG_ACTIONS)}`}`);
  }
}

function isMergeStrategy(value: string): value is MergeStrategy {
  return (MERGE_STRATEGIES as readonly string[]).includes(value);
}

function badLogLevel(level: string, topic: HelpTopic | undefined): Cli {
  return usageError(topic, `Expected \`--log-level\` to be one of ${LOG_LEVELS.join(', ')}, got \`${level}\`${didYouMean(level, LOG_LEVELS)}`);
}
