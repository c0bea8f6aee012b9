// `orchd doctor`: what this machine offers orchd — Node, git, SQLite, the data directory — as text or JSON.
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { ExecutorInfo } from '../../protocol/executors.js';
import { resolveDataDir } from '../config/data-dir.js';
import { describeExecutors } from '../executors/registry.js';
import { databaseUsage, formatBytes, type DatabaseUsage } from '../maintenance/usage.js';
import { DATABASE_FILE } from '../store/database.js';
import { databaseFiles, looselyProtected } from '../store/private-files.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
  /** Passed, but with something the user should fix (shown as WARN; the exit code stays 0). */
  warning?: boolean;
}

export interface DoctorOptions {
  version: string;
  json: boolean;
  dataDir: string | undefined;
  write?: (text: string) => void;
}

/** Run every check; the exit code is 0 when all passed, 1 otherwise. */
export async function runDoctor(options: DoctorOptions): Promise<number> {
  const [checks, executors] = await Promise.all([collectChecks(options), describeExecutors()]);
  const database = readDatabaseUsage(options.dataDir);
  if (database.check) checks.push(database.check);
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  if (options.json) write(`${JSON.stringify({ version: options.version, checks, database: database.usage, executors }, null, 2)}\n`);
  else write(renderChecks(options.version, checks) + (database.usage ? renderDatabase(database.usage) : '') + renderExecutors(executors));
  // A missing agent CLI is not a broken orchd: only the checks above decide the exit code.
  return checks.every((c) => c.ok) ? 0 : 1;
}

/** Gather the checks without printing. */
export async function collectChecks(options: Pick<DoctorOptions, 'dataDir'>): Promise<Check[]> {
  const checks: Check[] = [];
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  checks.push({ name: 'node', ok: nodeMajor >= 20, detail: process.version, ...(nodeMajor >= 20 ? {} : { hint: 'install Node.js 20 or newer' }) });
  checks.push(await gitCheck());
  checks.push(sqliteCheck());
  checks.push(dataDirCheck(options.dataDir));
  return checks;
}

async function gitCheck(): Promise<Check> {
  try {
    const { gitVersion, gitBinaryPath, versionAtLeast, MINIMUM_GIT_VERSION } = await import('../git/git-environment.js');
    const version = await gitVersion();
    const detail = `${version} (${await gitBinaryPath()})`;
    if (!versionAtLeast(version, MINIMUM_GIT_VERSION)) {
      return { name: 'git', ok: false, detail, hint: `orchd needs git ${MINIMUM_GIT_VERSION} or newer (merge-tree --write-tree)` };
    }
    return { name: 'git', ok: true, detail };
  } catch (error) {
    return { name: 'git', ok: false, detail: (error as Error).message, hint: 'install git (apt-get install git)' };
  }
}

function sqliteCheck(): Check {
  try {
    const db = new BetterSqlite3(':memory:');
    const version = db.prepare('select sqlite_version() as v').get() as { v: string };
    db.close();
    return { name: 'sqlite', ok: true, detail: `SQLite ${version.v} (better-sqlite3)` };
  } catch (error) {
    return { name: 'sqlite', ok: false, detail: (error as Error).message, hint: 'reinstall dependencies: npm ci (better-sqlite3 builds from source)' };
  }
}

function dataDirCheck(flag: string | undefined): Check {
  const { dataDir, source } = resolveDataDir({ fromFlag: flag, fromEnv: process.env.ORCHD_DATA_DIR });
  if (!existsSync(dataDir)) return { name: 'data directory', ok: true, detail: `${dataDir} (from ${source}; created on first start)` };
  try {
    accessSync(dataDir, constants.W_OK);
    const loose = looselyProtected([dataDir, ...databaseFiles(dataDir, DATABASE_FILE)]);
    if (loose.length > 0) {
      const list = loose.map((l) => `${l.path} is ${l.mode}`).join(', ');
      return { name: 'data directory', ok: true, warning: true, detail: `${dataDir} (from ${source}): readable by other users: ${list}`, hint: `chmod 700 ${dataDir} and chmod 600 its orchd.sqlite* files (orchd does this itself on its next start)` };
    }
    return { name: 'data directory', ok: true, detail: `${dataDir} (from ${source})` };
  } catch {
    return { name: 'data directory', ok: false, detail: `${dataDir} is not writable`, hint: 'fix its permissions or pass --data-dir' };
  }
}

/** The database's size and each project's share of the event log, read without writing (null when there is none yet). */
export function readDatabaseUsage(flag: string | undefined): { check: Check | null; usage: DatabaseUsage | null } {
  const { dataDir } = resolveDataDir({ fromFlag: flag, fromEnv: process.env.ORCHD_DATA_DIR });
  const path = join(dataDir, DATABASE_FILE);
  if (!existsSync(path)) return { check: null, usage: null };
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const usage = databaseUsage(db);
    const detail = `${formatBytes(usage.bytes)} (${formatBytes(usage.freeBytes)} free, auto-vacuum ${usage.autoVacuum})`;
    if (usage.freeBytes > 0 && usage.freeBytes * 4 >= usage.bytes) {
      return { check: { name: 'database', ok: true, warning: true, detail, hint: 'orchd gc returns the free pages to the file system' }, usage };
    }
    return { check: { name: 'database', ok: true, detail }, usage };
  } catch (error) {
    return { check: { name: 'database', ok: false, detail: `${path}: ${(error as Error).message}`, hint: 'check that orchd can read it (orchd doctor --data-dir DIR)' }, usage: null };
  } finally {
    db?.close();
  }
}

/** The event log by project, largest first: events, bytes of event data, of which raw output, and compactions. */
export function renderDatabase(usage: DatabaseUsage): string {
  const lines = ['', 'database by project (event data)'];
  if (usage.projects.length === 0) lines.push('      no events yet');
  const label = (p: DatabaseUsage['projects'][number]) => (p.projectId === null ? '(no project)' : `${p.name ?? '(deleted)'} ${p.projectId}`);
  const width = Math.max(0, ...usage.projects.map((p) => label(p).length));
  for (const project of usage.projects) {
    const compacted = project.compactedExecutions ? `; output of ${project.compactedExecutions} execution${project.compactedExecutions === 1 ? '' : 's'} dropped` : '';
    lines.push(
      `      ${label(project).padEnd(width)}  ${formatBytes(project.bytes).padStart(9)} in ${project.events.toLocaleString('en-US')} events (raw output ${formatBytes(project.outputBytes)}${compacted})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Human-readable report. */
export function renderChecks(version: string, checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = [`orchd ${version}`, ''];
  for (const check of checks) {
    lines.push(`${check.ok ? (check.warning ? 'WARN' : 'ok  ') : 'FAIL'}  ${check.name.padEnd(width)}  ${check.detail}`);
    if ((!check.ok || check.warning) && check.hint) lines.push(`      ${' '.repeat(width)}  → ${check.hint}`);
  }
  return `${lines.join('\n')}\n`;
}

const CAPABILITY_NAMES = ['approvals', 'resume', 'fork', 'reset', 'gracefulStop', 'models', 'images', 'mcp'] as const;

/** Why an agent is not usable, in a few words: a CLI whose `--version` timed out or failed is found, not missing. */
function unavailableState(executor: ExecutorInfo): string {
  if (executor.unavailableReason === 'versionTimedOut') return 'found, but `--version` timed out';
  if (executor.unavailableReason === 'versionFailed') return 'found, but `--version` failed';
  return 'not found';
}

/** The agents section: found or not (or too slow to answer), version, how it is driven, what it can do, and what to
 * install or check. */
export function renderExecutors(executors: readonly ExecutorInfo[]): string {
  const width = Math.max(...executors.map((e) => e.id.length));
  const lines = ['', 'agents'];
  for (const executor of executors) {
    const state = executor.available ? `found ${executor.version ?? ''}`.trim() : unavailableState(executor);
    const can = CAPABILITY_NAMES.filter((name) => executor.capabilities[name]).join(', ') || 'none';
    lines.push(`${executor.available ? 'ok  ' : '--  '}  ${executor.id.padEnd(width)}  ${state} — ${executor.displayName}`);
    lines.push(`      ${' '.repeat(width)}  ${executor.protocol}; can: ${can}`);
    if (!executor.available && executor.hint) lines.push(`      ${' '.repeat(width)}  → ${executor.hint}`);
  }
  return `${lines.join('\n')}\n`;
}
