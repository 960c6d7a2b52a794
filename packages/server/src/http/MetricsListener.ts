import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { createServer } from "node:http"
import { PROMETHEUS_CONTENT_TYPE } from "../api/MetricsApi.ts"
import { ServerMetrics } from "../metrics/ServerMetrics.ts"
import type { ServerConfigShape } from "../ServerConfig.ts"

export const METRICS_LISTENER_PATH = "/metrics"

const isLoopback = (host: string) => host === "localhost" || host === "::1" || /^127\./.test(host)

/**
 * The internal metrics listener (`--metrics-listener`): a second address that answers
 * `GET /metrics` without authentication, for a Prometheus inside the cluster or on the host,
 * and nothing else. Off unless configured, loopback unless an operator binds it elsewhere on
 * purpose (and is warned); the API's own `/releasepassport/v1/metrics` always needs a
 * `metrics:read` token, so metrics are never public by accident.
 */
export const metricsListener = (config: ServerConfigShape) => {
  const listener = config.metricsListener
  if (listener === undefined) return Layer.empty
  const app = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = new URL(request.url, "http://internal").pathname
    if (path !== METRICS_LISTENER_PATH) return HttpServerResponse.text("This listener answers only GET /metrics.\n", { status: 404 })
    if (request.method !== "GET" && request.method !== "HEAD") {
      return HttpServerResponse.text("Only GET.\n", { status: 405, headers: { allow: "GET, HEAD" } })
    }
    const metrics = yield* ServerMetrics
    return HttpServerResponse.text(yield* metrics.exposition, { contentType: PROMETHEUS_CONTENT_TYPE, headers: { "cache-control": "no-store" } })
  })
  return HttpServer.serve(app).pipe(
    Layer.tap(() =>
      HttpServer.addressFormattedWith((url) =>
        Effect.andThen(
          Effect.logInfo(`metrics (internal, no authentication) at ${url}${METRICS_LISTENER_PATH}`),
          isLoopback(listener.host)
            ? Effect.void
            : Effect.logWarning(`the metrics listener is bound to ${listener.host}, not loopback: anyone who can reach it reads the metrics`)
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
