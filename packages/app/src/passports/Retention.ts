import { PassportStore } from "@releasepassport/core"
import type { StoreUnavailable } from "@releasepassport/core"
import { Clock, Context, Effect, Layer } from "effect"

/** Small enough that one delete never holds SQLite's write lock long enough to delay a gate. */
const BATCH = 200

/**
 * Forgets old gate evaluations (`--retain-evaluations`), a batch at a time with a pause in
 * between so the gate's writes interleave. The evaluation each passport's stamp points at is
 * never deleted: a passport always shows its latest verdict per environment.
 */
export class Retention extends Context.Service<Retention, {
  readonly pruneEvaluations: (retainMs: number) => Effect.Effect<number, StoreUnavailable>
}>()("@releasepassport/app/Retention") {
  static readonly layer = Layer.effect(
    Retention,
    Effect.gen(function*() {
      const passports = yield* PassportStore
      return Retention.of({
        pruneEvaluations: Effect.fn("Retention.pruneEvaluations")(function*(retainMs: number) {
          const before = new Date((yield* Clock.currentTimeMillis) - retainMs)
          let total = 0
          for (;;) {
            const deleted = yield* passports.pruneEvaluations({ before, limit: BATCH })
            total += deleted
            if (deleted < BATCH) return total
            yield* Effect.sleep("20 millis")
          }
        })
      })
    })
  )
}
