import { UserStore } from "@releasepassport/core"
import { Effect, Option, Redacted } from "effect"
import { HttpEffect, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { Forbidden, ProblemCodes, TooManyRequests, Unauthorized } from "../api/Problems.ts"
import { CurrentSession } from "../api/SessionSecurity.ts"
import { unavailable } from "../auth/BearerTokenLive.ts"
import { noStore } from "../auth/SessionAuthLive.ts"
import { ConsoleSessions } from "../auth/ConsoleSessions.ts"
import { isSameOrigin } from "../auth/SameOrigin.ts"
import { expireSessionCookie, setSessionCookie } from "../auth/SessionCookie.ts"
import { ServerConfig } from "../ServerConfig.ts"

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
          if (origin !== undefined && !isSameOrigin(origin, { publicUrl: config.publicUrl, host: request.headers["host"] })) {
            return yield* new Forbidden({
              code: ProblemCodes.originMismatch,
              detail: "Sign in from the Release Passport console's own origin."
            })
          }
          const signedIn = yield* sessions.signIn({
            email: payload.email,
            password: Redacted.make(payload.password),
            remoteAddress: Option.getOrUndefined(request.remoteAddress)
          }).pipe(
            Effect.catchTags({
              LoginFailed: () =>
                Effect.fail(new Unauthorized({ code: ProblemCodes.loginFailed, detail: "The email or password is not right." })),
              LoginThrottled: ({ retryAfterSeconds }) =>
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
                ),
              StoreUnavailable: (error) => Effect.fail(unavailable(error))
            })
          )
          yield* setSessionCookie(config, Redacted.value(signedIn.secret))
        }))
      .handle("logout", () =>
        Effect.gen(function*() {
          const { session } = yield* CurrentSession
          yield* sessions.signOut(session).pipe(Effect.mapError(unavailable))
          yield* expireSessionCookie(config)
        }))
      .handle("session", () =>
        Effect.gen(function*() {
          const { user, csrfToken, expiresAt } = yield* CurrentSession
          const memberships = yield* users.memberships(user.id).pipe(Effect.mapError(unavailable))
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
