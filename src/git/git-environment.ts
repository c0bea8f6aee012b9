// Which git binary dugite runs, decided once per process: dugite's embedded git when it was downloaded, otherwise the
// system git found on PATH. The choice travels as per-call env (never through process.env, so agents spawned later
// do not inherit it).
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join } from 'node:path';
import { loadDugite } from './exec.js';
import { OrchdError } from '../errors.js';

/** The oldest git orchd supports: `merge-tree --write-tree` (2.38) for conflict-free merge planning, `worktree list -z`, `--end-of-options`. */
export const MINIMUM_GIT_VERSION = '2.38.0';

export interface GitInstallation {
  /** `embedded` is dugite's own git; `system` is one found on PATH. */
  readonly source: 'embedded' | 'system';
  /** The git executable dugite spawns (resolved through symlinks for a system git). */
  readonly binary: string;
  /** The directory dugite treats as git's prefix (`LOCAL_GIT_DIRECTORY`). */
  readonly prefix: string;
  /** git's helper directory (`GIT_EXEC_PATH`). */
  readonly execPath: string;
  /** Env passed to every dugite call: the installation's variables plus the parseable-output settings. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Env for every call: no prompts, no editors, no pagers, untranslated messages dugite's parser can read. */
const COMMON_ENV: Readonly<Record<string, string | undefined>> = {
  GIT_TERMINAL_PROMPT: '0',
  GCM_INTERACTIVE: 'never',
  GIT_EDITOR: 'true',
  GIT_SEQUENCE_EDITOR: 'true',
  GIT_MERGE_AUTOEDIT: 'no',
  GIT_PAGER: 'cat',
  LC_ALL: 'C',
  LANG: 'C',
  LANGUAGE: undefined,
};

let installation: Promise<GitInstallation> | null = null;

/** The git orchd uses, decided on first call and cached; rejects with `gitNotFound` (and retries on the next call). */
export function gitInstallation(): Promise<GitInstallation> {
  if (!installation) {
    installation = locate().catch((error: unknown) => {
      installation = null;
      throw error;
    });
  }
  return installation;
}

/** The resolved git binary path, for `orchd doctor`. */
export async function gitBinaryPath(): Promise<string> {
  return (await gitInstallation()).binary;
}

let version: Promise<string> | null = null;

/** git's version number (`2.39.5`), for `orchd doctor`. */
export function gitVersion(): Promise<string> {
  if (!version) {
    version = gitInstallation()
      .then(async (found) => (await loadDugite()).exec(['--version'], tmpdir(), { env: found.env }))
      .then(({ stdout: out }) => {
        const match = /git version (\d+(?:\.\d+)+)/.exec(out);
        if (!match?.[1]) throw OrchdError.gitNotFound(out.trim(), 'it does not report a version');
        return match[1];
      })
      .catch((error: unknown) => {
        version = null;
        throw error;
      });
  }
  return version;
}

/** True when version `a` is at least `b` (dotted numbers). */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

async function locate(): Promise<GitInstallation> {
  const embedded = await embeddedGitDir();
  if (embedded) {
    return {
      source: 'embedded',
      binary: join(embedded, 'bin', 'git'),
      prefix: embedded,
      execPath: join(embedded, 'libexec', 'git-core'),
      // dugite resolves everything itself for its own git.
      env: { ...COMMON_ENV },
    };
  }
  const searched = process.env.PATH ?? '';
  const onPath = findOnPath('git', searched);
  if (!onPath) throw OrchdError.gitNotFound(searched, 'none found and dugite has no embedded git');
  const prefix = prefixOf(onPath);
  if (!prefix) throw OrchdError.gitNotFound(onPath, 'it does not live in a `bin` directory');
  const binary = join(prefix, 'bin', 'git');
  const bare = { ...process.env, GIT_EXEC_PATH: undefined, LC_ALL: 'C' };
  let execPath: string;
  try {
    execPath = (await run(binary, ['--exec-path'], bare)).trim();
  } catch (error) {
    throw OrchdError.gitNotFound(binary, `\`git --exec-path\` failed: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!execPath || !isAbsolute(execPath)) throw OrchdError.gitNotFound(binary, '`git --exec-path` printed no directory');
  const env: Record<string, string | undefined> = { ...COMMON_ENV, LOCAL_GIT_DIRECTORY: prefix, GIT_EXEC_PATH: execPath };
  // dugite would point GIT_CONFIG_SYSTEM at <prefix>/etc/gitconfig, which distributions do not ship; use the real
  // one. When there is none, leave dugite's (absent) path: git reads no system config, as it would by itself.
  if (!process.env.GIT_CONFIG_SYSTEM && existsSync('/etc/gitconfig')) env.GIT_CONFIG_SYSTEM = '/etc/gitconfig';
  return { source: 'system', binary, prefix, execPath, env };
}

async function embeddedGitDir(): Promise<string | null> {
  try {
    const dir = (await loadDugite()).resolveEmbeddedGitDir();
    const binary = join(dir, 'bin', process.platform === 'win32' ? 'git.exe' : 'git');
    return existsSync(binary) ? dir : null;
  } catch {
    return null;
  }
}

/** The first executable `name` on a PATH string. */
function findOnPath(name: string, pathValue: string): string | null {
  const exe = process.platform === 'win32' ? `${name}.exe` : name;
  for (const dir of pathValue.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, exe);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}

/**
 * The prefix dugite needs (it runs `<prefix>/bin/git`): the parent of the `bin` directory holding git, after
 * resolving symlinks (Homebrew's /opt/homebrew/bin/git → Cellar/git/<v>/bin/git), else the unresolved one.
 */
function prefixOf(onPath: string): string | null {
  let real = onPath;
  try {
    real = realpathSync(onPath);
  } catch {
    // keep the unresolved path
  }
  for (const candidate of [real, onPath]) {
    const binDir = dirname(candidate);
    if (basename(binDir) === 'bin' && basename(candidate) === basename(onPath)) return dirname(binDir);
  }
  return null;
}

function run(binary: string, args: string[], env: Record<string, string | undefined>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { env, encoding: 'utf8', timeout: 30_000 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}
