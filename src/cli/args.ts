// Command-line parsing for bin/orchd.ts: a pure function from argv to what to do.
import { parseArgs } from 'node:util';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../log/logger.js';

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
  workspaceId: string;
  strategy: MergeStrategy | undefined;
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

export type Cli =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'error'; message: string }
  | { command: 'stdio'; logLevel: LogLevel; dataDir: string | undefined; listen: ListenArgs | undefined }
  | ({ command: 'serve' } & ServeArgs)
  | { command: 'status'; json: boolean; dataDir: string | undefined }
  | { command: 'doctor'; json: boolean; dataDir: string | undefined }
  | ({ command: 'run' } & RunArgs)
  | ({ command: 'merge' } & MergeArgs)
  | ({ command: 'shell' } & ShellArgs)
  | ({ command: 'gc' } & GcArgs)
  | ({ command: 'token' } & TokenArgs)
  | ({ command: 'config' } & ConfigArgs);

/** Usage text for `orchd --help`. */
export function usage(): string {
  return `orchd: a headless orchestrator for AI coding agents

Usage:
  orchd [--stdio] [--data-dir DIR] [--log-level LEVEL]   serve JSON-RPC (LSP framing) on stdin/stdout
  orchd --stdio --listen PORT [--host ADDR]              ...and serve WebSocket clients beside the host (the bridge)
  orchd serve [--port N] [--host ADDR]                   serve JSON-RPC over WebSocket to many clients (service mode)
  orchd status [--json]                                  show the running service: connections, traffic, processes
  orchd run --agent ID [options] "PROMPT"                run an agent in a new worktree and watch it work
  orchd merge WORKSPACE_ID [--strategy S]                merge a workspace's branch into its base branch
  orchd shell WORKSPACE_ID [--cwd DIR] [-- CMD ARGS...]  open a terminal in a workspace, here in your terminal
  orchd doctor [--json] [--data-dir DIR]                 check git, SQLite, the data directory and agent CLIs
  orchd gc [--project ID] [--dry-run] [--json]           apply the projects' retention to the event log, then vacuum
  orchd token create [--read-only] [--name N] [--json]   create an access token for service mode (shown once)
  orchd token list [--json] | orchd token revoke ID|NAME list or revoke access tokens
  orchd config show [--project ID] [--json]             the effective configuration and where each value comes from
  orchd config validate [FILE]                          check the user's file and this repository's orchd.json (or FILE)
  orchd config path                                     where the user's file and this repository's orchd.json are
  orchd --help | --version

With no command, orchd serves on stdio when stdin is not a terminal.

Options:
  --stdio              serve the protocol on stdin/stdout (logs go to stderr as JSON lines)
  --data-dir DIR       where the database and worktrees live (default: $ORCHD_DATA_DIR, else ~/.local/share/orchd)
  --log-level LEVEL    ${LOG_LEVELS.join(' | ')} (default: $ORCHD_LOG_LEVEL, else info; run and merge: warn)
  --listen PORT        with --stdio: also serve WebSocket clients on PORT (0: any free port; see service.json)
  --json               doctor, status: print JSON instead of text
  -h, --help           show this help
  -v, --version        print the version

run (PROMPT is the remaining arguments joined with spaces, or \`-\` to read it from stdin):
  --agent ID           the executor to run, e.g. scripted-agent (no API key needed), claude-code, codex
  --repo DIR           the git repository to work on (default: the current directory)
  --base BRANCH        the branch to start from (default: the repository's current branch)
  --profile NAME       a profile from the project's settings (names the agent when --agent is omitted)
  --model MODEL        the model to ask the agent for
  --permission-mode M  the agent's permission mode (e.g. default, acceptEdits, bypassPermissions)
  --json               print each conversation entry, then a summary, as JSON lines
  -y, --yes            allow what the agent asks when there is no terminal to ask (default: deny)
  --no-color           no colours (also when NO_COLOR is set or stdout is not a terminal)

merge:
  --strategy S         ${MERGE_STRATEGIES.join(' | ')} (default: merge)

shell (your terminal is put in raw mode and its size followed; the program's exit code is the exit code; Ctrl-D or exit ends it):
  --cwd DIR            where to start: relative to the workspace's first worktree, or absolute inside the workspace
  -- CMD ARGS...       run CMD instead of your login shell ($SHELL -l, else /bin/sh)

gc (the same as the protocol method maintenance/compact; a project's retention is set with project/update):
  --project ID         only this project (default: every project that has a retention)
  --dry-run            say what would be dropped, change nothing
  --json               print the result as JSON

serve (clients authenticate with a token; the default one is written to <data dir>/service-token, mode 0600):
  --port N             the port to listen on (default: 0, any free port; <data dir>/service.json says which)
  --host ADDR          the address to bind (default: ${DEFAULT_LISTEN_HOST}; any other address prints a warning)
  --allow-origin URL   a browser origin allowed to connect, e.g. http://localhost:5173 (repeatable; default: none)

config (layers, lowest first: defaults, the user's file, each repository's orchd.json, the project's settings):
  --project ID         show: this project (default: the project of the repository you are in, else the user level)
  --json               show, path: print JSON

token (managed by whoever can open the data directory; only a hash of each token is stored):
  --read-only          the token may only call methods that change nothing (subscribe, list, get, diff, logs)
  --name N             a name for it (default: token-<n>)
  --json               print the result as JSON
`;
}

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
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const MERGE_OPTIONS = {
  strategy: { type: 'string' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SHELL_OPTIONS = {
  cwd: { type: 'string' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const TOKEN_OPTIONS = {
  'read-only': { type: 'boolean' },
  name: { type: 'string' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const CONFIG_OPTIONS = {
  project: { type: 'string' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const LISTEN_OPTIONS = {
  host: { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
} as const;

const SERVE_OPTIONS = {
  ...LISTEN_OPTIONS,
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const GC_OPTIONS = {
  project: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The global options that take a value: their value is not the command word. */
const GLOBAL_VALUE_OPTIONS = new Set(['--data-dir', '--log-level', '--listen', '--host', '--allow-origin']);

/** Decide what to run from argv. */
export function parseCli(argv: readonly string[], env: { stdinIsTty: boolean; logLevelEnv?: string | undefined } = { stdinIsTty: false }): Cli {
  const commandIndex = findCommand(argv);
  const command = commandIndex === -1 ? undefined : argv[commandIndex];
  if (command === 'run' || command === 'merge' || command === 'shell' || command === 'gc' || command === 'token' || command === 'serve' || command === 'config') {
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

function parseGlobal(argv: readonly string[], env: { stdinIsTty: boolean; logLevelEnv?: string | undefined }): Cli {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        stdio: { type: 'boolean' },
        listen: { type: 'string' },
        ...LISTEN_OPTIONS,
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
  if (!isLogLevel(level)) return badLogLevel(level);
  const dataDir = values['data-dir'];
  const [command, ...rest] = positionals;
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
  if (rest.length) return { command: 'error', message: `Unexpected argument \`${rest[0]}\`` };
  switch (command) {
    case 'status':
      return { command: 'status', json: Boolean(values.json), dataDir };
    case 'doctor':
      return { command: 'doctor', json: Boolean(values.json), dataDir };
    case 'help':
      return { command: 'help' };
    default:
      return { command: 'error', message: `Unknown command \`${command}\`` };
  }
}

function parseRun(argv: string[]): Cli {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: RUN_OPTIONS });
  } catch (error) {
    return { command: 'error', message: `run: ${(error as Error).message}` };
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  // run and merge keep the terminal readable: the in-process daemon logs warnings and errors only, unless asked.
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel);
  if (values.agent === undefined && values.profile === undefined) return { command: 'error', message: 'run: Expected `--agent ID` (or `--profile NAME`), got neither' };
  for (const name of ['repo', 'agent', 'base', 'profile', 'model', 'permission-mode', 'data-dir'] as const) {
    if (values[name] !== undefined && values[name].trim() === '') return { command: 'error', message: `run: Expected \`--${name}\` to be non-empty, got \`\`` };
  }
  const prompt = positionals.join(' ');
  if (!prompt.trim()) return { command: 'error', message: 'run: Expected a prompt (the arguments after the options, or `-` to read it from stdin), got none' };
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
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: MERGE_OPTIONS });
  } catch (error) {
    return { command: 'error', message: `merge: ${(error as Error).message}` };
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel);
  const [workspaceId, ...rest] = positionals;
  if (!workspaceId) return { command: 'error', message: 'merge: Expected a workspace id (`orchd merge ws_…`), got none' };
  if (rest.length) return { command: 'error', message: `merge: Unexpected argument \`${rest[0]}\`` };
  const strategy = values.strategy;
  if (strategy !== undefined && !isMergeStrategy(strategy)) {
    return { command: 'error', message: `merge: Expected \`--strategy\` to be one of ${MERGE_STRATEGIES.join(', ')}, got \`${strategy}\`` };
  }
  return { command: 'merge', workspaceId, strategy, dataDir: values['data-dir'], logLevel };
}

function parseShell(argv: string[]): Cli {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, tokens: true, options: SHELL_OPTIONS });
  } catch (error) {
    return { command: 'error', message: `shell: ${(error as Error).message}` };
  }
  const { values, tokens } = parsed;
  if (values.help) return { command: 'help' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel);
  // Positionals before `--` are the workspace; everything after it is the program and its arguments, as given.
  const terminator = tokens.find((token) => token.kind === 'option-terminator')?.index ?? Number.POSITIVE_INFINITY;
  const before: string[] = [];
  const after: string[] = [];
  for (const token of tokens) if (token.kind === 'positional') (token.index > terminator ? after : before).push(token.value);
  const [workspaceId, ...rest] = before;
  if (!workspaceId?.trim()) return { command: 'error', message: 'shell: Expected a workspace id (`orchd shell ws_…`), got none' };
  if (rest.length) return { command: 'error', message: `shell: Unexpected argument \`${rest[0]}\` (put the program to run after \`--\`: \`orchd shell ${workspaceId} -- ${rest[0]}\`)` };
  for (const name of ['cwd', 'data-dir'] as const) {
    if (values[name] !== undefined && values[name].trim() === '') return { command: 'error', message: `shell: Expected \`--${name}\` to be non-empty, got \`\`` };
  }
  const [program, ...args] = after;
  if (terminator !== Number.POSITIVE_INFINITY && !program?.trim()) return { command: 'error', message: 'shell: Expected a program after `--`, got none' };
  return { command: 'shell', workspaceId, cwd: values.cwd, program, args, dataDir: values['data-dir'], logLevel };
}

function parseGc(argv: string[]): Cli {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: GC_OPTIONS });
  } catch (error) {
    return { command: 'error', message: `gc: ${(error as Error).message}` };
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel);
  if (positionals.length) return { command: 'error', message: `gc: Unexpected argument \`${positionals[0]}\`` };
  if (values.project !== undefined && values.project.trim() === '') return { command: 'error', message: 'gc: Expected `--project` to be a project id, got ``' };
  return { command: 'gc', projectId: values.project, dryRun: Boolean(values['dry-run']), json: Boolean(values.json), dataDir: values['data-dir'], logLevel };
}

function parseServe(argv: string[], env: { logLevelEnv?: string | undefined }): Cli {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: SERVE_OPTIONS });
  } catch (error) {
    return { command: 'error', message: `serve: ${(error as Error).message}` };
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (positionals.length) return { command: 'error', message: `serve: Unexpected argument \`${positionals[0]}\`` };
  const logLevel = values['log-level'] ?? env.logLevelEnv ?? process.env.ORCHD_LOG_LEVEL ?? 'info';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel);
  const listen = listenArgs('--port', values.port ?? '0', values);
  if ('message' in listen) return { ...listen, message: `serve: ${listen.message}` };
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

function parseToken(argv: string[]): Cli {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: TOKEN_OPTIONS });
  } catch (error) {
    return { command: 'error', message: `token: ${(error as Error).message}` };
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  const [action, ...rest] = positionals;
  const common = { command: 'token' as const, json: Boolean(values.json), dataDir: values['data-dir'] };
  const createOnly = values['read-only'] !== undefined || values.name !== undefined;
  switch (action) {
    case 'create':
      if (rest.length) return { command: 'error', message: `token create: Unexpected argument \`${rest[0]}\`` };
      return { ...common, action, name: values.name, readOnly: Boolean(values['read-only']) };
    case 'list':
    case 'revoke': {
      if (createOnly) return { command: 'error', message: `token ${action}: \`--read-only\` and \`--name\` belong to \`token create\`` };
      if (action === 'list') return rest.length ? { command: 'error', message: `token list: Unexpected argument \`${rest[0]}\`` } : { ...common, action };
      const [target, ...extra] = rest;
      if (!target) return { command: 'error', message: 'token revoke: Expected a token id or name (`orchd token revoke tok_…`), got none' };
      if (extra.length) return { command: 'error', message: `token revoke: Unexpected argument \`${extra[0]}\`` };
      return { ...common, action, target };
    }
    default:
      return { command: 'error', message: `token: Expected \`create\`, \`list\` or \`revoke\`, got ${action === undefined ? 'nothing' : `\`${action}\``}` };
  }
}

function parseConfig(argv: string[]): Cli {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: CONFIG_OPTIONS });
  } catch (error) {
    return { command: 'error', message: `config: ${(error as Error).message}` };
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) return badLogLevel(logLevel);
  const [action, ...rest] = positionals;
  const common = { command: 'config' as const, json: Boolean(values.json), dataDir: values['data-dir'], logLevel };
  if (values.project !== undefined && action !== 'show') return { command: 'error', message: 'config: `--project` belongs to `config show`' };
  switch (action) {
    case 'show':
      if (rest.length) return { command: 'error', message: `config show: Unexpected argument \`${rest[0]}\`` };
      if (values.project !== undefined && values.project.trim() === '') return { command: 'error', message: 'config show: Expected `--project` to be a project id, got ``' };
      return { ...common, action, projectId: values.project };
    case 'validate': {
      const [file, ...extra] = rest;
      if (extra.length) return { command: 'error', message: `config validate: Unexpected argument \`${extra[0]}\`` };
      return { ...common, action, file };
    }
    case 'path':
      if (rest.length) return { command: 'error', message: `config path: Unexpected argument \`${rest[0]}\`` };
      return { ...common, action };
    default:
      return { command: 'error', message: `config: Expected \`show\`, \`validate\` or \`path\`, got ${action === undefined ? 'nothing' : `\`${action}\``}` };
  }
}

function isMergeStrategy(value: string): value is MergeStrategy {
  return (MERGE_STRATEGIES as readonly string[]).includes(value);
}

function badLogLevel(level: string): Cli {
  return { command: 'error', message: `Expected \`--log-level\` to be one of ${LOG_LEVELS.join(', ')}, got \`${level}\`` };
}
