// Event filters: match in memory (live path) and as SQL (catch-up path), with the same meaning.
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Event, EventFilter } from '../../protocol/events.js';
import type { Database } from '../store/schema.js';

const SCOPE_COLUMNS = {
  projectId: 'project_id',
  taskId: 'task_id',
  workspaceId: 'workspace_id',
  sessionId: 'session_id',
  executionId: 'execution_id',
} as const;

type ScopeKey = keyof typeof SCOPE_COLUMNS;
const SCOPE_KEYS = Object.keys(SCOPE_COLUMNS) as ScopeKey[];

/** True when the event passes the filter: every given scope equal, and the kind listed or under a listed `prefix/*`. */
export function matchesFilter(event: Event, filter: EventFilter): boolean {
  for (const key of SCOPE_KEYS) {
    const wanted = filter[key];
    if (wanted !== undefined && event[key] !== wanted) return false;
  }
  if (filter.kinds) return filter.kinds.some((pattern) => kindMatches(event.kind, pattern));
  return true;
}

/** True when `kind` equals the pattern or sits under a `prefix/*` pattern. */
export function kindMatches(kind: string, pattern: string): boolean {
  if (pattern.endsWith('/*')) return kind.startsWith(pattern.slice(0, -1));
  return kind === pattern;
}

/** The filter as a SQL condition on the events table. */
export function filterCondition(eb: ExpressionBuilder<Database, 'events'>, filter: EventFilter): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [];
  for (const key of SCOPE_KEYS) {
    const wanted = filter[key];
    if (wanted !== undefined) parts.push(eb(SCOPE_COLUMNS[key], '=', wanted));
  }
  if (filter.kinds) {
    const exact = filter.kinds.filter((k) => !k.endsWith('/*'));
    const prefixes = filter.kinds.filter((k) => k.endsWith('/*')).map((k) => k.slice(0, -1));
    const kindParts: Expression<SqlBool>[] = [];
    if (exact.length) kindParts.push(eb('kind', 'in', exact));
    // substr comparison instead of LIKE: kinds may contain `_`, which LIKE treats as a wildcard.
    for (const prefix of prefixes) kindParts.push(sql<SqlBool>`substr(kind, 1, ${prefix.length}) = ${prefix}`);
    parts.push(eb.or(kindParts));
  }
  return eb.and(parts);
}

/** True when the filter selects everything. */
export function isEmptyFilter(filter: EventFilter): boolean {
  return filter.kinds === undefined && SCOPE_KEYS.every((key) => filter[key] === undefined);
}
