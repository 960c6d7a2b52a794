import { Context, Effect, Layer, Redacted } from "effect"
import { HttpEffect, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import type { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { ProblemCodes, Unauthorized } from "../api/Problems.ts"
import { AcceptedScopes, BearerToken, CurrentToken } from "../api/Security.ts"
import { RequestWorkspace, SessionOrToken } from "../api/SessionOrTokenSecurity.ts"
import { CurrentMembership, CurrentSession, SessionAuth, WorkspaceAccess } from "../api/SessionSecurity.ts"
import { BearerTokenLive } from "./BearerTokenLive.ts"
import { ConsoleAuthLive } from "./SessionAuthLive.ts"

interface Where {
  readonly endpoint: HttpApiEndpoint.Top
  readonly group: HttpApiGroup.Top
}

const hasAuthorization = Effect.map(
  HttpServerRequest.HttpServerRequest,
  (request) => (request.headers["authorization"] ?? "").trim() !== ""
)

const decodeSessionCookie = HttpApiBuilder.securityDecode(SessionOrToken.security.session)

/**
 * Session-or-token authentication, built from the session and bearer middlewares themselves,
 * so both paths check exactly what the session-only and token-only routes check.
 *
 * The builder tries the schemes in order (session, then bearer), stops at the first success,
 * and answers the last failure. So both entries apply the same rule (Authorization header:
 * token; else: session), and the bearer entry, which runs last, gives the answer of whichever
 * path the request belongs to.
 */
export const SessionOrTokenLive = Layer.effect(
  SessionOrToken,
  Effect.gen(function*() {
    const sessionAuth = yield* SessionAuth
    const workspaceAccess = yield* WorkspaceAccess
    const bearerToken = yield* BearerToken

    const viaSession = <E, R>(
      httpEffect: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | RequestWorkspace>,
      credential: Redacted.Redacted<string>,
      where: Where
    ) => {
      if (Redacted.value(credential).trim() === "") {
        const scopes = Context.getOrUndefined(where.endpoint.annotations, AcceptedScopes) ?? []
        return Effect.andThen(
          HttpEffect.appendPreResponseHandler((_request, response) =>
            Effect.succeed(HttpServerResponse.setHeader(response, "WWW-Authenticate", `Bearer realm="releasepassport"`))
          ),
          Effect.fail(
            new Unauthorized({
              code: ProblemCodes.authMissing,
              detail: `Sign in first, or send an API token with scope ${scopes.join(" or ")} as Authorization: Bearer <token>.`
            })
          )
        )
      }
      const inWorkspace = Effect.flatMap(Effect.all([CurrentMembership, CurrentSession]), ([membership, signedIn]) =>
        Effect.provideService(httpEffect, RequestWorkspace, {
          workspaceId: membership.workspace.id,
          via: "session",
          actor: `user ${signedIn.user.email}`
        }))
      // Middlewares nest as the builder nests them; their types only describe the outermost
      // position (an inner middleware's errors pass through the outer one untouched).
      const checked = workspaceAccess(inWorkspace as Parameters<typeof workspaceAccess>[0], where)
      return sessionAuth.session(checked as Parameters<typeof sessionAuth.session>[0], { ...where, credential })
    }

    const viaToken = <E, R>(
      httpEffect: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | RequestWorkspace>,
      credential: Redacted.Redacted<string>,
      where: Where
    ) => {
      const inWorkspace = Effect.flatMap(CurrentToken, (token) =>
        Effect.provideService(httpEffect, RequestWorkspace, {
          workspaceId: token.workspaceId,
          via: "token",
          actor: `token ${token.name} (${token.id})`
        }))
      return bearerToken.bearer(inWorkspace as Parameters<typeof bearerToken.bearer>[0], { ...where, credential })
    }

    return SessionOrToken.of({
      session: (httpEffect, { credential, endpoint, group }) =>
        Effect.flatMap(hasAuthorization, (bearer) =>
          bearer
            // Not this path's request: the bearer entry, next, answers it.
            ? Effect.fail(new Unauthorized({ code: ProblemCodes.authInvalid, detail: "The token is not valid." }))
            : viaSession(httpEffect, credential, { endpoint, group })),
      bearer: (httpEffect, { credential, endpoint, group }) =>
        Effect.flatMap(hasAuthorization, (bearer) =>
          bearer
            ? viaToken(httpEffect, credential, { endpoint, group })
            // Reached only when the session entry failed: repeat it for its answer.
            : Effect.flatMap(decodeSessionCookie, (cookie) => viaSession(httpEffect, cookie, { endpoint, group })))
    })
  })
).pipe(Layer.provide([BearerTokenLive, ConsoleAuthLive]))
