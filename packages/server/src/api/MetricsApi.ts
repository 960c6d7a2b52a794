import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { AcceptedScopes, BearerToken } from "./Security.ts"

/** Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

export class MetricsApi extends HttpApiGroup.make("metrics")
  .add(
    HttpApiEndpoint.get("scrape", "/metrics", {
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: PROMETHEUS_CONTENT_TYPE }))
    }).annotate(AcceptedScopes, ["metrics:read"])
      .annotate(OpenApi.Summary, "Prometheus metrics")
      .annotate(
        OpenApi.Description,
        "The installation's metrics in Prometheus text format: gate decisions, evaluation time, policy errors, " +
          "evidence, redactions, HTTP requests, database pool, connector freshness, license days left. Needs a " +
          "token with scope metrics:read; `--metrics-listener` serves the same without authentication on an " +
          "internal address instead."
      )
  )
  .middleware(BearerToken)
  .annotateMerge(OpenApi.annotations({ title: "Metrics", description: "Operational metrics for Prometheus" }))
{}
