import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { ServerMetrics } from "../metrics/ServerMetrics.ts"

export const MetricsHandlers = HttpApiBuilder.group(
  Api,
  "metrics",
  Effect.fn(function*(handlers) {
    const metrics = yield* ServerMetrics
    return handlers.handle("scrape", () => metrics.exposition)
  })
)
