// better-sqlite3 compiles a statement on every prepare(); Kysely prepares on every query. Caching prepared
// statements by SQL text removes most of a small query's cost. Safe: Kysely's SQLite driver runs one query at a time.
import type BetterSqlite3 from 'better-sqlite3';

const MAX_STATEMENTS = 500;

/** A database handle whose prepare() reuses statements for the same SQL. */
export function withStatementCache(database: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = database.prepare.bind(database);
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property === 'prepare') {
        return (source: string) => {
          let statement = cache.get(source);
          if (!statement) {
            statement = prepare(source);
            if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
            cache.set(source, statement);
          }
          return statement;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const statements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/**
 * A prepared statement for this SQL on the raw handle, compiled once: for the hot reads that skip Kysely (event
 * pages, `project/list`). `raw` statements return rows as arrays; the key includes it, so both kinds can coexist.
 */
export function cachedStatement(sqlite: BetterSqlite3.Database, source: string, raw = false): BetterSqlite3.Statement {
  let cache = statements.get(sqlite);
  if (!cache) statements.set(sqlite, (cache = new Map()));
  const key = raw ? `raw:${source}` : source;
  let prepared = cache.get(key);
  if (!prepared) {
    prepared = sqlite.prepare(source);
    if (raw) prepared.raw(true);
    if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
    cache.set(key, prepared);
  }
  return prepared;
}
