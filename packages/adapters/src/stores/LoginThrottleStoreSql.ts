import { LoginThrottleStore } from "@releasepassport/core"
import { Effect } from "effect"
import type { SqlRunner } from "./SqlRunner.ts"

export const makeLoginThrottleStore = (sql: SqlRunner): LoginThrottleStore["Service"] => {
  const { readTimestamp } = sql.traits
  const readDate = (value: string | Date | null): Date | undefined =>
    value === null ? undefined : new Date(readTimestamp(value))

  return LoginThrottleStore.of({
    lockedUntil: ({ keys, now }) =>
      keys.length === 0 ? Effect.succeed(undefined) : sql.query((db) =>
        db.selectFrom("login_throttles").select("locked_until").where("key", "in", [...keys])
          .where("locked_until", ">", now.toISOString()).orderBy("locked_until", "desc").limit(1).executeTakeFirst()
      ).pipe(Effect.map((row) => (row === undefined ? undefined : readDate(row.locked_until)))),

    recordFailure: ({ key, rule, now }) =>
      Effect.gen(function*() {
        const nowIso = now.toISOString()
        const windowStart = new Date(now.getTime() - rule.windowMs).toISOString()
        // One statement, so concurrent failures (on any replica) are each counted: a window
        // that has run out starts again at 1.
        const counted = yield* sql.query((db) =>
          db.insertInto("login_throttles").values({ key, failures: 1, window_started_at: nowIso, locked_until: null })
            .onConflict((oc) =>
              oc.column("key").doUpdateSet((eb) => {
                const expired = eb("login_throttles.window_started_at", "<=", windowStart)
                return {
                  failures: eb.case().when(expired).then(eb.lit(1)).else(eb("login_throttles.failures", "+", eb.lit(1)))
                    .end(),
                  window_started_at: eb.case().when(expired).then(eb.ref("excluded.window_started_at"))
                    .else(eb.ref("login_throttles.window_started_at")).end()
                }
              })
            )
            .returning(["failures", "locked_until"])
            .executeTakeFirstOrThrow()
        )
        const failures = Number(counted.failures)
        const current = readDate(counted.locked_until)
        if (failures < rule.maxFailures || (current !== undefined && current > now)) {
          return { failures, lockedUntil: current !== undefined && current > now ? current : undefined }
        }
        const lockedUntil = new Date(now.getTime() + rule.windowMs)
        // Only the failure that reaches the limit sets the lock; later ones do not extend it.
        yield* sql.query((db) =>
          db.updateTable("login_throttles").set({ locked_until: lockedUntil.toISOString() }).where("key", "=", key)
            .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", nowIso)])).execute()
        )
        return { failures, lockedUntil }
      }),

    clear: (key) => sql.query((db) => db.deleteFrom("login_throttles").where("key", "=", key).execute()).pipe(Effect.asVoid),

    prune: ({ before, now }) =>
      sql.query((db) =>
        db.deleteFrom("login_throttles").where("window_started_at", "<", before.toISOString())
          .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now.toISOString())]))
          .executeTakeFirst()
      ).pipe(Effect.map((result) => Number(result.numDeletedRows)))
  })
}
