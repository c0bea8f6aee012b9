// Finding an agent CLI and its version: an explicit override (ORCHD_<AGENT>_PATH), else a search of PATH; the
// version from `<bin> --version` with a short timeout, so a hung CLI cannot stall `executor/list` or `orchd doctor`.
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { OrchdError } from '../errors.js';
import type { ExecutorAvailability } from './types.js';

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

/** Run `<bin> --version` and take the first version-looking token. */
export function probeVersion(bin: string, args: string[] = ['--version'], env: Record<string, string | undefined> = process.env, timeoutMs = 10_000): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(bin, args, { env: env as NodeJS.ProcessEnv, timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const text = `${stdout ?? ''}\n${stderr ?? ''}`;
      const match = /\d+\.\d+(?:\.\d+)?(?:[-+][\w.]+)?/.exec(text);
      resolve(match ? match[0] : error ? null : text.trim().split('\n')[0] || null);
    });
  });
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

/** Resolve the binary for a spec: the override if set, else PATH. */
export function resolveBinary(spec: BinarySpec, env: Record<string, string | undefined> = process.env): string | null {
  const override = env[spec.overrideVariable];
  if (override) return override;
  return findOnPath(spec.name, env);
}

/** Availability of a CLI: found or not, version, and what to install. */
export async function detectBinary(spec: BinarySpec, env: Record<string, string | undefined> = process.env): Promise<ExecutorAvailability> {
  const path = resolveBinary(spec, env);
  if (!path) return { available: false, version: null, path: null, hint: `${spec.installHint} (or set ${spec.overrideVariable})` };
  const version = await probeVersion(path, spec.versionArgs, env);
  if (version === null) return { available: false, version: null, path, hint: `\`${path} ${(spec.versionArgs ?? ['--version']).join(' ')}\` failed; ${spec.installHint}` };
  return { available: true, version, path, hint: null };
}

/** The binary for one turn (the turn's environment first, then orchd's), or `executorUnavailable` with the hint. */
export function requireBinary(spec: BinarySpec, executorId: string, env: Record<string, string | undefined>): string {
  const bin = resolveBinary(spec, { ...process.env, ...env });
  if (!bin) throw OrchdError.executorUnavailable(executorId, `${spec.installHint}, or set ${spec.overrideVariable}`);
  return bin;
}
