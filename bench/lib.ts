// Shared bench helpers: spawn a JSON-RPC server over stdio, time things, summarise samples.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ORCHD = join(ROOT, 'bin', 'orchd.js');
export const ECHO = join(ROOT, 'bench', 'echo-server.mjs');

export interface Server {
  child: ChildProcess;
  rpc: MessageConnection;
  close(): Promise<void>;
}

/** Spawn `node <script> [args]` and connect to it over stdio. */
export function spawnServer(script: string, args: string[] = [], env: Record<string, string> = {}): Server {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ORCHD_LOG_LEVEL: 'error', ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  rpc.listen();
  return {
    child,
    rpc,
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        await rpc.sendRequest('shutdown');
        await rpc.sendNotification('exit');
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
      rpc.dispose();
    },
  };
}

export const INITIALIZE = { processId: null, protocolVersion: 1, clientInfo: { name: 'bench' } };

/** Percentile of a sample (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** Resident set size of a process in MB (Linux). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Round for display. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
