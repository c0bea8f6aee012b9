// Finding a running service and making sure there is one per data directory: `service.lock` (held by the serving
// process, identified by pid + start time + boot id so a reused pid never looks alive), `service.json` (where to
// connect), and `service-token` (the default full-access token, written 0600 on first serve).
import { closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { ServiceInfo } from '../../protocol/service.js';
import { createToken, verifyToken } from '../auth/tokens.js';
import { OrchdError } from '../errors.js';
import { daemonIdentity, isSameProcess } from '../supervisor/process-group.js';
import type { Store } from '../store/database.js';
import { PRIVATE_FILE_MODE } from '../store/private-files.js';

export const SERVICE_FILE = 'service.json';
export const SERVICE_LOCK_FILE = 'service.lock';
export const SERVICE_TOKEN_FILE = 'service-token';

const LockRecord = v.object({ pid: v.number(), startTicks: v.nullable(v.string()), bootId: v.optional(v.nullable(v.string())) });

export interface ServiceLock {
  /** Remove service.json and the lock (only when they are still this process's). */
  release(): void;
}

/**
 * Take the data directory's service lock, or fail with `alreadyExists` naming the running service (its url when
 * service.json says, else its pid). A lock left by a process that is gone is taken over.
 */
export function acquireServiceLock(dataDir: string): ServiceLock {
  const path = join(dataDir, SERVICE_LOCK_FILE);
  const self = daemonIdentity();
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, PRIVATE_FILE_MODE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLock(path);
      if (holder && isSameProcess(holder)) {
        const running = readServiceInfo(dataDir);
        throw OrchdError.serviceRunning(dataDir, holder.pid, running?.url ?? null);
      }
      // Left behind by a process that is gone (or unreadable): take it over.
      rmSync(path, { force: true });
      rmSync(join(dataDir, SERVICE_FILE), { force: true });
      continue;
    }
    writeSync(fd, JSON.stringify({ ...self, bootId: bootIdOf() }));
    fsyncSync(fd);
    closeSync(fd);
    return {
      release() {
        const holder = readLock(path);
        if (holder?.pid !== process.pid) return;
        rmSync(join(dataDir, SERVICE_FILE), { force: true });
        rmSync(path, { force: true });
      },
    };
  }
  throw OrchdError.invalidState(`Expected to take the service lock \`${path}\`, but another process keeps taking it`, { path });
}

function bootIdOf(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

function readLock(path: string): v.InferOutput<typeof LockRecord> | undefined {
  try {
    const parsed = v.safeParse(LockRecord, JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}

/** Write `text` to `path` as 0600 through a temp file and a rename: readers see the old file or the new, never half. */
export function writePrivateFileAtomic(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  rmSync(temp, { force: true });
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, PRIVATE_FILE_MODE);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

export function writeServiceInfo(dataDir: string, info: ServiceInfo): void {
  writePrivateFileAtomic(join(dataDir, SERVICE_FILE), `${JSON.stringify(info, null, 2)}\n`);
}

/** The running service on this data directory, or undefined (no file, a malformed one, or its process is gone). */
export function readServiceInfo(dataDir: string): ServiceInfo | undefined {
  let info: ServiceInfo;
  try {
    const parsed = v.safeParse(ServiceInfo, JSON.parse(readFileSync(join(dataDir, SERVICE_FILE), 'utf8')));
    if (!parsed.success) return undefined;
    info = parsed.output;
  } catch {
    return undefined;
  }
  const holder = readLock(join(dataDir, SERVICE_LOCK_FILE));
  return holder && holder.pid === info.pid && isSameProcess(holder) ? info : undefined;
}

/** True while a live process holds the service lock: a service is running, or starting and about to write service.json. */
export function serviceLockHeld(dataDir: string): boolean {
  const holder = readLock(join(dataDir, SERVICE_LOCK_FILE));
  return holder !== undefined && isSameProcess(holder);
}

/**
 * The running service, waiting up to `waitMs` for one that holds the lock but has not written service.json yet (a
 * command run right after `orchd serve &`); undefined when none runs, or it did not get there in time.
 */
export async function findService(dataDir: string, waitMs: number): Promise<ServiceInfo | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const info = readServiceInfo(dataDir);
    if (info || !serviceLockHeld(dataDir) || Date.now() >= deadline) return info;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The default full-access token's secret: the one in `service-token` while it is still valid, else a new token
 * (named `default`, or `default-N` when taken) written there 0600.
 */
export async function ensureDefaultToken(store: Store, dataDir: string): Promise<string> {
  const existing = readDefaultToken(dataDir);
  if (existing) {
    const record = await verifyToken(store, existing);
    if (record && !record.readOnly) return existing;
  }
  for (let n = 1; ; n++) {
    try {
      const { secret } = await createToken(store, { name: n === 1 ? 'default' : `default-${n}` });
      writePrivateFileAtomic(join(dataDir, SERVICE_TOKEN_FILE), `${secret}\n`);
      return secret;
    } catch (error) {
      if (!(error instanceof OrchdError && error.kind === 'alreadyExists')) throw error;
    }
  }
}

/** The secret in `service-token`, or undefined. */
export function readDefaultToken(dataDir: string): string | undefined {
  try {
    const text = readFileSync(join(dataDir, SERVICE_TOKEN_FILE), 'utf8').trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}
