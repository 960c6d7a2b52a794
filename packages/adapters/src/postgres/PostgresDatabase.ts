import { Kysely, PostgresDialect } from "kysely"
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
  columnTypes: { timestamp: "timestamptz", json: "jsonb" },
  readTimestamp: (value) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()),
  readJson: (value) => (typeof value === "string" ? JSON.parse(value) : value),
  isUniqueViolation: (error) => codeOf(error) === "23505",
  isUnavailable: (error) => {
    const code = codeOf(error)
    if (code !== undefined && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true
    return error instanceof Error &&
      /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i
        .test(error.message)
  }
}

export interface PostgresOptions {
  readonly connectionString: string
  readonly maxConnections?: number
  /** How long a request waits for a pooled connection before the database counts as unavailable. */
  readonly connectionTimeoutMs?: number
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

export const openPostgres = async <DB>(options: PostgresOptions): Promise<SqlDatabase<DB>> => {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000
  })
  // Without these handlers a server restart or failover emits 'error' on an idle client
  // and the process crashes. The pool drops the broken client; the next query reconnects.
  pool.on("error", (error) => options.onIdleError?.(`idle PostgreSQL client error: ${error.message}`))
  pool.on("connect", (client) => {
    client.on("error", () => {
      // Reported through the pool handler above; here only to keep the process alive.
    })
  })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    traits: postgresTraits,
    description: redactConnectionString(options.connectionString),
    close: () => db.destroy()
  }
}
