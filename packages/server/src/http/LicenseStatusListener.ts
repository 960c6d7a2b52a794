import { NodeHttpServer } from "@effect/platform-node"
import { LicenseStatus } from "@releasepassport/core"
import { Cause, Effect, Layer } from "effect"
import { HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { createServer } from "node:http"
import { randomUUID } from "node:crypto"
import { BASE_PATH } from "../api/Api.ts"
import { ProblemCodes } from "../api/Problems.ts"
import { LicenseService } from "@releasepassport/app"
import type { ServerConfigShape } from "../ServerConfig.ts"

export const LICENSE_STATUS_PATH = `${BASE_PATH}/license/status`

const problem = (status: number, title: string, code: string, detail: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.jsonUnsafe({ type: "about:blank", status, title, code, detail }, {
    status,
    contentType: "application/problem+json",
    headers
  })

const respond = HttpServerResponse.schemaJson(LicenseStatus)

const isLoopback = (host: string) => host === "localhost" || host === "::1" || /^127\./.test(host)

/**
 * The internal license status listener (`--license-status-listener`): a second address that
 * answers `GET /releasepassport/v1/license/status` without authentication, for monitoring
 * inside the cluster or on the host, and nothing else (404 for every other path). The
 * answer is the API's, counted over the installation (no workspace). Loopback unless an
 * operator binds it elsewhere on purpose.
 */
export const licenseStatusListener = (config: ServerConfigShape) => {
  const listener = config.licenseStatusListener
  if (listener === undefined) return Layer.empty
  const app = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = new URL(request.url, "http://internal").pathname
    if (path !== LICENSE_STATUS_PATH) {
      return problem(404, "Not Found", ProblemCodes.routeNotFound, "This listener answers only GET " + LICENSE_STATUS_PATH + ".")
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return problem(405, "Method Not Allowed", ProblemCodes.methodNotAllowed, "Only GET.", { allow: "GET, HEAD" })
    }
    const license = yield* LicenseService
    const status = yield* license.status({})
    return yield* respond(status, { headers: { "cache-control": "no-store" } })
  }).pipe(
    Effect.catchTag("StoreUnavailable", () =>
      Effect.succeed(problem(503, "Service Unavailable", ProblemCodes.storeUnavailable, "The database is unavailable; retry later."))),
    Effect.catchCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
      const correlationId = randomUUID()
      return Effect.logError("license status listener: request failed", Cause.pretty(cause)).pipe(
        Effect.annotateLogs({ correlationId }),
        Effect.as(problem(500, "Internal Server Error", ProblemCodes.internal, `Quote the correlation id ${correlationId}.`))
      )
    })
  )
  return HttpServer.serve(app).pipe(
    Layer.tap(() =>
      HttpServer.addressFormattedWith((url) =>
        Effect.andThen(
          // Worded unlike the main listener's line, which scripts look for.
          config.logFormat === "json"
            ? Effect.logInfo(`releasepassport license status (internal, no authentication) at ${url}${LICENSE_STATUS_PATH}`)
            : Effect.sync(() => console.log(`releasepassport license status (internal, no authentication) at ${url}${LICENSE_STATUS_PATH}`)),
          isLoopback(listener.host)
            ? Effect.void
            : Effect.logWarning(`the license status listener is bound to ${listener.host}, not loopback: anyone who can reach it reads the license status`)
        )
      )
    ),
    Layer.provide(NodeHttpServer.layerServer(() => createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }), {
      host: listener.host,
      port: listener.port,
      gracefulShutdownTimeout: "5 seconds"
    }))
  )
}
