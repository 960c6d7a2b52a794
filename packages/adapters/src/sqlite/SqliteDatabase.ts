import type { DatabaseSync, StatementSync } from "node:sqlite"
import { CompiledQuery, Kysely, sql, SqliteAdapter, SqliteDriver, SqliteIntrospector, SqliteQueryCompiler } from "kysely"
import type { DatabaseConnection, Dialect, SqliteDatabase as KyselySqliteDatabase, SqliteStatement } from "kysely"
import type { SqlDatabase, SqlTraits } from "../SqlTraits.ts"

/**
 * Node 22 flags `node:sqlite` as experimental and prints a warning on first load.
 * We use it deliberately (no native addons can be built here), so that one warning is
 * dropped; every other warning still prints. The module is loaded lazily, after the filter.
 */
const loadNodeSqlite = (): typeof import("node:sqlite") => {
  const emitWarning = process.emitWarning
  process.emitWarning = ((warning: string | Error, ...rest: Array<unknown>) => {
    const text = typeof warning === "string" ? warning : warning.message
    if (/SQLite is an experimental feature/i.test(text)) return
    return (emitWarning as (...args: Array<unknown>) => void).call(process, warning, ...rest)
  }) as typeof process.emitWarning
  try {
    return process.getBuiltinModule("node:sqlite") as typeof import("node:sqlite")
  } finally {
    process.emitWarning = emitWarning
  }
}

const STATEMENT_CACHE_SIZE = 256

/**
 * Kysely's SQLite dialect expects better-sqlite3's shape: `all(params)` with an array and
 * a `reader` flag. `node:sqlite` wants parameters spread and has `columns()` instead.
 * Prepared statements are cached by SQL text (bounded), since Kysely prepares per query.
 */
const structural = (db: DatabaseSync): KyselySqliteDatabase => {
  const cache = new Map<string, SqliteStatement>()
  const prepare = (sqlText: string): SqliteStatement => {
    const cached = cache.get(sqlText)
    if (cached !== undefined) return cached
    const statement: StatementSync = db.prepare(sqlText)
    const adapted: SqliteStatement = {
      reader: statement.columns().length > 0,
      all: (parameters) => statement.all(...(parameters as Array<never>)),
      run: (parameters) => statement.run(...(parameters as Array<never>)),
      iterate: (parameters) => statement.iterate(...(parameters as Array<never>)) as IterableIterator<unknown>
    }
    if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
    cache.set(sqlText, adapted)
    return adapted
  }
  return { close: () => db.close(), prepare }
}

/**
 * Write transactions take the write lock up front (`BEGIN IMMEDIATE`): a deferred
 * transaction that upgrades later can fail with SQLITE_BUSY at once when another
 * process (a CLI next to the server) holds the lock, and busy_timeout does not help there.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"))
  }
}

const sqliteTraits: SqlTraits = {
  writableCtes: false,
  label: "sqlite",
  columnTypes: { timestamp: "text", json: "text", binary: "blob" },
  readTimestamp: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  readJson: (value) => (typeof value === "string" ? JSON.parse(value) : value),
  // Timestamps are stored as ISO text in UTC, so the day is its first ten characters.
  utcDay: (column) => sql<string>`substr(${sql.ref(column)}, 1, 10)`,
  jsonRows: (columns, orderBy) =>
    sql<string>`json_group_array(json_object(${sql.join(columns.flatMap((column) => [sql.lit(column), sql.ref(column)]))}) order by ${sql.ref(orderBy)})`,
  // An embedded file cannot go away like a server can; a locked database past the
  // busy timeout is the closest thing, and is worth a retry by the client.
  isUnavailable: (error) => error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message),
  migrationTableSchema: async () => undefined,
  lockForTransaction: async () => undefined,
  lockExpression: undefined,
  notify: async () => undefined
}

export interface SqliteOptions {
  /** File path, or `:memory:`. */
  readonly filename: string
  readonly busyTimeoutMs?: number
  /**
   * Checkpoint the WAL on a thread of its own instead of inside commits (a long-running server;
   * see `backgroundCheckpoints`). Off for the CLI's short-lived connections.
   */
  readonly backgroundCheckpoints?: boolean
}

/** How often the checkpoint thread moves the WAL's frames into the database file. */
const CHECKPOINT_INTERVAL_MS = 250

/**
 * The checkpoint thread: its own connection to the file, a PASSIVE checkpoint every interval
 * (it never waits for, or blocks, the writer or readers), closed when told. CommonJS evaluated
 * as the worker's script, so it needs no file of its own beside the bundle.
 */
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require("node:worker_threads")
const emitWarning = process.emitWarning
process.emitWarning = (warning, ...rest) => /SQLite is an experimental feature/i.test(String(warning && warning.message || warning)) ? undefined : emitWarning.call(process, warning, ...rest)
const { DatabaseSync } = process.getBuiltinModule("node:sqlite")
process.emitWarning = emitWarning
const db = new DatabaseSync(workerData.filename)
db.exec("PRAGMA busy_timeout = 0")
const timer = setInterval(() => {
  try { db.exec("PRAGMA wal_checkpoint(PASSIVE)") } catch {}
}, workerData.intervalMs)
parentPort.on("message", () => { clearInterval(timer); db.close(); parentPort.close() })
parentPort.postMessage("ready")
`

/**
 * By default SQLite checkpoints inside the commit that crosses 1 000 WAL pages: under the gate's
 * load about one commit in 80 took 14-26 ms instead of 70 us, on the event loop, stalling every
 * request in flight (70% of all commit time, and the p99). The server's connection turns that
 * off and a thread with its own connection checkpoints instead. Should that thread die, the
 * connection checkpoints itself again, so the WAL can never grow without bound.
 */
const backgroundCheckpoints = async (raw: DatabaseSync, filename: string): Promise<() => Promise<void>> => {
  const { Worker } = await import("node:worker_threads")
  const worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { filename, intervalMs: CHECKPOINT_INTERVAL_MS } })
  worker.unref()
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve())
    worker.once("error", reject)
  })
  raw.exec("PRAGMA wal_autocheckpoint = 0")
  // Only once it runs: a thread that failed to start leaves the connection as it was (and the
  // caller closes it), so there is nothing to fall back from.
  let closing = false
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()))
  void exited.then(() => {
    if (!closing) raw.exec("PRAGMA wal_autocheckpoint = 1000")
  })
  return async () => {
    closing = true
    worker.postMessage("close")
    const timeout = setTimeout(() => void worker.terminate(), 5000)
    await exited
    clearTimeout(timeout)
  }
}

export const openSqlite = async <DB>(options: SqliteOptions): Promise<SqlDatabase<DB>> => {
  const { DatabaseSync, backup } = loadNodeSqlite()
  const raw = new DatabaseSync(options.filename)
  try {
    raw.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`)
    if (options.filename !== ":memory:") raw.exec("PRAGMA journal_mode = WAL")
    raw.exec("PRAGMA synchronous = NORMAL")
    raw.exec("PRAGMA foreign_keys = ON")
  } catch (error) {
    raw.close()
    throw error
  }
  const config = { database: structural(raw) }
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new ImmediateSqliteDriver(config),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler()
  }
  const db = new Kysely<DB>({ dialect })
  const stopCheckpoints = options.backgroundCheckpoints === true && options.filename !== ":memory:"
    ? await backgroundCheckpoints(raw, options.filename).catch((error: unknown) => {
      raw.close()
      throw error
    })
    : async () => undefined
  return {
    db,
    traits: sqliteTraits,
    description: `sqlite:${options.filename}`,
    // One connection and no query time bound: maintenance runs on it as is.
    withoutTimeouts: (run) => run(db),
    // SQLite's online backup copies pages in steps and restarts when a writer changes one, so
    // the copy is one consistent state even while the server writes.
    backupTo: async (path) => ({ pages: await backup(raw, path) }),
    // The checkpoint thread first: closing the last connection then checkpoints what is left.
    close: async () => {
      await stopCheckpoints()
      await db.destroy()
    }
  }
}
