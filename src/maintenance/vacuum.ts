// Handing freed database pages back to the file system: incremental auto-vacuum in small steps, so writers get the
// database between them; a database still in auto_vacuum NONE is switched over once with a full VACUUM.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import type { Engine } from '../engine.js';

/** Pages freed per incremental_vacuum step (4 MB at the default 4 KB page). */
const PAGES_PER_STEP = 1024;

/** The database's size: page count × page size (the main file once the WAL is checkpointed). */
export function databaseBytes(sqlite: BetterSqlite3.Database): number {
  const pages = sqlite.pragma('page_count', { simple: true }) as number;
  const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
  return pages * pageSize;
}

/**
 * Return the free pages to the file system. `incremental`: PRAGMA incremental_vacuum, step by step. `full`: the
 * database was still in auto_vacuum NONE (migration 0006 could not VACUUM it), so it is switched to INCREMENTAL with
 * one VACUUM, which also frees every page. Ends with a passive WAL checkpoint on the daemon's connection (the checkpoint
 * thread held off meanwhile), which shrinks the main file.
 */
export async function reclaimFreePages(engine: Engine): Promise<'incremental' | 'full'> {
  const { sqlite } = engine.store;
  let mode: 'incremental' | 'full' = 'incremental';
  await exclusively(engine, () => {
    if ((sqlite.pragma('auto_vacuum', { simple: true }) as number) !== 0) return;
    sqlite.pragma('auto_vacuum = incremental');
    sqlite.exec('vacuum');
    mode = 'full';
  });
  for (;;) {
    const free = await exclusively(engine, () => {
      sqlite.pragma(`incremental_vacuum(${PAGES_PER_STEP})`);
      return sqlite.pragma('freelist_count', { simple: true }) as number;
    });
    if (free === 0) break;
    await nextTurn();
  }
  // On the daemon's connection, with the checkpoint thread held off (see WalCheckpointer.holdWhile).
  await engine.checkpointer.holdWhile(() => exclusively(engine, () => sqlite.pragma('wal_checkpoint(PASSIVE)')));
  return mode;
}

/** Run `work` synchronously on the raw handle while Kysely's connection is ours and no transaction is open on it
 * (VACUUM refuses to run inside one; incremental_vacuum must not join someone else's). */
async function exclusively<T>(engine: Engine, work: () => T): Promise<T> {
  return engine.store.db.connection().execute(async () => {
    while (engine.store.sqlite.inTransaction) await nextTurn();
    return work();
  });
}
