import { ConsoleSessions, csrfTokenMatches, isSameOrigin, localEndpoint, Passwords } from "@releasepassport/app"
import { RequestPrincipal } from "../http/AccessLog.ts"
import { roleAtLeast, UserStore } from "@releasepassport/core"
import { Context, Effect, Layer, Redacted } from "effect"
import { HttpEffect, HttpServerRequest, HttpServerResponse } from "effect/http"
import { Forbidden, MalformedRequest, NotFound, ProblemCodes, Unauthorized } from "../api/Problems.ts"
import {
  CSRF_HEADER,
  CurrentMembership,
  CurrentSession,
  MinimumRole,
  SessionAuth,
  WorkspaceAccess
} from "../api/SessionSecurity.ts"
import { SessionOrToken } from "../api/SessionOrTokenSecurity.ts"
import { ServerConfig } from "../ServerConfig.ts"
import { answerProblems } from "../http/DomainProblems.ts"
import { expireSessionCookie } from "./SessionCookie.ts"


/** Methods that never change state: no Origin or CSRF check (and handlers must keep it so). */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"])

export const noStore = HttpEffect.appendPreResponseHandler((_request, response) =>
  Effect.succeed(HttpServerResponse.setHeader(response, "Cache-Control", "no-store"))
)

/**
 * Authenticates console requests by their session cookie. Writes (anything but GET/HEAD)
 * must also come from this server's origin and carry the session's CSRF token: the cookie
 * alone, which a browser attaches to any request, never authorizes a change.
 */
export const SessionAuthLive = Layer.effect(
  SessionAuth,
  Effect.gen(function*() {
    const sessions = yield* ConsoleSessions
    const config = yield* ServerConfig
    return SessionAuth.of({
      session: (httpEffect, { credential, endpoint }) =>
        Effect.gen(function*() {
          // A role declared where nobody checks it would be a silent hole: refuse the route instead.
          // (SessionOrToken runs WorkspaceAccess itself on its session path.)
          if (
            Context.getOrUndefined(endpoint.annotations, MinimumRole) !== undefined &&
            !endpoint.middlewares.has(WorkspaceAccess) && !endpoint.middlewares.has(SessionOrToken)
          ) {
            return yield* Effect.die(new Error(`endpoint ${endpoint.identifier} declares MinimumRole without WorkspaceAccess`))
          }
          const request = yield* HttpServerRequest.HttpServerRequest
          const signedIn = yield* sessions.authenticate(credential).pipe(
            // A cookie that no longer works is of no use to the browser either.
            Effect.tapError((error) =>
              error._tag === "SessionRejected" && error.reason !== "missing" ? expireSessionCookie(config) : Effect.void
            ),
            answerProblems
          )
          const principal = yield* RequestPrincipal
          if (principal !== undefined) principal.userId = signedIn.user.id
          // Answers to a signed-in user (a CSRF token, a new token's value) must not sit in any cache.
          yield* noStore
          if (!SAFE_METHODS.has(request.method)) {
            if (!isSameOrigin(request.headers["origin"], { publicUrl: config.publicUrl, local: localEndpoint(request) })) {
              return yield* new Forbidden({
                code: ProblemCodes.originMismatch,
                detail: "This request must come from the Release Passport console's own origin."
              })
            }
            if (!csrfTokenMatches(Redacted.value(credential), request.headers[CSRF_HEADER])) {
              return yield* new Forbidden({
                code: ProblemCodes.csrfInvalid,
                detail: "Send the session's CSRF token (GET /auth/session) in the X-CSRF-Token header."
              })
            }
          }
          return yield* Effect.provideService(httpEffect, CurrentSession, signedIn)
        })
    })
  })
)

const workspaceSlugs = (url: string): Array<string> => {
  try {
    return new URL(url, "http://localhost").searchParams.getAll("workspace")
  } catch {
    return []
  }
}

/** Resolves the workspace of a session request and enforces the endpoint's minimum role. */
export const WorkspaceAccessLive = Layer.effect(
  WorkspaceAccess,
  Effect.gen(function*() {
    const users = yield* UserStore
    return WorkspaceAccess.of((httpEffect, { endpoint }) =>
      Effect.gen(function*() {
        const minimum = Context.getOrUndefined(endpoint.annotations, MinimumRole)
        if (minimum === undefined) {
          return yield* Effect.die(new Error(`endpoint ${endpoint.identifier} is behind WorkspaceAccess but declares no MinimumRole`))
        }
        const signedIn = yield* Effect.serviceOption(CurrentSession)
        if (signedIn._tag === "None") {
          return yield* Effect.die(new Error(`endpoint ${endpoint.identifier}: WorkspaceAccess must run inside SessionAuth`))
        }
        const request = yield* HttpServerRequest.HttpServerRequest
        const memberships = yield* users.memberships(signedIn.value.user.id).pipe(answerProblems)
        const slugs = workspaceSlugs(request.url)
        const notFound = new NotFound({ code: ProblemCodes.workspaceNotFound, detail: "No such workspace." })
        if (slugs.length > 1) {
          return yield* new MalformedRequest({ code: ProblemCodes.workspaceRequired, detail: "Name one workspace, not several." })
        }
        const membership = slugs.length === 1
          ? memberships.find((m) => m.workspace.slug === slugs[0])
          : memberships.length === 1
          ? memberships[0]
          : undefined
        if (membership === undefined) {
          if (slugs.length === 0 && memberships.length > 1) {
            return yield* new MalformedRequest({
              code: ProblemCodes.workspaceRequired,
              detail: `You belong to several workspaces; name one with ?workspace=<slug> (${memberships.map((m) => m.workspace.slug).join(", ")}).`
            })
          }
          // Not a member and does not exist are one answer: never reveal another workspace.
          return yield* notFound
        }
        if (!roleAtLeast(membership.role, minimum)) {
          return yield* new Forbidden({
            code: ProblemCodes.roleInsufficient,
            detail: `This needs the ${minimum} role or higher in workspace ${membership.workspace.slug}; you are ${membership.role}.`
          })
        }
        return yield* Effect.provideService(httpEffect, CurrentMembership, membership)
      })
    )
  })
)

/** Console authentication for the server: both middlewares, and the session use cases they share. */
export const ConsoleAuthLive = Layer.mergeAll(SessionAuthLive, WorkspaceAccessLive).pipe(
  Layer.provideMerge(ConsoleSessions.layer),
  Layer.provide(Passwords.layer)
)
