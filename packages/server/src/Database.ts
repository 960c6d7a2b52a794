import { migrateToLatest, openDatabase, storesLayer } from "@releasepassport/adapters"
import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import { Context, Effect, Layer, Schema } from "effect"

export class DatabaseStartupError extends Schema.TaggedError<DatabaseStartupError>()("DatabaseStartupError", {
  message: Schema.String
}) {}

/** The open database of this process. */
export class Database extends Context.Service<Database, SqlDatabase<Tables>>()("@releasepassport/server/Database") {
  /** Opens the database, brings its schema up to date, and closes it with the scope. */
  static readonly layer = (
    url: string,
    options: {
      readonly migrate: boolean
      readonly timeoutMs?: number
      readonly preparedStatements?: boolean
      /** SQLite: WAL checkpoints on a thread of their own, for a long-running server. */
      readonly backgroundCheckpoints?: boolean
    }
  ) =>
    Layer.effect(
      Database,
      Effect.gen(function*() {
        const database = yield* Effect.acquireRelease(
          Effect.tryPromise({
            try: () =>
              openDatabase(url, {
                onIdleError: (message) => Effect.runFork(Effect.logWarning(message)),
                ...(options.backgroundCheckpoints === true ? { backgroundCheckpoints: true } : {}),
                ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
                ...(options.preparedStatements !== undefined ? { preparedStatements: options.preparedStatements } : {})
              }),
            catch: (error) => new DatabaseStartupError({ message: error instanceof Error ? error.message : String(error) })
          }),
          (db) => Effect.promise(() => db.close())
        )
        if (options.migrate) {
          const report = yield* Effect.promise(() => migrateToLatest(database))
          // A database that is not there at start is a failed start, not a retry loop: the
          // process exits non-zero with this one line, and whatever supervises it (Kubernetes,
          // systemd, compose) restarts it with backoff. Readiness stays simple: a running server
          // has a migrated schema. Outages after start are answered 503 and recover by themselves.
          if (report.failed?.unavailable === true) {
            return yield* new DatabaseStartupError({
              message: `cannot reach the database ${database.description} (${report.failed.message}); ` +
                "the server does not start without it: start the database, then start the server again"
            })
          }
          if (report.failed !== undefined) {
            return yield* new DatabaseStartupError({
              message: `migration ${report.failed.migration ?? "(unknown)"} failed on ${database.description}: ${report.failed.message}`
            })
          }
          if (report.applied.length > 0) {
            yield* Effect.logInfo(`applied migrations: ${report.applied.join(", ")}`)
          }
        }
        return database
      })
    )
}

/** Every store port, over the process's database. */
export const StoresLive = Layer.unwrap(Effect.map(Database, storesLayer))
