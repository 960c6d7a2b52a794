import { Cause, Context, Effect, Exit } from "effect"
import { HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { randomUUID } from "node:crypto"
import { BASE_PATH } from "../api/Api.ts"
import { routeOf } from "../metrics/RouteTemplates.ts"
import { ServerMetrics } from "../metrics/ServerMetrics.ts"

/** Who a request turned out to be from, filled in by the authentication middlewares. */
export interface Principal {
  tokenId?: string
  userId?: string
}

/**
 * The request's principal slot: set for every request by the access log middleware, written
 * by the bearer and session middlewares once they have authenticated it (never the credential).
 */
export const RequestPrincipal = Context.Reference<Principal | undefined>("@releasepassport/server/RequestPrincipal", {
  defaultValue: () => undefined
})

/** A caller's `X-Request-Id` is kept when it is a plain token of modest length; anything else could forge log lines. */
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/

export const REQUEST_ID_HEADER = "x-request-id"

/** Paths served beside the API's endpoints, named as routes in labels and logs. */
const EXTRA_ROUTES = [`${BASE_PATH}/openapi.json`, `${BASE_PATH}/docs`]

/**
 * One middleware at the edge for every request: the request id (the caller's when well-formed,
 * else a new one; echoed in `X-Request-Id` and on every log line of the request), the HTTP
 * metrics by declared route and status, and one access log line (method, route, status,
 * duration, token or user id). Paths and queries are not logged: a route template says what
 * was asked without carrying anything a caller put in the URL.
 */
export const accessLog = HttpRouter.middleware(
  Effect.gen(function*() {
    const metrics = yield* ServerMetrics
    return (httpEffect) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const started = performance.now()
      const offered = request.headers[REQUEST_ID_HEADER]
      const requestId = offered !== undefined && WELL_FORMED_ID.test(offered) ? offered : randomUUID()
      const principal: Principal = {}
      const exit = yield* httpEffect.pipe(
        Effect.provideService(RequestPrincipal, principal),
        Effect.annotateLogs({ requestId }),
        Effect.exit
      )
      if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.failCause(exit.cause)
      const status = Exit.isSuccess(exit) ? exit.value.status : (yield* HttpServerError.causeResponse(exit.cause))[0].status
      const seconds = (performance.now() - started) / 1000
      const route = routeOf(request.method, new URL(request.url, "http://server").pathname, EXTRA_ROUTES)
      metrics.httpRequest({ method: request.method, route, status, seconds })
      yield* Effect.logInfo("request").pipe(
        Effect.annotateLogs({
          requestId,
          method: request.method,
          route,
          status,
          durationMs: Math.round(seconds * 100_000) / 100,
          ...(principal.tokenId !== undefined ? { tokenId: principal.tokenId } : {}),
          ...(principal.userId !== undefined ? { userId: principal.userId } : {})
        })
      )
      if (Exit.isFailure(exit)) return yield* Effect.failCause(exit.cause)
      return HttpServerResponse.setHeader(exit.value, REQUEST_ID_HEADER, requestId)
    })
  }),
  { global: true }
)
