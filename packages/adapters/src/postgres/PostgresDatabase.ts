import { Kysely, PostgresDialect, sql } from "kysely"
import pg from "pg"
import type { SqlDatabase, SqlTraits } from "../SqlTraits.ts"

// SQLSTATE classes that mean "the server is not there right now" rather than "your query is wrong":
// 08 connection exception, 57P01-57P03 admin shutdown / crash shutdown / cannot connect now.
const UNAVAILABLE_SQLSTATE = /^(08|57P0[123]|53300)/
const UNAVAILABLE_ERRNO = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN"])

const codeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined

const postgresTraits: SqlTraits = {
  label: "postgres",
  columnTypes: { timestamp: "timestamptz", json: "jsonb", binary: "bytea" },
  readTimestamp: (value) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()),
  readJson: (value) => (typeof value === "string" ? JSON.parse(value) : value),
  utcDay: (column) => sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD')`,
  isUnavailable: (error) => {
    const code = codeOf(error)
    if (code !== undefined && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true
    return error instanceof Error &&
      /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Query read timeout/i
        .test(error.message)
  },
  // With a search_path other than the default (one schema per tenant or per test), Kysely's
  // migrator must be told the schema: it checks for its bookkeeping tables across every schema
  // of the database, so another schema's `kysely_migration` would be taken for ours.
  migrationTableSchema: async (db) => {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)
    return rows[0]?.schema ?? undefined
  },
  lockForTransaction: async (trx, key) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx)
  },
  notify: async (trx, channel, payload) => {
    await sql`select pg_notify(${channel}, ${payload})`.execute(trx)
  }
}

/** `application_name` of a server's LISTEN connection: `releasepassport-listen:<pid>`. */
export const listenerName = (): string => `releasepassport-listen:${process.pid}`

const LISTEN_RETRY_MIN_MS = 500
const LISTEN_RETRY_MAX_MS = 30_000

/**
 * LISTEN on one connection of its own (a pooled one would be handed to queries and lose the
 * subscription). When it breaks (a restart, a failover, a proxy that cut it) it is replaced after
 * a backoff, doubling up to 30 s; each time it listens again `onConnected` runs so the caller can
 * catch up on what it missed. A pooler in transaction mode cannot LISTEN: the caller's polling
 * still covers it.
 */
const listenOn = (connectionString: string, timeoutMs: number): NonNullable<SqlDatabase<unknown>["listen"]> =>
  ({ channel, onNotify, onConnected, onProblem }) => {
    let closed = false
    let client: pg.Client | undefined
    let retry: NodeJS.Timeout | undefined
    let delay = LISTEN_RETRY_MIN_MS
    const again = (why: string) => {
      if (closed || retry !== undefined) return
      onProblem(`listening for ${channel} stopped (${why}); reconnecting in ${delay} ms`)
      const broken = client
      client = undefined
      void broken?.end().catch(() => undefined)
      retry = setTimeout(() => {
        retry = undefined
        void connect()
      }, delay)
      retry.unref()
      delay = Math.min(delay * 2, LISTEN_RETRY_MAX_MS)
    }
    const connect = async () => {
      // Named, so an operator (or a test) can tell this process's listener in pg_stat_activity.
      const next = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs, keepAlive: true, application_name: listenerName() })
      client = next
      next.on("error", (error) => again(error.message))
      next.on("end", () => again("connection ended"))
      next.on("notification", (message) => {
        if (message.channel === channel && message.payload !== undefined) onNotify(message.payload)
      })
      try {
        await next.connect()
        await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
      } catch (error) {
        if (client === next) again(error instanceof Error ? error.message : String(error))
        return
      }
      if (closed) return void next.end().catch(() => undefined)
      delay = LISTEN_RETRY_MIN_MS
      onConnected()
    }
    void connect()
    return {
      close: async () => {
        closed = true
        clearTimeout(retry)
        const last = client
        client = undefined
        await last?.end().catch(() => undefined)
      }
    }
  }

export interface PostgresOptions {
  readonly connectionString: string
  readonly maxConnections?: number
  /**
   * How long a request waits on the database before it counts as unavailable (a 503): both
   * for a pooled connection (connecting, or waiting for a free one) and for each query's answer.
   */
  readonly timeoutMs?: number
  /** Called with a description (no secrets) when an idle client errors; the pool replaces it. */
  readonly onIdleError?: (message: string) => void
}

/** Describes a connection string without its password. */
export const redactConnectionString = (connectionString: string): string => {
  try {
    const url = new URL(connectionString)
    if (url.password !== "") url.password = "***"
    return url.toString()
  } catch {
    return "postgres://(unparseable url)"
  }
}

const DEFAULT_DATABASE_TIMEOUT_MS = 5000

/**
 * A client that gives up on a connection whose answer did not come in time. `pg` rejects the
 * query after `query_timeout` but keeps the client, still waiting on the lost answer: back in
 * the pool, every later query would queue behind it. Closing the socket makes the pool drop
 * the client, fails the rest of its transaction at once, and lets PostgreSQL roll it back.
 */
class BoundedClient extends pg.Client {
  override query(...args: Array<any>): any {
    const result = (super.query as (...a: Array<any>) => any)(...args)
    if (result !== undefined && typeof result.then === "function") {
      result.then(undefined, (error: unknown) => {
        if (error instanceof Error && error.message === "Query read timeout") {
          ;(this as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy()
        }
      })
    }
    return result
  }
}

/**
 * Without these handlers a server restart or failover emits 'error' on a client and the
 * process crashes. The pool drops the broken client; the next query reconnects.
 */
const handleClientErrors = (pool: pg.Pool, onIdleError: ((message: string) => void) | undefined) => {
  pool.on("error", (error) => onIdleError?.(`idle PostgreSQL client error: ${error.message}`))
  pool.on("connect", (client) => {
    client.on("error", () => {
      // A client checked out when its connection breaks: the query it runs fails (a 503) and
      // the pool drops it on release. Here only so that the event does not crash the process.
    })
  })
}

export const openPostgres = async <DB>(options: PostgresOptions): Promise<SqlDatabase<DB>> => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    // Bounds waiting for a connection; a database that refuses connections fails at once.
    connectionTimeoutMillis: timeoutMs,
    // Bounds waiting for an answer on a connection already open, for a database that vanished
    // without closing it (network partition, hard crash): without it such a query waits for
    // the kernel's TCP timeout, minutes. Request-path queries take milliseconds.
    query_timeout: timeoutMs,
    Client: BoundedClient,
    // Lets the kernel notice a dead peer on idle pooled connections. (No server-side session
    // settings here: they travel as startup parameters, which poolers such as PgBouncer refuse.)
    keepAlive: true,
    idleTimeoutMillis: 30_000
  })
  handleClientErrors(pool, options.onIdleError)
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    traits: postgresTraits,
    description: redactConnectionString(options.connectionString),
    // Migrations may legitimately run long (an index on a big table) or wait on the migration
    // lock while another replica migrates: they get connections of their own, without the
    // per-query bound, closed when done.
    withoutTimeouts: async (run) => {
      const maintenancePool = new pg.Pool({ connectionString: options.connectionString, max: 2, connectionTimeoutMillis: timeoutMs })
      handleClientErrors(maintenancePool, options.onIdleError)
      const maintenance = new Kysely<DB>({ dialect: new PostgresDialect({ pool: maintenancePool }) })
      try {
        return await run(maintenance)
      } finally {
        await maintenance.destroy()
      }
    },
    listen: listenOn(options.connectionString, timeoutMs),
    close: () => db.destroy(),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 })
  }
}
