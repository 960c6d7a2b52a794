import { Context } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"

/**
 * Failed sign-ins counted per key (an account, a client address), in the database so that
 * every replica sees the same counts. A key that reaches `maxFailures` failures within one
 * window is locked for `windowMs` from that failure.
 */
export interface ThrottleRule {
  readonly maxFailures: number
  readonly windowMs: number
}

export class LoginThrottleStore extends Context.Service<LoginThrottleStore, {
  /** The latest lock still in force among `keys`, if any. */
  readonly lockedUntil: (input: {
    readonly keys: ReadonlyArray<string>
    readonly now: Date
  }) => Effect.Effect<Date | undefined, StoreUnavailable>
  /**
   * Counts one failure for `key` atomically (concurrent failures on several replicas are all
   * counted) and locks the key when this failure reaches the rule's limit.
   */
  readonly recordFailure: (input: {
    readonly key: string
    readonly rule: ThrottleRule
    readonly now: Date
  }) => Effect.Effect<{ readonly failures: number; readonly lockedUntil: Date | undefined }, StoreUnavailable>
  /** Forgets a key's failures and lock (after a successful sign-in, or by an admin). */
  readonly clear: (key: string) => Effect.Effect<void, StoreUnavailable>
  /** Deletes entries whose window started before `before` and that hold no lock still in force. */
  readonly prune: (input: { readonly before: Date; readonly now: Date }) => Effect.Effect<number, StoreUnavailable>
}>()("@releasepassport/core/ports/LoginThrottleStore") {}
