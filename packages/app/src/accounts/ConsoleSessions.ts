import { LoginThrottleStore, normalizeEmail, SessionStore, UserStore } from "@releasepassport/core"
import type { Membership, Reservation, Session, StoreUnavailable, ThrottleRule, User } from "@releasepassport/core"
import { Clock, Context, Effect, Layer, Redacted, Schema } from "effect"
import { SessionPolicy } from "../AppConfig.ts"
import { Passwords } from "./Passwords.ts"
import { digestsEqual } from "../tokens/ApiTokenFormat.ts"
import { csrfTokenFor, generateSessionSecret, isSessionSecretShape, sessionDigest } from "./SessionSecret.ts"
import { accountThrottleKey, addressThrottleKey } from "./ThrottleKeys.ts"

/** Wrong email or wrong password: deliberately one case, so nobody learns which accounts exist. */
export class LoginFailed extends Schema.TaggedError<LoginFailed>()("LoginFailed", {}) {}

/** Too many recent failures for this account or this client network. */
export class LoginThrottled extends Schema.TaggedError<LoginThrottled>()("LoginThrottled", {
  retryAfterSeconds: Schema.Int
}) {}

/** A session cookie that does not (or no longer) sign anybody in. */
export class SessionRejected extends Schema.TaggedError<SessionRejected>()("SessionRejected", {
  reason: Schema.Literals(["missing", "invalid", "expired", "revoked"])
}) {}

/** Who a request is from, as established from its session cookie. */
export interface SignedIn {
  readonly user: User
  readonly session: Session
  /** The session's CSRF token (derived from the cookie value; see `csrfTokenFor`). */
  readonly csrfToken: Redacted.Redacted<string>
  /** When the session ends however active it is. */
  readonly expiresAt: Date
}

/**
 * Console sign-in, sessions and sign-out: the use cases behind `/auth/*` and the session
 * middleware. Transport-free: HTTP mapping lives in the handlers and middleware.
 */
export class ConsoleSessions extends Context.Service<ConsoleSessions, {
  /** Checks the credentials and opens a new session: a new secret every time. */
  readonly signIn: (input: {
    readonly email: string
    readonly password: Redacted.Redacted<string>
    readonly remoteAddress: string | undefined
  }) => Effect.Effect<
    { readonly secret: Redacted.Redacted<string>; readonly user: User; readonly session: Session },
    LoginFailed | LoginThrottled | StoreUnavailable
  >
  /**
   * Who the cookie value signs in. Any request on a live session restarts its idle timer
   * (recorded at most every minute, or every tenth of the idle timeout if that is shorter).
   */
  readonly authenticate: (
    secret: Redacted.Redacted<string>
  ) => Effect.Effect<SignedIn, SessionRejected | StoreUnavailable>
  readonly signOut: (session: Session) => Effect.Effect<void, StoreUnavailable>
  /** The workspaces a signed-in user belongs to, with their role in each (the console's switcher). */
  readonly memberships: (user: User) => Effect.Effect<ReadonlyArray<Membership>, StoreUnavailable>
}>()("@releasepassport/app/ConsoleSessions") {
  static readonly layer = Layer.effect(
    ConsoleSessions,
    Effect.gen(function*() {
      const config = yield* SessionPolicy
      const users = yield* UserStore
      const sessions = yield* SessionStore
      const throttles = yield* LoginThrottleStore
      const passwords = yield* Passwords
      const idleMs = config.sessionIdleTimeoutMs
      const absoluteMs = config.sessionAbsoluteTimeoutMs
      const window = config.loginThrottleWindowMs
      const accountRule = { maxFailures: config.loginMaxFailuresPerAccount, windowMs: window }
      const addressRule = { maxFailures: config.loginMaxFailuresPerAddress, windowMs: window }
      const touchIntervalMs = Math.min(60_000, Math.floor(idleMs / 10))

      const refused = (
        kind: "account" | "address",
        reservation: Reservation,
        rule: ThrottleRule,
        remoteAddress: string | undefined,
        now: number
      ) =>
        Effect.gen(function*() {
          const until = reservation.lockedUntil ?? new Date(now + rule.windowMs)
          // For operators watching for attacks, once per lock; never the email (it may be a mistyped password).
          if (reservation.attempts === rule.maxFailures + 1) {
            yield* Effect.logWarning(`sign-in locked: ${rule.maxFailures} attempts for one ${kind}`).pipe(
              Effect.annotateLogs({ address: remoteAddress ?? "unknown", lockedUntil: until.toISOString() })
            )
          }
          return yield* new LoginThrottled({ retryAfterSeconds: Math.max(1, Math.ceil((until.getTime() - now) / 1000)) })
        })

      const signIn = Effect.fn("ConsoleSessions.signIn")(function*(input: {
        readonly email: string
        readonly password: Redacted.Redacted<string>
        readonly remoteAddress: string | undefined
      }) {
        const email = normalizeEmail(input.email)
        const accountKey = accountThrottleKey(email)
        const addressKey = addressThrottleKey(input.remoteAddress)
        const now = yield* Clock.currentTimeMillis
        // The attempt is counted before the password is checked, in one atomic statement per
        // key: concurrent sign-ins (on any replica) cannot all pass a check that nothing has
        // counted yet, and a check that ends in a defect is still counted. A refused attempt
        // learns nothing about the password.
        const account = yield* throttles.reserveAttempt({ key: accountKey, rule: accountRule, now: new Date(now) })
        if (!account.allowed) return yield* refused("account", account, accountRule, input.remoteAddress, now)
        const address = yield* throttles.reserveAttempt({ key: addressKey, rule: addressRule, now: new Date(now) })
        if (!address.allowed) {
          // Not checked, so not an attempt on the account.
          yield* throttles.release(accountKey)
          return yield* refused("address", address, addressRule, input.remoteAddress, now)
        }

        const credentials = yield* users.findCredentials(email)
        const verdict = yield* passwords.verify(input.password, credentials?.passwordHash)
        if (credentials === undefined || !verdict.ok) return yield* new LoginFailed()
        const user = credentials.user
        const signedInAt = new Date(yield* Clock.currentTimeMillis)
        yield* throttles.clear(accountKey)
        // Only failures count against a client network (many people sign in from one office).
        yield* throttles.release(addressKey)
        if (verdict.needsRehash) {
          const rehashed = yield* passwords.hash(input.password)
          yield* users.setPasswordHash({ userId: user.id, passwordHash: rehashed, now: signedInAt })
        }
        const secret = generateSessionSecret()
        const session = yield* sessions.create({ userId: user.id, digest: sessionDigest(secret), now: signedInAt })
        // Housekeeping rides on sign-ins; it must never cost one.
        yield* Effect.ignore(sessions.prune({
          idleBefore: new Date(signedInAt.getTime() - idleMs),
          createdBefore: new Date(signedInAt.getTime() - absoluteMs)
        }))
        yield* Effect.ignore(throttles.prune({ before: new Date(signedInAt.getTime() - window), now: signedInAt }))
        return { secret: Redacted.make(secret), user, session }
      })

      const authenticate = Effect.fn("ConsoleSessions.authenticate")(function*(presented: Redacted.Redacted<string>) {
        const secret = Redacted.value(presented)
        if (secret === "") return yield* new SessionRejected({ reason: "missing" })
        if (!isSessionSecretShape(secret)) return yield* new SessionRejected({ reason: "invalid" })
        const digest = sessionDigest(secret)
        const found = yield* sessions.findByDigest(digest)
        if (found === undefined || !digestsEqual(found.digest, digest)) {
          return yield* new SessionRejected({ reason: "invalid" })
        }
        const session = found.session
        if (session.revokedAt !== null) return yield* new SessionRejected({ reason: "revoked" })
        const now = yield* Clock.currentTimeMillis
        const expiresAt = Date.parse(session.createdAt) + absoluteMs
        if (now >= expiresAt || now >= Date.parse(session.lastSeenAt) + idleMs) {
          return yield* new SessionRejected({ reason: "expired" })
        }
        const user = yield* users.findById(session.userId)
        if (user === undefined) return yield* new SessionRejected({ reason: "invalid" })
        yield* sessions.touch({ id: session.id, now: new Date(now), minIntervalMs: touchIntervalMs })
        return {
          user,
          session,
          csrfToken: Redacted.make(csrfTokenFor(secret)),
          expiresAt: new Date(expiresAt)
        } satisfies SignedIn
      })

      const signOut = (session: Session) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          yield* sessions.revoke({ id: session.id, now: new Date(now) })
        })

      return ConsoleSessions.of({ signIn, authenticate, signOut, memberships: (user) => users.memberships(user.id) })
    })
  )
}
