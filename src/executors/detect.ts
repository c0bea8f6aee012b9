// Finding an agent CLI and its version: an explicit override (ORCHD_<AGENT>_PATH), else a search of PATH, else the
// agent cache `npm test` fills (~/.cache/orchd/agents); the
// version from `<bin> --version` under a generous timeout (a JS CLI on a busy machine can take over 10 s to start), so
// a hung CLI cannot stall `executor/list` or `orchd doctor` for good, and a slow one is reported as timed out, not as
// missing.
import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { OrchdError } from '../errors.js';
import type { ExecutorAvailability } from './types.js';

/** How long `<bin> --version` may take by default; `ORCHD_VERSION_PROBE_TIMEOUT_MS` in the environment overrides it. */
export const VERSION_PROBE_TIMEOUT_MS = 30_000;

/** The variable that sets the version probe's timeout in milliseconds. */
export const VERSION_PROBE_TIMEOUT_VARIABLE = 'ORCHD_VERSION_PROBE_TIMEOUT_MS';

/** The first executable named `name` on the PATH of `env`. */
export function findOnPath(name: string, env: Record<string, string | undefined> = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The version probe's timeout for this environment: `ORCHD_VERSION_PROBE_TIMEOUT_MS` when it is a positive number. */
export function versionProbeTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const configured = Number(env[VERSION_PROBE_TIMEOUT_VARIABLE]);
  return Number.isFinite(configured) && configured > 0 ? configured : VERSION_PROBE_TIMEOUT_MS;
}

/** What `<bin> --version` gave: a version, a failure (with what it printed), or no answer within the timeout. */
export type VersionProbe = { outcome: 'version'; version: string } | { outcome: 'failed'; detail: string } | { outcome: 'timedOut'; afterMs: number };

/** Run `<bin> --version` and take the first version-looking token; on timeout, kill its process group. */
export function probeVersion(bin: string, args: string[] = ['--version'], env: Record<string, string | undefined> = process.env, timeoutMs = versionProbeTimeoutMs(env)): Promise<VersionProbe> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const settle = (probe: VersionProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(probe);
    };
    // Its own process group, so a CLI that relaunches itself (Gemini, Qwen) is killed whole on timeout; the answer
    // does not wait for the pipes to close, which a leftover grandchild could hold open.
    const child = spawn(bin, args, { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const collect = (chunk: Buffer) => {
      if (output.length < 1024 * 1024) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      settle({ outcome: 'timedOut', afterMs: timeoutMs });
    }, timeoutMs);
    child.on('error', (error) => settle({ outcome: 'failed', detail: error.message }));
    child.on('close', (code, signal) => {
      const match = /\d+\.\d+(?:\.\d+)?(?:[-+][\w.]+)?/.exec(output);
      if (match) return settle({ outcome: 'version', version: match[0] });
      const firstLine = output.trim().split('\n')[0] ?? '';
      if (code === 0 && firstLine) return settle({ outcome: 'version', version: firstLine });
      settle({ outcome: 'failed', detail: signal ? `killed by ${signal}` : `exit code ${code}${firstLine ? `: ${firstLine.slice(0, 200)}` : ''}` });
    });
  });
}

/** A duration in seconds for a person: `30 s`, `1.5 s`, `0.5 s`. */
export function formatProbeDuration(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** The availability of the CLI found at `path`, from its `--version` probe (found, failed, or timed out). */
export async function probeAvailability(path: string, versionArgs: string[], env: Record<string, string | undefined>, installHint: string): Promise<ExecutorAvailability> {
  const probe = await probeVersion(path, versionArgs, env);
  const command = `\`${path} ${versionArgs.join(' ')}\``;
  if (probe.outcome === 'version') return { available: true, version: probe.version, path, hint: null };
  if (probe.outcome === 'timedOut') {
    const after = formatProbeDuration(probe.afterMs);
    return { available: false, version: null, path, unavailableReason: 'versionTimedOut', hint: `${command} timed out after ${after}: the CLI is installed but slow to start (run it by hand, or raise ${VERSION_PROBE_TIMEOUT_VARIABLE})` };
  }
  return { available: false, version: null, path, unavailableReason: 'versionFailed', hint: `${command} failed (${probe.detail}); ${installHint}` };
}

export interface BinarySpec {
  /** The command name looked up on PATH. */
  name: string;
  /** Environment variable that names the binary explicitly. */
  overrideVariable: string;
  /** What to tell a person when it is missing. */
  installHint: string;
  versionArgs?: string[];
}

/** Where the test suite installs the pinned agent CLIs: `$ORCHD_AGENT_CACHE`, else `$HOME/.cache/orchd/agents`. */
export function agentCacheDir(env: Record<string, string | undefined> = process.env): string | null {
  if (env.ORCHD_AGENT_CACHE) return env.ORCHD_AGENT_CACHE;
  return env.HOME ? join(env.HOME, '.cache', 'orchd', 'agents') : null;
}

/**
 * `name` as installed in the agent cache (`<cache>/<name>-<version>/node_modules/.bin/<name>`, as `npm test` leaves
 * it), the highest version first; null when the cache holds none. So the README's "a real CLI against the mock model"
 * works after `npm test` without anyone hunting for the path.
 */
export function findInAgentCache(name: string, env: Record<string, string | undefined> = process.env): string | null {
  const cache = agentCacheDir(env);
  if (!cache) return null;
  let entries: string[];
  try {
    entries = readdirSync(cache);
  } catch {
    return null;
  }
  const installs = entries.filter((entry) => entry.startsWith(`${name}-`) && !entry.endsWith('.lock'));
  installs.sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  for (const install of installs) {
    const candidate = join(cache, install, 'node_modules', '.bin', name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // an unfinished or broken install
    }
  }
  return null;
}

/** Resolve the binary for a spec: the override if set, else PATH, else the agent cache the test suite fills. */
export function resolveBinary(spec: BinarySpec, env: Record<string, string | undefined> = process.env): string | null {
  const override = env[spec.overrideVariable];
  if (override) return override;
  return findOnPath(spec.name, env) ?? findInAgentCache(spec.name, env);
}

/** Availability of a CLI: found or not, version, and what to install (or that its version probe timed out). */
export async function detectBinary(spec: BinarySpec, env: Record<string, string | undefined> = process.env): Promise<ExecutorAvailability> {
  const path = resolveBinary(spec, env);
  if (!path) return { available: false, version: null, path: null, unavailableReason: 'notFound', hint: `${spec.installHint} (or set ${spec.overrideVariable})` };
  return probeAvailability(path, spec.versionArgs ?? ['--version'], env, spec.installHint);
}

/** The binary for one turn (the turn's environment first, then orchd's), or `executorUnavailable` with the hint. */
export function requireBinary(spec: BinarySpec, executorId: string, env: Record<string, string | undefined>): string {
  const bin = resolveBinary(spec, { ...process.env, ...env });
  if (!bin) throw OrchdError.executorUnavailable(executorId, `${spec.installHint}, or set ${spec.overrideVariable}`);
  return bin;
}
