import { Context } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"

/**
 * Sign-in attempts counted per key (an account, a client address), in the database so that
 * every replica sees the same counts. An attempt is reserved *before* its password is checked:
 * a check that was never counted is what let a burst of concurrent sign-ins through before.
 */
export interface ThrottleRule {
  /** At most this many password checks per key per window. */
  readonly maxFailures: number
  readonly windowMs: number
}

export interface Reservation {
  /** Attempts counted in the key's current window, this one included. */
  readonly attempts: number
  /** Whether this attempt may check a password. */
  readonly allowed: boolean
  /** The lock in force, when the attempt was refused. */
  readonly lockedUntil: Date | undefined
}

export class LoginThrottleStore extends Context.Service<LoginThrottleStore, {
  /**
   * Counts one attempt for `key` and decides it, in one atomic statement, so that concurrent
   * attempts on any number of replicas allow at most `rule.maxFailures` per window. The first
   * attempt over the limit locks the key for `rule.windowMs` from then; a window that has run
   * out (and holds no lock in force) starts again at 1.
   */
  readonly reserveAttempt: (input: {
    readonly key: string
    readonly rule: ThrottleRule
    readonly now: Date
  }) => Effect.Effect<Reservation, StoreUnavailable>
  /** Gives back one reserved attempt that was not a failure (a success, or refused elsewhere). */
  readonly release: (key: string) => Effect.Effect<void, StoreUnavailable>
  /** Forgets a key's attempts and lock (after a successful sign-in, or by an admin). */
  readonly clear: (key: string) => Effect.Effect<void, StoreUnavailable>
  /** Deletes entries whose window started before `before` and that hold no lock still in force. */
  readonly prune: (input: { readonly before: Date; readonly now: Date }) => Effect.Effect<number, StoreUnavailable>
}>()("@releasepassport/core/ports/LoginThrottleStore") {}
