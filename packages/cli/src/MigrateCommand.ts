import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { databaseFlag, fail } from "./common.ts"

export const migrateCommand = Command.make(
  "migrate",
  { database: databaseFlag },
  Effect.fn(function*(flags) {
    const { migrateToLatest, openDatabase } = yield* Effect.promise(() => import("@releasepassport/adapters"))
    const database = yield* Effect.tryPromise({
      try: () => openDatabase(flags.database),
      catch: (error) => (error instanceof Error ? error.message : String(error))
    }).pipe(Effect.catch((message) => fail(message)))
    const report = yield* Effect.promise(() => migrateToLatest(database)).pipe(
      Effect.ensuring(Effect.promise(() => database.close()))
    )
    if (report.failed?.unavailable === true) {
      return yield* fail(`cannot reach the database ${database.description} (${report.failed.message})`)
    }
    if (report.failed !== undefined) {
      return yield* fail(`migration ${report.failed.migration ?? "(unknown)"} failed: ${report.failed.message}`)
    }
    yield* Console.log(
      report.applied.length === 0
        ? `${database.description}: schema is up to date`
        : `${database.description}: applied ${report.applied.join(", ")}`
    )
  })
).pipe(Command.withDescription("Bring the database schema up to date (serve also does this on start)"))
