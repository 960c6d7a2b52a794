import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { existsSync } from "node:fs"
import { databaseFlag, fail } from "./common.ts"

/** What to run where the database cannot copy itself (PostgreSQL). */
export const POSTGRES_BACKUP_STEPS = [
  "PostgreSQL backs up with its own tools, consistently while the server runs:",
  "  pg_dump --format=custom --file=releasepassport.dump \"$RELEASEPASSPORT_DATABASE_URL\"",
  "restore into an empty database, then start the server on it:",
  "  pg_restore --no-owner --dbname=\"$NEW_DATABASE_URL\" releasepassport.dump"
].join("\n")

export const backupCommand = Command.make(
  "backup",
  {
    database: databaseFlag,
    to: Flag.String("to").pipe(Flag.withDescription("File to write the copy to (SQLite); it must not exist yet"))
  },
  Effect.fn(function*(flags) {
    // Never overwrite: a backup that destroys the previous one is a trap.
    if (existsSync(flags.to)) return yield* fail(`--to ${flags.to} already exists; choose a new file`)
    const database = yield* Effect.tryPromise({
      // The adapters (and their drivers) load here, not at start-up.
      try: () => import("@releasepassport/adapters").then(({ openDatabase }) => openDatabase(flags.database)),
      catch: (error) => (error instanceof Error ? error.message : String(error))
    }).pipe(Effect.catch((message) => fail(message)))
    const copy = database.backupTo
    if (copy === undefined) {
      yield* Effect.promise(() => database.close())
      return yield* fail(`${database.description} cannot copy itself.\n${POSTGRES_BACKUP_STEPS}`)
    }
    const result = yield* Effect.tryPromise({
      try: () => copy(flags.to),
      catch: (error) => (error instanceof Error ? error.message : String(error))
    }).pipe(
      Effect.ensuring(Effect.promise(() => database.close())),
      Effect.catch((message) => fail(`backup failed: ${message}`))
    )
    yield* Console.log(`${database.description}: copied ${result.pages} pages to ${flags.to}`)
  })
).pipe(
  Command.withDescription(
    "Copy the database to a new file while the server keeps serving (SQLite online backup; restore by serving the copy). PostgreSQL: prints the pg_dump steps"
  )
)
