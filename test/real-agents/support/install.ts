// Installs the real agent CLIs from npm on demand, into a shared cache, so end-to-end tests can run the actual
// binaries against the mock model (fixtures/mock-model) without making them dependencies of orchd.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { AGENT_EVENT_MS, INSTALL_MS } from '../../support/bounds.js';

const execFileAsync = promisify(execFile);

export type AgentId = 'claude' | 'codex' | 'gemini' | 'qwen' | 'opencode';

export interface AgentPackage {
  /** npm package name. */
  name: string;
  /** Exact version: the one checked against the mock on Node 20 (fixtures/captures/README.md). */
  version: string;
  /** The command under node_modules/.bin. */
  bin: string;
  /** Packages (this one and its platform binary) whose postinstall must run; they only link the native binary. */
  scripts: string[];
}

/** Pinned versions. Claude 2.1.197 is what npm itself picks on Node 20; the others are the newest that run on it. */
export const AGENT_PACKAGES: Record<AgentId, AgentPackage> = {
  claude: { name: '@anthropic-ai/claude-code', version: '2.1.197', bin: 'claude', scripts: ['@anthropic-ai/claude-code'] },
  codex: { name: '@openai/codex', version: '0.169.0', bin: 'codex', scripts: [] },
  gemini: { name: '@google/gemini-cli', version: '0.61.0', bin: 'gemini', scripts: [] },
  qwen: { name: '@qwen-code/qwen-code', version: '0.15.10', bin: 'qwen', scripts: [] },
  opencode: { name: 'opencode-ai', version: '1.18.33', bin: 'opencode', scripts: ['opencode-ai'] },
};

export const AGENT_IDS = Object.keys(AGENT_PACKAGES) as AgentId[];

export interface InstalledAgent {
  bin: string;
  version: string;
  /** What the CLI needs on top of the test's environment: PATH with its .bin dir and node's dir. */
  env: Record<string, string>;
}

const MARKER = '.installed';
/** An install may take this long (an npm install of the largest CLI takes about a minute on an idle machine); a lock
 * older than that is taken over, since its owner has given up by then. */
const INSTALL_TIMEOUT_MS = INSTALL_MS;
const STALE_LOCK_MS = INSTALL_MS;
/** A lock without an owner file this old was left by a process that died between mkdir and write. */
const ORPHAN_LOCK_MS = 30_000;
/** How often a waiting process looks at the lock again (the cost of a look, not a deadline). */
const LOCK_POLL_MS = 500;

/** Where installs live: $ORCHD_AGENT_CACHE, else ~/.cache/orchd/agents. */
export function agentCacheDir(): string {
  return process.env.ORCHD_AGENT_CACHE || join(homedir(), '.cache', 'orchd', 'agents');
}

/** The folder one pinned CLI installs into. */
export function agentInstallDir(id: AgentId): string {
  const pkg = AGENT_PACKAGES[id];
  return join(agentCacheDir(), `${id}-${pkg.version}`);
}

/** Install the pinned CLI once (idempotent, safe across concurrent test processes) and say how to run it. */
export async function ensureAgentCli(id: AgentId): Promise<InstalledAgent> {
  const pkg = AGENT_PACKAGES[id];
  const dir = agentInstallDir(id);
  if (!existsSync(join(dir, MARKER))) {
    await withLock(`${dir}.lock`, async () => {
      if (existsSync(join(dir, MARKER))) return; // another process finished while we waited
      await npmInstall(pkg, dir);
    });
  }
  return describeInstall(pkg, dir);
}

function describeInstall(pkg: AgentPackage, dir: string): InstalledAgent {
  const binDir = join(dir, 'node_modules', '.bin');
  const bin = join(binDir, pkg.bin);
  const installed = JSON.parse(readFileSync(join(dir, 'node_modules', pkg.name, 'package.json'), 'utf8')) as { version: string };
  const path = [binDir, dirname(process.execPath), process.env.PATH ?? ''].filter(Boolean).join(':');
  return { bin, version: installed.version, env: { PATH: path } };
}

async function npmInstall(pkg: AgentPackage, dir: string): Promise<void> {
  // Start clean: a folder without the marker is a crashed or interrupted install.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Claude's and OpenCode's postinstall copy the platform binary (an optional dependency) over a stub bin/*.exe that
  // only prints "postinstall did not run". npm 11.19 runs unreviewed scripts with a warning, but fails them under
  // `strict-allow-scripts`, and `--allow-scripts` is rejected in a project: list them in `allowScripts` instead, and
  // override a user-level `ignore-scripts=true`.
  const allowScripts = Object.fromEntries(pkg.scripts.map((name) => [name, true]));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'orchd-agent-cache', private: true, allowScripts }, null, 2)}\n`);
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--include=optional', '--ignore-scripts=false', '--loglevel=error', '--prefix', dir, `${pkg.name}@${pkg.version}`];
  try {
    await execFileAsync('npm', args, { cwd: dir, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`npm install ${pkg.name}@${pkg.version} failed in ${dir}: ${stderr.trim().slice(-2000)}`, { cause: error });
  }
  const bin = join(dir, 'node_modules', '.bin', pkg.bin);
  if (!existsSync(bin)) throw new Error(`npm install ${pkg.name}@${pkg.version} left no \`${pkg.bin}\` in ${dirname(bin)}`);
  const reported = await probeVersion(bin, dir);
  writeFileSync(join(dir, MARKER), `${JSON.stringify({ name: pkg.name, version: pkg.version, reported, at: new Date().toISOString() })}\n`);
}

/** Run `<bin> --version` (in a throwaway HOME, so nothing lands in the real one): a stub binary fails here. */
async function probeVersion(bin: string, dir: string): Promise<string> {
  const home = join(dir, '.probe-home');
  mkdirSync(home, { recursive: true });
  const env = { PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(':'), HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share'), XDG_CACHE_HOME: join(home, '.cache'), XDG_STATE_HOME: join(home, '.local', 'state'), CLAUDE_CONFIG_DIR: join(home, '.claude'), CODEX_HOME: join(home, '.codex') };
  try {
    const { stdout } = await execFileAsync(bin, ['--version'], { env, timeout: AGENT_EVENT_MS });
    return stdout.trim();
  } catch (error) {
    const output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`.trim();
    throw new Error(`\`${bin} --version\` failed after install: ${output.slice(0, 500)}`, { cause: error });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Run `body` holding a mkdir-based lock; a lock whose owner died or that is older than STALE_LOCK_MS is taken over. */
async function withLock<T>(lockDir: string, body: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockDir), { recursive: true });
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'owner.json'), JSON.stringify({ pid: process.pid, at: Date.now() }));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (isStale(lockDir)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the install lock \`${lockDir}\``);
      await sleep(LOCK_POLL_MS);
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function isStale(lockDir: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(lockDir, 'owner.json'), 'utf8')) as { pid: number; at: number };
    if (Date.now() - owner.at > STALE_LOCK_MS) return true;
    return !processAlive(owner.pid);
  } catch {
    // No owner file yet: the owner is between mkdir and write, unless the lock dir itself is old.
    try {
      return Date.now() - statSync(lockDir).mtimeMs > ORPHAN_LOCK_MS;
    } catch {
      return false; // the lock vanished: retry
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
