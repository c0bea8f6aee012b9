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
