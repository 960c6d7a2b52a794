import { apiTokenDigest, checkApiTokenShape, digestsEqual } from "@releasepassport/app"
import { TOKEN_TOUCH_INTERVAL_MS, TokenStore } from "@releasepassport/core"
import { Clock, Context, Effect, Layer, Redacted } from "effect"
import { HttpEffect, HttpServerRequest, HttpServerResponse } from "effect/http"
import { Forbidden, ProblemCodes, Unauthorized } from "../api/Problems.ts"
import { AcceptedScopes, BearerToken, CurrentToken } from "../api/Security.ts"
import { RequestPrincipal } from "../http/AccessLog.ts"
import { answerProblems } from "../http/DomainProblems.ts"

// RFC 6750: a 401 on a bearer route says how to authenticate; `invalid_token` when one was presented.
const challenge = (presented: boolean) =>
  HttpEffect.appendPreResponseHandler((_request, response) =>
    Effect.succeed(
      response.status === 401
        ? HttpServerResponse.setHeader(
          response,
          "WWW-Authenticate",
          presented ? `Bearer realm="releasepassport", error="invalid_token"` : `Bearer realm="releasepassport"`
        )
        : response
    )
  )

const unauthorized = (code: string, detail: string) => new Unauthorized({ code, detail })

/**
 * Authenticates pipeline requests. Fails closed: anything short of a well-formed, known,
 * unrevoked, unexpired token holding an accepted scope is refused before the handler
 * runs, so a refused request writes nothing.
 */
export const BearerTokenLive = Layer.effect(
  BearerToken,
  Effect.gen(function*() {
    const tokens = yield* TokenStore
    return BearerToken.of({
      bearer: (httpEffect, { credential, endpoint }) =>
        Effect.gen(function*() {
          const request = yield* HttpServerRequest.HttpServerRequest
          const header = request.headers["authorization"]
          const presented = Redacted.value(credential).trim()
          yield* challenge(header !== undefined)
          if (header === undefined || header.trim() === "") {
            return yield* unauthorized(ProblemCodes.authMissing, "An Authorization: Bearer <token> header is required.")
          }
          if (presented === "") {
            return yield* unauthorized(ProblemCodes.authMalformed, "The Authorization header must use the Bearer scheme.")
          }
          if (checkApiTokenShape(presented) !== "ok") {
            return yield* unauthorized(ProblemCodes.authInvalid, "The token is not valid.")
          }
          const digest = apiTokenDigest(presented)
          const found = yield* tokens.findByDigest(digest).pipe(answerProblems)
          if (found === undefined || !digestsEqual(found.digest, digest)) {
            return yield* unauthorized(ProblemCodes.authInvalid, "The token is not valid.")
          }
          const token = found.token
          // The access log names the token by id (never its value), also when it is refused below.
          const principal = yield* RequestPrincipal
          if (principal !== undefined) principal.tokenId = token.id
          const now = yield* Clock.currentTimeMillis
          if (token.revokedAt !== null) {
            return yield* unauthorized(ProblemCodes.authRevoked, "The token has been revoked.")
          }
          if (Date.parse(token.expiresAt) <= now) {
            return yield* unauthorized(ProblemCodes.authExpired, "The token has expired.")
          }
          const accepted = Context.getOrUndefined(endpoint.annotations, AcceptedScopes) ?? []
          if (!token.scopes.some((scope) => accepted.includes(scope))) {
            return yield* new Forbidden({
              code: ProblemCodes.scopeMissing,
              detail: `This route needs a token with scope ${accepted.join(" or ")}.`
            })
          }
          // The store records at most one use a minute; skip the statement when we know it would.
          if (token.lastUsedAt === null || Date.parse(token.lastUsedAt) < now - TOKEN_TOUCH_INTERVAL_MS) {
            yield* tokens.touch(token.id, new Date(now)).pipe(answerProblems)
          }
          return yield* Effect.provideService(httpEffect, CurrentToken, token)
        })
    })
  })
)
