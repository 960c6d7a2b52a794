import { Context, Effect, Layer } from "effect"
import { sql } from "kysely"
import type { SqlDatabase } from "@releasepassport/adapters"

/** Whether the database answers a trivial query right now. */
export class DatabaseHealth extends Context.Service<DatabaseHealth, {
  readonly ping: Effect.Effect<boolean>
}>()("@releasepassport/server/DatabaseHealth") {
  static readonly layer = (database: SqlDatabase<any>) =>
    Layer.succeed(DatabaseHealth, {
      ping: Effect.tryPromise(() => sql`select 1`.execute(database.db)).pipe(
        Effect.timeout("2 seconds"),
        Effect.as(true),
        Effect.orElseSucceed(() => false)
      )
    })
}
