import { Context } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"

/**
 * A console sign-in. The cookie value is never stored, only its SHA-256 digest; whether a
 * session is still usable (idle and absolute timeouts) is decided by the server from
 * these times and its configuration, so a configuration change applies to every session.
 */
export interface Session {
  readonly id: string
  readonly userId: string
  readonly createdAt: string
  readonly lastSeenAt: string
  readonly revokedAt: string | null
}

export class SessionStore extends Context.Service<SessionStore, {
  readonly create: (input: {
    readonly userId: string
    /** sha256 hex of the cookie value. */
    readonly digest: string
    readonly now: Date
  }) => Effect.Effect<Session, StoreUnavailable>
  /** Looks a session up by digest; returns the stored digest too, for a constant-time re-check. */
  readonly findByDigest: (
    digest: string
  ) => Effect.Effect<{ readonly session: Session; readonly digest: string } | undefined, StoreUnavailable>
  /**
   * Records activity (the idle timer restarts), at most once per `minIntervalMs` so that
   * reads stay cheap; never on a revoked session.
   */
  readonly touch: (input: {
    readonly id: string
    readonly now: Date
    readonly minIntervalMs: number
  }) => Effect.Effect<void, StoreUnavailable>
  /** Ends one session; false when there is no such live session. */
  readonly revoke: (input: { readonly id: string; readonly now: Date }) => Effect.Effect<boolean, StoreUnavailable>
  /** Ends every live session of a user (an admin's "sign them out everywhere"); how many ended. */
  readonly revokeAllForUser: (input: {
    readonly userId: string
    readonly now: Date
  }) => Effect.Effect<number, StoreUnavailable>
  /**
   * Deletes sessions that can no longer be used: revoked, idle since before `idleBefore`,
   * or created before `createdBefore`. Returns how many were deleted.
   */
  readonly prune: (input: {
    readonly idleBefore: Date
    readonly createdBefore: Date
  }) => Effect.Effect<number, StoreUnavailable>
}>()("@releasepassport/core/ports/SessionStore") {}
