// Event filters: match in memory (live path) and as SQL (catch-up path), with the same meaning.
import type { Event, EventFilter } from '../../protocol/events.js';

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
  return scopeMatches(event.kind, event, filter);
}

/** `matchesFilter` for an event known by its kind and scope ids (a live event before it is an object). */
export function scopeMatches(kind: string, scope: { readonly [K in ScopeKey]?: string | null | undefined }, filter: EventFilter): boolean {
  for (const key of SCOPE_KEYS) {
    const wanted = filter[key];
    if (wanted !== undefined && (scope[key] ?? undefined) !== wanted) return false;
  }
  if (filter.kinds) return filter.kinds.some((pattern) => kindMatches(kind, pattern));
  return true;
}

/** True when `kind` equals the pattern or sits under a `prefix/*` pattern. */
export function kindMatches(kind: string, pattern: string): boolean {
  if (pattern.endsWith('/*')) return kind.startsWith(pattern.slice(0, -1));
  return kind === pattern;
}

/** The filter as a SQL condition on the events table (`1` when it selects everything) and its parameters. */
export function filterSql(filter: EventFilter): { where: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  for (const key of SCOPE_KEYS) {
    const wanted = filter[key];
    if (wanted !== undefined) {
      parts.push(`${SCOPE_COLUMNS[key]} = ?`);
      params.push(wanted);
    }
  }
  if (filter.kinds) {
    const kindParts: string[] = [];
    for (const pattern of filter.kinds) {
      // substr comparison instead of LIKE: kinds may contain `_`, which LIKE treats as a wildcard.
      if (pattern.endsWith('/*')) {
        const prefix = pattern.slice(0, -1);
        kindParts.push(`substr(kind, 1, ${prefix.length}) = ?`);
        params.push(prefix);
      } else {
        kindParts.push('kind = ?');
        params.push(pattern);
      }
    }
    parts.push(kindParts.length ? `(${kindParts.join(' or ')})` : '0');
  }
  return { where: parts.length ? parts.join(' and ') : '1', params };
}
