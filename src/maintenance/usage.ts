// How much of the database each project's events take: for `orchd doctor` and `orchd gc`.
import type BetterSqlite3 from 'better-sqlite3';

export interface ProjectUsage {
  /** Null for events that belong to no project (lifecycle, reconciliation). */
  projectId: string | null;
  /** The project's name; null when it was deleted (its events stay in the log) or for events of no project. */
  name: string | null;
  events: number;
  /** Bytes of event data (octet_length of the JSON). */
  bytes: number;
  /** Of which raw output (`execution/output`). */
  outputBytes: number;
  /** Executions whose output retention dropped (tombstones). */
  compactedExecutions: number;
}

export interface DatabaseUsage {
  /** Page count × page size. */
  bytes: number;
  /** Bytes in free pages, which an incremental vacuum would return to the file system. */
  freeBytes: number;
  autoVacuum: 'none' | 'full' | 'incremental';
  projects: ProjectUsage[];
}

const AUTO_VACUUM = ['none', 'full', 'incremental'] as const;

/** Sizes of the database and of each project's events, largest first. Reads every event row: meant for maintenance. */
export function databaseUsage(sqlite: BetterSqlite3.Database): DatabaseUsage {
  const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
  const pages = sqlite.pragma('page_count', { simple: true }) as number;
  const free = sqlite.pragma('freelist_count', { simple: true }) as number;
  const mode = sqlite.pragma('auto_vacuum', { simple: true }) as number;
  const rows = sqlite
    .prepare(
      `select e.project_id as projectId, p.name as name, count(*) as events, coalesce(sum(octet_length(e.data)), 0) as bytes,
         coalesce(sum(case when e.kind = 'execution/output' then octet_length(e.data) else 0 end), 0) as outputBytes,
         sum(e.kind = 'events/compacted') as compactedExecutions
       from events e left join projects p on p.id = e.project_id
       group by e.project_id order by bytes desc`,
    )
    .all() as ProjectUsage[];
  return { bytes: pages * pageSize, freeBytes: free * pageSize, autoVacuum: AUTO_VACUUM[mode] ?? 'none', projects: rows };
}

/** Bytes for people: `512 B`, `3.4 KB`, `12.0 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
