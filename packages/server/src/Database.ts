import { migrateToLatest, openDatabase, storesLayer } from "@releasepassport/adapters"
import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import { Context, Effect, Layer, Schema } from "effect"

export class DatabaseStartupError extends Schema.TaggedError<DatabaseStartupError>()("DatabaseStartupError", {
  message: Schema.String
}) {}

/** The open database of this process. */
export class Database extends Context.Service<Database, SqlDatabase<Tables>>()("@releasepassport/server/Database") {
  /** Opens the database, brings its schema up to date, and closes it with the scope. */
  static readonly layer = (url: string, options: { readonly migrate: boolean }) =>
    Layer.effect(
      Database,
      Effect.gen(function*() {
        const database = yield* Effect.acquireRelease(
          Effect.tryPromise({
            try: () =>
              openDatabase(url, {
                onIdleError: (message) => Effect.runFork(Effect.logWarning(message))
              }),
            catch: (error) => new DatabaseStartupError({ message: error instanceof Error ? error.message : String(error) })
          }),
          (db) => Effect.promise(() => db.close())
        )
        if (options.migrate) {
          const report = yield* Effect.promise(() => migrateToLatest(database))
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
