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

/** A transaction-scoped advisory lock named by text (hashed to the lock's 64-bit key). */
const advisoryLock = (key: string) => sql<unknown>`pg_advisory_xact_lock(hashtextextended(${key}, 0))`

const postgresTraits: SqlTraits = {
  writableCtes: true,
  label: "postgres",
  columnTypes: { timestamp: "timestamptz", json: "jsonb", binary: "bytea" },
  readTimestamp: (value) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()),
  readJson: (value) => (typeof value === "string" ? JSON.parse(value) : value),
  utcDay: (column) => sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD')`,
  // As text: node-postgres would parse a json column on every row it is repeated on.
  jsonRows: (columns, orderBy) =>
    sql<string>`coalesce(json_agg(json_build_object(${sql.join(columns.flatMap((column) => [sql.lit(column), sql.ref(column)]))}) order by ${sql.ref(orderBy)})::text, '[]')`,
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
    await sql`select ${advisoryLock(key)}`.execute(trx)
  },
  lockExpression: (key) => advisoryLock(key),
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
  /**
   * Run statements with parameters as named prepared statements (default true). Turn off for a
   * pooler in transaction mode that does not keep them (PgBouncer before 1.21, or without
   * `max_prepared_statements`); without it the first refused statement turns them off anyway.
   */
  readonly preparedStatements?: boolean
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
 * Names for the statements a pool runs, so that each connection parses a statement once and
 * afterwards only binds and executes it. Unnamed, every one of a gate request's statements was
 * parsed, analysed and planned again by PostgreSQL, on the same two cores as the server.
 *
 * The names are per process and bounded: a statement text gets one (`rp<generation>_<n>`) until
 * `capacity` texts have one; later texts run unnamed, so a caller that builds many texts (IN
 * lists of every length) cannot grow what each connection keeps. Every name is prepared on
 * each connection that runs it, and forgotten with the connection.
 */
export class StatementNames {
  readonly #names = new Map<string, string>()
  #generation = 0
  #enabled = true
  constructor(readonly capacity = 256) {}

  nameOf(text: string): string | undefined {
    if (!this.#enabled) return undefined
    let name = this.#names.get(text)
    if (name === undefined && this.#names.size < this.capacity) {
      name = `rp${this.#generation}_${this.#names.size}`
      this.#names.set(text, name)
    }
    return name
  }

  /**
   * A prepared statement's result columns changed under it (a migration while this server runs:
   * `select *` of a table that gained a column). Every text gets a new name, so each connection
   * prepares it again against the new schema; the old ones go with their connections.
   */
  renew(): void {
    this.#names.clear()
    this.#generation += 1
  }

  /** Something between us and PostgreSQL (a pooler in transaction mode) does not keep them. */
  disable(): void {
    this.#enabled = false
    this.#names.clear()
  }

  get enabled(): boolean {
    return this.#enabled
  }
}

/** PostgreSQL refuses a prepared statement whose result columns changed since it was prepared. */
const isStalePlan = (error: unknown) =>
  codeOf(error) === "0A000" && error instanceof Error && /cached plan must not change result type/.test(error.message)
/** 26000 invalid_sql_statement_name: the statement we prepared is not on the backend we reached. */
const isLostStatement = (error: unknown) => codeOf(error) === "26000"

const TRANSACTION_START = /^\s*(begin|start\s+transaction)\b/i
const TRANSACTION_END = /^\s*(commit|rollback|end)\s*$/i

/**
 * A client that gives up on a connection whose answer did not come in time. `pg` rejects the
 * query after `query_timeout` but keeps the client, still waiting on the lost answer: back in
 * the pool, every later query would queue behind it. Closing the socket makes the pool drop
 * the client, fails the rest of its transaction at once, and lets PostgreSQL roll it back.
 *
 * With `statements`, a query with parameters runs as a named prepared statement. When one is
 * refused because the schema changed or a pooler lost it, the names are renewed (or naming is
 * turned off) and the query is sent again, unnamed or renamed, if no transaction is open (it
 * did not run); inside a transaction that transaction fails, once, and the caller retries.
 */
const boundedClient = (statements: StatementNames | undefined) =>
  class BoundedClient extends pg.Client {
    #inTransaction = false

    override query(...args: Array<any>): any {
      const [text, values] = args
      if (typeof text === "string") {
        if (TRANSACTION_START.test(text)) this.#inTransaction = true
        else if (TRANSACTION_END.test(text)) this.#inTransaction = false
      }
      const name = statements !== undefined && args.length === 2 && typeof text === "string" && Array.isArray(values) && values.length > 0
        ? statements.nameOf(text)
        : undefined
      if (name === undefined) return this.#bounded(args)
      const inTransaction = this.#inTransaction
      return this.#bounded([{ name, text, values }]).catch((error: unknown) => {
        if (isStalePlan(error)) statements!.renew()
        else if (isLostStatement(error)) statements!.disable()
        else throw error
        if (inTransaction) throw error
        const again = statements!.nameOf(text)
        return this.#bounded(again === undefined ? [text, values] : [{ name: again, text, values }])
      })
    }

    #bounded(args: Array<any>): any {
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
    Client: boundedClient(options.preparedStatements === false ? undefined : new StatementNames()),
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
