import { Schema } from "effect"

/**
 * A request that carries an `Idempotency-Key`, as a store claims it: within `windowMs` a replay
 * of the same request (`requestHash`) gets the first answer and writes nothing; the same key with
 * another `requestHash` is refused. Keys are scoped to the workspace and to `route`, so the
 * routes that take one share the store's table without colliding.
 */
export interface IdempotencyClaim {
  readonly key: string
  readonly requestHash: string
  readonly route: string
  readonly windowMs: number
}

/** The same idempotency key was used with another request body. */
export class IdempotencyKeyReused extends Schema.TaggedError<IdempotencyKeyReused>()("IdempotencyKeyReused", {
  key: Schema.String
}) {}
