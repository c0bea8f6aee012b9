// A typed test client for orchd: over the real binary's stdio (spawnOrchd) or in-process streams (inProcessOrchd).
// Every request has a timeout that names it; failures show the daemon's stderr; every stdout frame must parse.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
  ResponseError,
} from 'vscode-jsonrpc/node';
import type { ClientRequestName, ParamsOf, ResultOf } from '../../protocol/methods.js';
import { PROTOCOL_VERSION } from '../../protocol/version.js';
import type { Event } from '../../protocol/events.js';
import { EVENT_MS, REQUEST_MS } from './bounds.js';
import { frameCheck, type FrameCheck } from './frames.js';
import './config-home.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'orchd.js');

export interface RpcFailure {
  code: number;
  message: string;
  data: { kind: string; [key: string]: unknown };
}

export class TestClient {
  readonly notifications: { method: string; params: any }[] = [];
  private waiters: { match: (n: { method: string; params: any }) => boolean; resolve: (n: any) => void }[] = [];

  constructor(
    readonly connection: MessageConnection,
    private readonly describe: () => string,
  ) {
    // vscode-jsonrpc routes `$/progress` to progress handlers, never to the generic notification handler.
    connection.onUnhandledProgress((params) => record('$/progress', params));
    connection.onNotification((method, params) => record(method, params));
    const record = (method: string, params: any) => {
      const note = { method, params };
      this.notifications.push(note);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(note)) return true;
        w.resolve(note);
        return false;
      });
    };
    connection.listen();
  }

  /** Send a request; rejects with the RPC error, or with a timeout naming the method. */
  async request<K extends ClientRequestName>(method: K, params?: ParamsOf<K> | Record<string, unknown> | null, timeoutMs = REQUEST_MS): Promise<ResultOf<K>> {
    return this.raw(method, params, timeoutMs) as Promise<ResultOf<K>>;
  }

  /** Send any method name with any params. */
  async raw(method: string, params?: unknown, timeoutMs = REQUEST_MS): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`request \`${method}\` timed out after ${timeoutMs} ms\n${this.describe()}`)), timeoutMs);
    });
    try {
      const pending = params === undefined ? this.connection.sendRequest(method) : this.connection.sendRequest(method, params);
      return await Promise.race([pending, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The RPC error a request fails with (fails the test when it succeeds). */
  async failure(method: string, params?: unknown): Promise<RpcFailure> {
    try {
      const result = await this.raw(method, params);
      throw new Error(`expected \`${method}\` to fail, got ${JSON.stringify(result)}`);
    } catch (error) {
      if (error instanceof ResponseError) return { code: error.code, message: error.message, data: error.data };
      throw error;
    }
  }

  /** Wait for a notification that matches. */
  waitFor(method: string, match: (params: any) => boolean = () => true, timeoutMs = EVENT_MS): Promise<any> {
    const seen = this.notifications.find((n) => n.method === method && match(n.params));
    if (seen) return Promise.resolve(seen.params);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no \`${method}\` notification within ${timeoutMs} ms\n${this.describe()}`)), timeoutMs);
      this.waiters.push({
        match: (n) => n.method === method && match(n.params),
        resolve: (n) => {
          clearTimeout(timer);
          resolve(n.params);
        },
      });
    });
  }

  /** Events delivered so far for one subscription, in arrival order. */
  events(subscriptionId: string): Event[] {
    return this.notifications.filter((n) => n.method === 'events/event' && n.params.subscriptionId === subscriptionId).map((n) => n.params.event as Event);
  }

  /** Wait until the subscription has delivered an event with seq >= `seq`. */
  async eventsUpTo(subscriptionId: string, seq: number, timeoutMs = EVENT_MS): Promise<Event[]> {
    await this.waitFor('events/event', (p) => p.subscriptionId === subscriptionId && p.event.seq >= seq, timeoutMs);
    return this.events(subscriptionId);
  }

  /** `initialize` with sensible defaults. */
  initialize(extra: Record<string, unknown> = {}): Promise<ResultOf<'initialize'>> {
    return this.request('initialize', { processId: null, protocolVersion: PROTOCOL_VERSION, clientInfo: { name: 'orchd-tests' }, ...extra } as never);
  }
}

export interface SpawnedOrchd {
  client: TestClient;
  child: ChildProcess;
  frames: FrameCheck;
  stderr: () => string;
  dataDir: string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Write raw bytes to the daemon's stdin. */
  write(bytes: Buffer | string): void;
  /** shutdown + exit if still running, then remove the data dir unless kept. */
  close(options?: { keepDataDir?: boolean }): Promise<void>;
}

/** Make a temp directory removed by the caller. */
export function tempDir(prefix = 'orchd-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Spawn the built binary over real stdio. */
export function spawnOrchd(options: { dataDir?: string; args?: string[]; env?: Record<string, string> } = {}): SpawnedOrchd {
  const dataDir = options.dataDir ?? tempDir();
  const child = spawn(process.execPath, [BIN, '--stdio', ...(options.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ORCHD_DATA_DIR: dataDir, ORCHD_CHECK_RESULTS: '1', ORCHD_LOG_LEVEL: 'debug', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk.toString();
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const frames = frameCheck();
  const forClient = new PassThrough();
  child.stdout!.on('data', (chunk: Buffer) => {
    frames.push(chunk);
    forClient.write(chunk);
  });
  child.stdout!.on('end', () => forClient.end());
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const describe = () => `--- orchd stderr (last 4000 chars) ---\n${stderr.slice(-4000)}`;
  const connection = createMessageConnection(new StreamMessageReader(forClient), new StreamMessageWriter(child.stdin!));
  connection.onError(() => {});
  const client = new TestClient(connection, describe);
  return {
    client,
    child,
    frames,
    stderr: () => stderr,
    dataDir,
    exited,
    write: (bytes) => child.stdin!.write(bytes),
    async close(closeOptions = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          await client.request('shutdown', undefined, REQUEST_MS);
          void connection.sendNotification('exit');
        } catch {
          child.kill('SIGKILL');
        }
        await exited;
      }
      connection.dispose();
      if (!closeOptions.keepDataDir && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
