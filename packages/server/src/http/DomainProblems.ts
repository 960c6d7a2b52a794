import type {
  CommentNotFound,
  CommentNotYours,
  EvidenceIdentityConflict,
  IdempotencyKeyReused,
  InvalidCursor,
  InvalidReportWindow,
  LoginFailed,
  LoginThrottled,
  ObservedInFuture,
  PassportNotFound,
  PolicyBundleNotFound,
  PolicyBundleRejected,
  PolicyInputNotFound,
  SecretInIdentifier,
  SessionRejected,
  StoreUnavailable,
  TokenNotFound
} from "@releasepassport/app"
import { Effect } from "effect"
import { HttpEffect, HttpServerResponse } from "effect/http"
import {
  Conflict,
  Forbidden,
  InvalidRequest,
  NotFound,
  ProblemCodes,
  ServiceUnavailable,
  TooManyRequests,
  Unauthorized
} from "../api/Problems.ts"

/**
 * The one table from a use case's failure to the HTTP problem it is answered with (status,
 * stable `code`, a human `detail`). Handlers and middlewares call `answerProblems`; none maps
 * a domain error itself, and every code comes from `ProblemCodes`.
 */
export const domainProblems = {
  StoreUnavailable: (_: StoreUnavailable) =>
    Effect.fail(new ServiceUnavailable({ code: ProblemCodes.storeUnavailable, detail: "The database is unavailable; retry later." })),
  // Another workspace's resources answer exactly like missing ones.
  PassportNotFound: (_: PassportNotFound) =>
    Effect.fail(new NotFound({ code: ProblemCodes.passportNotFound, detail: "No such passport in this workspace." })),
  CommentNotFound: (_: CommentNotFound) =>
    Effect.fail(new NotFound({ code: ProblemCodes.commentNotFound, detail: "No such comment on this passport." })),
  CommentNotYours: (_: CommentNotYours) =>
    Effect.fail(
      new Forbidden({ code: ProblemCodes.roleInsufficient, detail: "Only the author, or an admin, may delete a comment." })
    ),
  TokenNotFound: (_: TokenNotFound) =>
    Effect.fail(new NotFound({ code: ProblemCodes.tokenNotFound, detail: "No active token with that id in this workspace." })),
  InvalidCursor: (_: InvalidCursor) =>
    Effect.fail(
      new InvalidRequest({
        code: ProblemCodes.invalidCursor,
        detail: "The cursor was not made by this server; start from the first page.",
        errors: [{ path: ["query", "cursor"], message: "is not a valid cursor" }]
      })
    ),
  InvalidReportWindow: (error: InvalidReportWindow) =>
    Effect.fail(
      new InvalidRequest({
        code: ProblemCodes.reportWindowInvalid,
        detail: `The report window is not valid: ${error.message}.`,
        errors: [{ path: ["query", "since"], message: error.message }]
      })
    ),
  SecretInIdentifier: (error: SecretInIdentifier) =>
    Effect.fail(
      new InvalidRequest({
        code: ProblemCodes.secretInIdentifier,
        detail: "A field that identifies the evidence looks like it holds a secret; it was not stored.",
        errors: [{ path: ["payload", ...error.field.split(".")], message: "looks like a secret; never send secrets" }]
      })
    ),
  ObservedInFuture: (error: ObservedInFuture) =>
    Effect.fail(
      new InvalidRequest({
        code: ProblemCodes.observedInFuture,
        detail: "observedAt is in the future; check the reporting machine's clock.",
        errors: [{ path: ["payload", "evidence", error.type, "observedAt"], message: "is in the future" }]
      })
    ),
  PolicyBundleRejected: (error: PolicyBundleRejected) =>
    Effect.fail(
      new InvalidRequest({
        code: ProblemCodes.policyBundleInvalid,
        detail: `The policy bundle was refused (${error.check}): ${error.message}. Nothing was stored.`,
        errors: [{ path: ["payload"], message: `${error.check}: ${error.message}` }]
      })
    ),
  PolicyInputNotFound: (_: PolicyInputNotFound) =>
    Effect.fail(
      new NotFound({
        code: ProblemCodes.policyInputNotFound,
        detail: "No evaluation of that passport in this workspace kept the input it was decided on."
      })
    ),
  PolicyBundleNotFound: (_: PolicyBundleNotFound) =>
    Effect.fail(new NotFound({ code: ProblemCodes.policyBundleNotFound, detail: "No policy bundle with that digest in this workspace." })),
  IdempotencyKeyReused: (_: IdempotencyKeyReused) =>
    Effect.fail(
      new Conflict({ code: ProblemCodes.idempotencyKeyReused, detail: "This Idempotency-Key was used with a different request body." })
    ),
  EvidenceIdentityConflict: (error: EvidenceIdentityConflict) =>
    Effect.fail(
      new Conflict({
        code: ProblemCodes.evidenceIdentityConflict,
        detail: `Evidence ${error.type} from this source and externalId is already attached to another release; use another externalId.`
      })
    ),
  SessionRejected: (error: SessionRejected) =>
    Effect.fail(
      new Unauthorized(
        error.reason === "missing"
          ? { code: ProblemCodes.authMissing, detail: "Sign in first: this route needs a session." }
          : error.reason === "invalid"
          ? { code: ProblemCodes.authInvalid, detail: "The session is not valid; sign in again." }
          : error.reason === "expired"
          ? { code: ProblemCodes.authExpired, detail: "The session has expired; sign in again." }
          : { code: ProblemCodes.authRevoked, detail: "The session has ended; sign in again." }
      )
    ),
  LoginFailed: (_: LoginFailed) =>
    Effect.fail(new Unauthorized({ code: ProblemCodes.loginFailed, detail: "The email or password is not right." })),
  LoginThrottled: ({ retryAfterSeconds }: LoginThrottled) =>
    Effect.andThen(
      HttpEffect.appendPreResponseHandler((_request, response) =>
        Effect.succeed(HttpServerResponse.setHeader(response, "Retry-After", String(retryAfterSeconds)))
      ),
      Effect.fail(
        new TooManyRequests({
          code: ProblemCodes.throttled,
          detail: `Too many failed sign-ins; try again in ${retryAfterSeconds} seconds.`
        })
      )
    )
} as const

type Table = typeof domainProblems
export type DomainError = Parameters<Table[keyof Table]>[0]
type AnswerOf<E extends DomainError> = E extends { readonly _tag: infer K extends keyof Table } ? ReturnType<Table[K]> : never
/** The problem a given domain error is answered with. */
export type ProblemOf<E extends DomainError> = Effect.Error<AnswerOf<E>>
/** What answering it needs (setting a header needs the request). */
type NeedsOf<E extends DomainError> = Effect.Services<AnswerOf<E>>

/** Answers every domain failure of `effect` through the table; the types say exactly which problems can result. */
export const answerProblems = <A, E extends DomainError, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, ProblemOf<E>, R | NeedsOf<E>> =>
  Effect.catch(effect, (error: E) => {
    const answer = domainProblems[error._tag] as unknown as (e: E) => Effect.Effect<never, ProblemOf<E>, NeedsOf<E>>
    return answer(error)
  })
