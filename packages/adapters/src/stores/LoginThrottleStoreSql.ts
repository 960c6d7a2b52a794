import { LoginThrottleStore } from "@releasepassport/core"
import { Effect } from "effect"
import type { SqlRunner } from "./SqlRunner.ts"

export const makeLoginThrottleStore = (sql: SqlRunner): LoginThrottleStore["Service"] => {
  const { readTimestamp } = sql.traits
  const readDate = (value: string | Date | null): Date | undefined =>
    value === null ? undefined : new Date(readTimestamp(value))

  return LoginThrottleStore.of({
    reserveAttempt: ({ key, rule, now }) =>
      Effect.gen(function*() {
        const nowIso = now.toISOString()
        const windowStart = new Date(now.getTime() - rule.windowMs).toISOString()
        const lockIso = new Date(now.getTime() + rule.windowMs).toISOString()
        // Count, reset and lock in one upsert: the row is locked for its update (PostgreSQL) or
        // the write takes its turn (SQLite), so concurrent attempts on any replica each get
        // their own count and no two decide on the same one.
        const counted = yield* sql.query((db) =>
          db.insertInto("login_throttles").values({ key, failures: 1, window_started_at: nowIso, locked_until: null })
            .onConflict((oc) =>
              oc.column("key").doUpdateSet((eb) => {
                const unlocked = eb.or([
                  eb("login_throttles.locked_until", "is", null),
                  eb("login_throttles.locked_until", "<=", nowIso)
                ])
                const fresh = eb.and([eb("login_throttles.window_started_at", "<=", windowStart), unlocked])
                const overLimit = eb(eb("login_throttles.failures", "+", eb.lit(1)), ">", eb.val(rule.maxFailures))
                return {
                  failures: eb.case().when(fresh).then(eb.lit(1)).else(eb("login_throttles.failures", "+", eb.lit(1))).end(),
                  window_started_at: eb.case().when(fresh).then(eb.ref("excluded.window_started_at"))
                    .else(eb.ref("login_throttles.window_started_at")).end(),
                  // The first attempt over the limit locks; later ones do not extend the lock.
                  locked_until: eb.case().when(fresh).then(eb.lit(null))
                    .when(eb.and([overLimit, unlocked])).then(eb.val(lockIso))
                    .else(eb.ref("login_throttles.locked_until")).end()
                }
              })
            )
            .returning(["failures", "locked_until"])
            .executeTakeFirstOrThrow()
        )
        const attempts = Number(counted.failures)
        const lock = readDate(counted.locked_until)
        const lockedUntil = lock !== undefined && lock > now ? lock : undefined
        const allowed = lockedUntil === undefined && attempts <= rule.maxFailures
        return { attempts, allowed, lockedUntil: allowed ? undefined : lockedUntil ?? new Date(lockIso) }
      }),

    release: (key) =>
      sql.query((db) =>
        db.updateTable("login_throttles").set((eb) => ({ failures: eb("failures", "-", eb.lit(1)) }))
          .where("key", "=", key).where("failures", ">", 0).execute()
      ).pipe(Effect.asVoid),

    clear: (key) => sql.query((db) => db.deleteFrom("login_throttles").where("key", "=", key).execute()).pipe(Effect.asVoid),

    prune: ({ before, now }) =>
      sql.query((db) =>
        db.deleteFrom("login_throttles").where("window_started_at", "<", before.toISOString())
          .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now.toISOString())]))
          .executeTakeFirst()
      ).pipe(Effect.map((result) => Number(result.numDeletedRows)))
  })
}
