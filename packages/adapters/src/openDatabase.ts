import { openPostgres } from "./postgres/PostgresDatabase.ts"
import type { Tables } from "./schema.ts"
import { openSqlite } from "./sqlite/SqliteDatabase.ts"
import type { SqlDatabase } from "./SqlTraits.ts"

export class DatabaseUrlError extends Error {
  override readonly name = "DatabaseUrlError"
}

export interface OpenDatabaseOptions {
  readonly onIdleError?: (message: string) => void
  readonly maxConnections?: number
  /** PostgreSQL: how long a request waits on the database before it counts as unavailable. */
  readonly timeoutMs?: number
  /** PostgreSQL: named prepared statements (default true); see PostgresOptions. */
  readonly preparedStatements?: boolean
  /** SQLite: checkpoint the WAL on a thread of its own, not in commits (a server; see SqliteOptions). */
  readonly backgroundCheckpoints?: boolean
}

/**
 * Opens the database a URL names:
 * - `sqlite:./releasepassport.db`, `sqlite:/var/lib/rp.db`, `sqlite::memory:` (embedded default)
 * - `postgres://user@host:5432/db` or `postgresql://…` (production, several replicas)
 */
export const openDatabase = (url: string, options: OpenDatabaseOptions = {}): Promise<SqlDatabase<Tables>> => {
  if (url.startsWith("sqlite:")) {
    const filename = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "")
    if (filename === "") throw new DatabaseUrlError("sqlite URL needs a file: sqlite:./releasepassport.db")
    return openSqlite<Tables>({ filename, ...(options.backgroundCheckpoints === true ? { backgroundCheckpoints: true } : {}) })
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    return openPostgres<Tables>({
      connectionString: url,
      ...(options.onIdleError !== undefined ? { onIdleError: options.onIdleError } : {}),
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.preparedStatements !== undefined ? { preparedStatements: options.preparedStatements } : {})
    })
  }
  throw new DatabaseUrlError(
    `unsupported database URL (expected sqlite:<file> or postgres://…): ${url.split(":")[0] ?? ""}:…`
  )
}
