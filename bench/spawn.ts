// Spawn a JSON-RPC server (orchd or the echo baseline) over stdio and talk to it with vscode-jsonrpc.
// Every request has a timeout, failures carry the server's stderr, and no child outlives the bench.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The orchd entry script: bin/orchd.js, or `BENCH_ORCHD` (e.g. a frozen copy of a bundle, to measure a build side by side). */
export const ORCHD = process.env.BENCH_ORCHD ? resolve(process.env.BENCH_ORCHD) : join(ROOT, 'bin', 'orchd.js');
/**
 * BENCH_NODE_ARGS: node options for the daemons the sections start (e.g. `--cpu-prof --cpu-prof-dir=<dir>`, written when
 * the daemon exits cleanly), parsed once for every section that passes them on.
 */
export const BENCH_NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
export const ECHO = join(ROOT, 'bench', 'echo-server.mjs');

export const INITIALIZE = { processId: null, protocolVersion: 1, clientInfo: { name: 'bench' } };

const REQUEST_TIMEOUT_MS = 120_000;

class TimeoutError extends Error {}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** The environment both servers get: the bench's own, minus anything that would load tsx into the child. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ORCHD_LOG_LEVEL: 'error', ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

export interface Server {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly rpc: MessageConnection;
  /** performance.now() just before spawn(). */
  readonly spawnedAt: number;
  /** Resolves when the process has exited (expectedly or not). */
  readonly exited: Promise<void>;
  /** Bytes the server has written to stdout so far. */
  stdoutBytes(): number;
  /** The name, pid, exit status and stderr tail, for error messages. */
  describe(): string;
  /** A request that fails with the server's stderr after a timeout or an error. */
  request<T = unknown>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  /** `shutdown` + `exit`, or SIGKILL when that fails; resolves once the process is gone. */
  close(): Promise<void>;
}

/** Spawn `node <script> [args]` and connect to it over stdio. */
export function spawnServer(name: string, script: string, args: string[] = [], env: Record<string, string> = {}, nodeArgs: string[] = []): Server {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  let stderr = '';
  let stdoutBytes = 0;
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
  });
  child.stdin!.on('error', () => {});
  let closing = false;
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  rpc.onError(() => {});
  rpc.listen();
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      // vscode-jsonrpc rejects pending requests only on dispose, not when the stream closes.
      if (!closing) rpc.dispose();
      resolve();
    }),
  );
  const describe = () => {
    const status = child.exitCode !== null ? `exited with code ${child.exitCode}` : child.signalCode ? `killed by ${child.signalCode}` : 'running';
    return `${name} (pid ${child.pid}, ${status}) stderr:\n${stderr.slice(-4000) || '(empty)'}`;
  };

  async function request<T>(method: string, params?: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`${name}: \`${method}\` timed out after ${timeoutMs} ms\n${describe()}`)), timeoutMs);
    });
    try {
      const pending = params === undefined ? rpc.sendRequest(method) : rpc.sendRequest(method, params);
      return (await Promise.race([pending, timeout])) as T;
    } catch (error) {
      if (error instanceof TimeoutError) throw error;
      throw new Error(`${name}: \`${method}\` failed: ${(error as Error).message}\n${describe()}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    name,
    child,
    pid: child.pid!,
    rpc,
    spawnedAt,
    exited,
    stdoutBytes: () => stdoutBytes,
    describe,
    request,
    async close() {
      closing = true;
      if (child.exitCode === null && child.signalCode === null) {
        try {
          await request('shutdown', undefined, 30_000);
          await rpc.sendNotification('exit');
        } catch {
          child.kill('SIGKILL');
        }
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      rpc.dispose();
    },
  };
}

/** orchd on a data directory. */
export function spawnOrchd(dataDir: string): Server {
  return spawnServer('orchd', ORCHD, ['--stdio'], { ORCHD_DATA_DIR: dataDir });
}

/** The bare vscode-jsonrpc baseline. */
export function spawnEcho(): Server {
  return spawnServer('echo', ECHO);
}

/** A fresh temp directory; the caller removes it with `removeDir`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** SIGKILL the servers if `ms` pass before the returned function is called (their pending requests then fail). */
export function watchdog(ms: number, servers: Server[], what: string): () => void {
  const timer = setTimeout(() => {
    progress(`${what} took over ${Math.round(ms / 1000)} s; killing ${servers.map((s) => s.name).join(' and ')}`);
    for (const server of servers) server.child.kill('SIGKILL');
  }, ms);
  return () => clearTimeout(timer);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Progress lines go to stderr so stdout holds only the results. */
export function progress(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}
