import { ConsoleSessions, isSameOrigin, localEndpoint } from "@releasepassport/app"
import { UserStore } from "@releasepassport/core"
import { Effect, Option, Redacted } from "effect"
import { HttpServerRequest } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { Forbidden, ProblemCodes } from "../api/Problems.ts"
import { CurrentSession } from "../api/SessionSecurity.ts"
import { noStore } from "../auth/SessionAuthLive.ts"
import { expireSessionCookie, setSessionCookie } from "../auth/SessionCookie.ts"
import { ServerConfig } from "../ServerConfig.ts"
import { answerProblems } from "./DomainProblems.ts"

export const AuthHandlers = HttpApiBuilder.group(
  Api,
  "auth",
  Effect.fn(function*(handlers) {
    const sessions = yield* ConsoleSessions
    const users = yield* UserStore
    const config = yield* ServerConfig
    return handlers
      .handle("login", ({ payload }) =>
        Effect.gen(function*() {
          const request = yield* HttpServerRequest.HttpServerRequest
          yield* noStore
          // No session yet, so no CSRF token; a browser always sends Origin on a POST, and one
          // from another site must not sign the user in to an account of the attacker's choosing.
          const origin = request.headers["origin"]
          if (origin !== undefined && !isSameOrigin(origin, { publicUrl: config.publicUrl, local: localEndpoint(request) })) {
            return yield* new Forbidden({
              code: ProblemCodes.originMismatch,
              detail: "Sign in from the Release Passport console's own origin."
            })
          }
          const signedIn = yield* sessions.signIn({
            email: payload.email,
            password: Redacted.make(payload.password),
            remoteAddress: Option.getOrUndefined(request.remoteAddress)
          }).pipe(answerProblems)
          yield* setSessionCookie(config, Redacted.value(signedIn.secret))
        }))
      .handle("logout", () =>
        Effect.gen(function*() {
          const { session } = yield* CurrentSession
          yield* sessions.signOut(session).pipe(answerProblems)
          yield* expireSessionCookie(config)
        }))
      .handle("session", () =>
        Effect.gen(function*() {
          const { user, csrfToken, expiresAt } = yield* CurrentSession
          const memberships = yield* users.memberships(user.id).pipe(answerProblems)
          return {
            user: { id: user.id, email: user.email, displayName: user.displayName },
            workspaces: memberships.map((m) => ({ slug: m.workspace.slug, name: m.workspace.name, role: m.role })),
            csrfToken: Redacted.value(csrfToken),
            expiresAt: expiresAt.toISOString(),
            idleTimeoutSeconds: Math.floor(config.sessionIdleTimeoutMs / 1000)
          }
        }))
  })
)
