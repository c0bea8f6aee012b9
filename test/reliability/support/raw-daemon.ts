// The built daemon (bin/orchd.js --stdio) driven over raw stdio bytes: the caller writes whatever bytes it likes,
// every stdout byte goes through the frame checker of test/support/frames.ts, and replies are indexed by id.
import { spawn, type ChildProcess } from 'node:child_process';
import { frame, frameCheck, type FrameCheck } from '../../support/frames.js';
import { BIN } from '../../support/client.js';
import { PROTOCOL_VERSION } from '../../../protocol/version.js';

/** The launcher under test: bin/orchd.js of this checkout, or ORCHD_RELIABILITY_BIN (to run a suite against another build). */
export const DAEMON_BIN = process.env.ORCHD_RELIABILITY_BIN || BIN;

export type RequestId = string | number;

export interface RpcReply {
  id: RequestId | null;
  result?: unknown;
  error?: { code: number; message: string; data?: { kind?: string; [key: string]: unknown } };
}

export class RpcFailure extends Error {
  constructor(
    readonly method: string,
    readonly reply: NonNullable<RpcReply['error']>,
  ) {
    super(`\`${method}\` failed: ${reply.code} ${reply.data?.kind ?? '?'}: ${reply.message}`);
  }
}

export interface RawDaemonOptions {
  dataDir: string;
  /** Working directory of the daemon (relative paths in fuzzed params land here). */
  cwd: string;
  env?: Record<string, string>;
  logLevel?: string;
}

/** `{project: {...}}` (protocol 1 names what a result holds) or the entity itself (older builds). */
export function entity(result: any, name: string): any {
  return result && typeof result === 'object' && name in result ? result[name] : result;
}

/** The key replies are indexed by: `5` and `"5"` are different ids. */
export function idKey(id: RequestId | null): string {
  return id === null ? 'null' : `${typeof id}:${id}`;
}

export class RawDaemon {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Problems with stdout: bytes outside frames, bodies that are not JSON-RPC. */
  readonly frames: FrameCheck = frameCheck();
  /** Every response by id (a list, so a duplicate shows). */
  readonly replies = new Map<string, RpcReply[]>();
  /** Frames that are neither responses nor notifications nor server requests. */
  readonly strangeFrames: unknown[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Called for every notification (events/event, $/progress, …). */
  onNotification: ((method: string, params: any) => void) | undefined;
  private stderrText = '';
  private waiters = new Map<string, (reply: RpcReply) => void>();
  private nextId = 1;

  constructor(readonly options: RawDaemonOptions) {
    this.child = spawn(process.execPath, [DAEMON_BIN, '--stdio', '--data-dir', options.dataDir], {
      cwd: options.cwd,
      env: { ...process.env, ORCHD_CHECK_RESULTS: '1', ORCHD_LOG_LEVEL: options.logLevel ?? 'warn', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid!;
    this.child.stdin!.on('error', () => {});
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString();
      if (this.stderrText.length > 400_000) this.stderrText = this.stderrText.slice(-200_000);
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The last `chars` of the daemon's stderr, for failure messages. */
  stderrTail(chars = 4000): string {
    return this.stderrText.slice(-chars);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private onStdout(chunk: Buffer): void {
    this.frames.push(chunk);
    for (const message of this.frames.frames.splice(0) as any[]) {
      if (message && typeof message === 'object' && 'method' in message) {
        // A notification, or a request from the server (approval/request): tests never declare approvals.
        if (!('id' in message)) this.onNotification?.(message.method, message.params);
        continue;
      }
      if (message && typeof message === 'object' && 'id' in message && ('result' in message || 'error' in message)) {
        const reply = message as RpcReply;
        const key = idKey(reply.id);
        const list = this.replies.get(key);
        if (list) list.push(reply);
        else this.replies.set(key, [reply]);
        const waiter = this.waiters.get(key);
        if (waiter) {
          this.waiters.delete(key);
          waiter(reply);
        }
        continue;
      }
      this.strangeFrames.push(message);
    }
  }

  /** Write raw bytes, respecting back-pressure; rejects when the daemon stops reading stdin for `timeoutMs`. */
  write(bytes: Buffer | string, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.alive || this.child.stdin!.destroyed) return resolve();
      if (this.child.stdin!.write(bytes)) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.child.stdin!.off('drain', done);
        this.child.off('exit', done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.child.stdin!.off('drain', done);
        this.child.off('exit', done);
        reject(new Error(`the daemon read nothing from stdin for ${timeoutMs} ms\n--- orchd stderr ---\n${this.stderrTail()}`));
      }, timeoutMs);
      this.child.stdin!.once('drain', done);
      this.child.once('exit', done);
    });
  }

  /** A fresh numeric id that the fuzzer never uses (the fuzzer takes ids below 1e9). */
  freshId(): number {
    return 1_000_000_000 + this.nextId++;
  }

  /** Resolve with the first reply to `id`, or reject naming `what` after the timeout. */
  waitForReply(id: RequestId, timeoutMs: number, what = `a reply to id ${JSON.stringify(id)}`): Promise<RpcReply> {
    const key = idKey(id);
    const seen = this.replies.get(key);
    if (seen?.length) return Promise.resolve(seen[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- orchd stderr ---\n${this.stderrTail()}`));
      }, timeoutMs);
      this.waiters.set(key, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  /** Send a well-formed request and resolve with its result (rejects with RpcFailure, or on timeout). */
  async request(method: string, params: unknown, timeoutMs = 30_000): Promise<any> {
    const id = this.freshId();
    const message: Record<string, unknown> = { jsonrpc: '2.0', id, method };
    if (params !== undefined) message.params = params;
    await this.write(frame(message));
    const reply = await this.waitForReply(id, timeoutMs, `\`${method}\``);
    this.replies.delete(idKey(id));
    if (reply.error) throw new RpcFailure(method, reply.error);
    return reply.result;
  }

  /** Send a notification. */
  notify(method: string, params?: unknown): Promise<void> {
    return this.write(frame(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }));
  }

  /** `initialize` with the data directory given on the command line. */
  initialize(extra: Record<string, unknown> = {}): Promise<any> {
    return this.request('initialize', { processId: null, protocolVersion: PROTOCOL_VERSION, clientInfo: { name: 'orchd-reliability' }, ...extra });
  }

  /** `shutdown` then `exit`, and wait for the process; SIGKILL when it does not answer. */
  async stop(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) {
      try {
        await this.request('shutdown', null, timeoutMs);
        await this.notify('exit');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL the daemon and wait until it is gone. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
