import type { Kysely, RawBuilder } from "kysely"

/**
 * What differs between the SQL databases we support, asked for as capabilities.
 * Shared code (stores, migrations) calls these; it never branches on a dialect's name.
 */
export interface SqlTraits {
  /** For messages and logs only. */
  readonly label: string
  /**
   * Data-modifying CTEs (`with t as (update …) insert …`): several writes in one statement, one
   * round trip where each statement is one (PostgreSQL). SQLite has none, and its statements
   * cost no round trip.
   */
  readonly writableCtes: boolean
  /** Column types for the migrations. */
  readonly columnTypes: {
    readonly timestamp: "timestamptz" | "text"
    readonly json: "jsonb" | "text"
    readonly binary: "bytea" | "blob"
  }
  /** Timestamps come back as Date (PostgreSQL) or ISO text (SQLite); we hand out ISO text. */
  readonly readTimestamp: (value: unknown) => string
  /** The UTC calendar day (YYYY-MM-DD) of a timestamp column, for counting per day in SQL. */
  readonly utcDay: (column: string) => RawBuilder<string>
  /**
   * An aggregate: the rows' `columns` as the text of one JSON array of objects keyed by column
   * name, in `orderBy`'s order, "[]" for no rows. Lets one statement bring a table's few rows
   * beside another's. Timestamps come out as the database writes them in JSON (ISO text with an
   * offset on PostgreSQL), which `readTimestamp` reads.
   */
  readonly jsonRows: (columns: ReadonlyArray<string>, orderBy: string) => RawBuilder<string>
  /** JSON comes back parsed (jsonb) or as text. */
  readonly readJson: (value: unknown) => unknown
  /** The database is out of reach (down, restarting, failing over): a 503, not a 500. */
  readonly isUnavailable: (error: unknown) => boolean
  /** The schema the migrator keeps its bookkeeping tables in, when the dialect has schemas. */
  readonly migrationTableSchema: (db: Kysely<any>) => Promise<string | undefined>
  /**
   * Holds a lock named `key` until the transaction ends, so that writers of one thing take turns
   * instead of interleaving row locks (PostgreSQL: an advisory lock). Nothing on SQLite, whose
   * write transactions already take turns.
   */
  readonly lockForTransaction: (trx: Kysely<any>, key: string) => Promise<void>
  /**
   * The same lock as an expression, to select in a statement the transaction runs anyway: taken
   * when that statement runs, one round trip fewer than `lockForTransaction`. Undefined where
   * there is no such lock to take (SQLite).
   */
  readonly lockExpression: ((key: string) => RawBuilder<unknown>) | undefined
  /**
   * Tells every listener on `channel` (see `SqlDatabase.listen`) once the transaction commits,
   * with `payload`; nothing if it rolls back (PostgreSQL: `pg_notify`). Nothing on SQLite, which
   * has no listeners: readers there poll.
   */
  readonly notify: (trx: Kysely<any>, channel: string, payload: string) => Promise<void>
}

/** What a pointer change of a workspace is announced on (payload: the workspace id). */
export const POLICY_CHANGES_CHANNEL = "releasepassport_policy_changes"

/** A subscription to a notification channel; `close` ends it. */
export interface Listening {
  readonly close: () => Promise<void>
}

/** An open database: the Kysely instance, its traits, and how to close it. */
export interface SqlDatabase<DB> {
  readonly db: Kysely<DB>
  readonly traits: SqlTraits
  /** A short description safe to print (no password). */
  readonly description: string
  /**
   * Runs long maintenance work (migrations) without the time bound that request queries have,
   * on connections of its own where the database has a pool.
   */
  readonly withoutTimeouts: <A>(run: (db: Kysely<DB>) => Promise<A>) => Promise<A>
  /**
   * Copies the whole database to a new file, consistently while it keeps serving, where the
   * database can do that itself (SQLite's online backup). Absent: use the database's own tools
   * (PostgreSQL: `pg_dump`).
   */
  readonly backupTo?: (path: string) => Promise<{ readonly pages: number }>
  readonly close: () => Promise<void>
  /**
   * Where the database can push notifications (PostgreSQL LISTEN): calls `onNotify` with each
   * payload sent on `channel`, on one dedicated connection that reconnects by itself (with
   * backoff) when it breaks; `onConnected` runs each time it is listening again, since what was
   * sent meanwhile is lost. Absent: poll.
   */
  readonly listen?: (options: {
    readonly channel: string
    readonly onNotify: (payload: string) => void
    readonly onConnected: () => void
    readonly onProblem: (message: string) => void
  }) => Listening
  /** Where the database has a connection pool: its state now, for metrics. */
  readonly poolStats?: () => PoolStats
}

export interface PoolStats {
  /** Connections open (idle or in use). */
  readonly total: number
  readonly idle: number
  /** Requests waiting for a connection. */
  readonly waiting: number
  readonly max: number
}
