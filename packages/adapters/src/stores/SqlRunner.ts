import { StoreUnavailable } from "@releasepassport/core"
import { Effect, Exit } from "effect"
import type { Kysely, Transaction } from "kysely"
import type { SqlDatabase, SqlTraits } from "../SqlTraits.ts"
import type { Tables } from "../schema.ts"

export type Db = Kysely<Tables>

/**
 * Runs Kysely queries as Effects. A database that is out of reach becomes
 * `StoreUnavailable` (a 503 for clients); anything else is a defect (a 500, logged).
 */
export interface SqlRunner {
  readonly traits: SqlTraits
  readonly db: Db
  readonly query: <A>(run: (db: Db) => Promise<A>) => Effect.Effect<A, StoreUnavailable>
  /** Like `query`, for work inside a transaction. */
  readonly attempt: <A>(run: () => Promise<A>) => Effect.Effect<A, StoreUnavailable>
  /**
   * Runs `body` in a transaction: committed when it succeeds, rolled back when it fails,
   * dies or is interrupted.
   */
  readonly transaction: <A, E>(body: (trx: Transaction<Tables>) => Effect.Effect<A, E>) => Effect.Effect<
    A,
    E | StoreUnavailable
  >
}

export const makeSqlRunner = (database: SqlDatabase<Tables>): SqlRunner => {
  const { traits, db } = database
  const attempt = <A>(run: () => Promise<A>): Effect.Effect<A, StoreUnavailable> =>
    Effect.tryPromise({ try: run, catch: (error) => error }).pipe(
      Effect.catch((error) =>
        traits.isUnavailable(error)
          ? Effect.fail(new StoreUnavailable({ message: `${traits.label} is unavailable` }))
          : Effect.die(error)
      )
    )
  const query = <A>(run: (db: Db) => Promise<A>) => attempt(() => run(db))

  const transaction = <A, E>(body: (trx: Transaction<Tables>) => Effect.Effect<A, E>) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const trx = yield* attempt(() => db.startTransaction().execute())
        const exit = yield* Effect.exit(restore(body(trx)))
        if (Exit.isSuccess(exit)) {
          yield* attempt(() => trx.commit().execute()).pipe(
            Effect.tapCause(() => Effect.promise(() => trx.rollback().execute().catch(() => undefined)))
          )
          return exit.value
        }
        yield* Effect.promise(() => trx.rollback().execute().catch(() => undefined))
        return yield* Effect.failCause(exit.cause)
      })
    )

  return { traits, db, query, attempt, transaction }
}

/** Counts come back as strings from `pg` (bigint) and as numbers from SQLite. */
export const toCount = (value: unknown): number => Number(value ?? 0)
