import { sanitizeJson } from "@releasepassport/core"
import { Effect, Layer, Result, Tracer } from "effect"
import { FetchHttpClient, HttpMiddleware } from "effect/http"
import { OtlpExporter, OtlpSerialization, OtlpTracer } from "effect/observability"
import { BASE_PATH } from "./api/Api.ts"
import { routeOf, UNMATCHED_ROUTE } from "./metrics/RouteTemplates.ts"

/** Where and as whom spans are exported (OTLP over HTTP, JSON). */
export interface TracingConfig {
  /** The collector's traces URL: `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  readonly tracesUrl: string
  readonly serviceName: string
  /** Sent with every export (an API key for a hosted collector): never logged, never in an error. */
  readonly headers: Readonly<Record<string, string>>
}

export const DEFAULT_SERVICE_NAME = "releasepassport"

/**
 * `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` pairs separated by commas, values percent-encoded.
 * A malformed entry is refused rather than skipped, so a collector's API key is not silently lost;
 * the message names the entry's position, never its text (it may hold that key).
 */
export const parseOtlpHeaders = (text: string): Result.Result<Record<string, string>, string> => {
  const headers: Record<string, string> = {}
  const entries = text.split(",")
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!.trim()
    if (entry === "") continue
    const equals = entry.indexOf("=")
    const key = equals > 0 ? entry.slice(0, equals).trim().toLowerCase() : ""
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key)) {
      return Result.fail(`OTEL_EXPORTER_OTLP_HEADERS: entry ${i + 1} is not key=value`)
    }
    try {
      headers[key] = decodeURIComponent(entry.slice(equals + 1).trim())
    } catch {
      return Result.fail(`OTEL_EXPORTER_OTLP_HEADERS: the value of entry ${i + 1} is not valid percent-encoding`)
    }
  }
  return Result.succeed(headers)
}

/**
 * Tracing from the standard OpenTelemetry variables. Only `OTEL_EXPORTER_OTLP_ENDPOINT` switches it
 * on (unset or empty: `undefined`, no exporter and no connection attempts); `OTEL_SERVICE_NAME`
 * defaults to `releasepassport`; `OTEL_EXPORTER_OTLP_HEADERS` is optional.
 */
export const tracingFromEnv = (
  env: Readonly<Record<string, string | undefined>>
): Result.Result<TracingConfig | undefined, string> => {
  const endpoint = env["OTEL_EXPORTER_OTLP_ENDPOINT"]?.trim()
  if (endpoint === undefined || endpoint === "") return Result.succeed(undefined)
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return Result.fail("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, e.g. http://collector:4318")
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Result.fail("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, e.g. http://collector:4318")
  }
  if (url.username !== "" || url.password !== "") {
    return Result.fail("OTEL_EXPORTER_OTLP_ENDPOINT must not carry credentials: put them in OTEL_EXPORTER_OTLP_HEADERS")
  }
  // As the OpenTelemetry specification says for the signal-less variable: the signal's path is appended.
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`
  const headers = parseOtlpHeaders(env["OTEL_EXPORTER_OTLP_HEADERS"] ?? "")
  if (Result.isFailure(headers)) return Result.fail(headers.failure)
  const serviceName = env["OTEL_SERVICE_NAME"]?.trim() || DEFAULT_SERVICE_NAME
  return Result.succeed({ tracesUrl: url.toString(), serviceName, headers: headers.success })
}

/**
 * Attributes of the HTTP server span that carry what a caller put in the URL (path parameters,
 * query): like the access log, spans say which route was asked (`http.route`, and the span's
 * name), not the raw path, which can hold anything, a refused secret included.
 */
const CALLER_URL_ATTRIBUTES = new Set(["url.full", "url.path", "url.query"])

const withoutCallerUrls = (tracer: Tracer.Tracer): Tracer.Tracer =>
  Tracer.make({
    ...tracer,
    span(options) {
      const span = tracer.span(options)
      const record = span.attribute.bind(span)
      span.attribute = (key, value) => {
        if (!CALLER_URL_ATTRIBUTES.has(key)) record(key, value)
      }
      return span
    }
  })

/**
 * OTLP/JSON, with every batch through the sanitizer that guards the logs, as a last line of
 * defence: an error recorded on a span (a database error quoting a URL with a password, say)
 * must not carry a secret to the collector. It runs in the exporter's fiber, not in a request.
 */
const SanitizedJson = Layer.effect(
  OtlpSerialization.OtlpSerialization,
  Effect.gen(function*() {
    const json = yield* OtlpSerialization.OtlpSerialization
    return {
      traces: (data) => json.traces(sanitizeJson(data).value as typeof data),
      metrics: (data) => json.metrics(sanitizeJson(data).value as typeof data),
      logs: (data) => json.logs(sanitizeJson(data).value as typeof data)
    } satisfies OtlpSerialization.OtlpSerialization["Service"]
  })
).pipe(Layer.provide(OtlpSerialization.layerJson))

/** `POST /releasepassport/v1/gate/evaluate`: the method and the declared route, else the method alone. */
const spanName = HttpMiddleware.SpanNameGenerator
const requestSpanName = Layer.succeed(spanName)((request) => {
  const route = routeOf(request.method, new URL(request.url, "http://server").pathname, [`${BASE_PATH}/openapi.json`, `${BASE_PATH}/docs`])
  return route === UNMATCHED_ROUTE ? request.method : `${request.method} ${route}`
})

/**
 * Spans exported with Effect's own OTLP exporter: a server span per request (route, status) with
 * the use cases' spans (`Gate.evaluate`, ...) as its children. Request headers are not recorded
 * (Effect records none unless told to). Batches leave every 5 s and at shutdown, where the last
 * flush is bounded by `shutdownTimeout`. Without a config: nothing, not even a tracer.
 */
export const TracingLive = (config: TracingConfig | undefined): Layer.Layer<never> => {
  if (config === undefined) return Layer.empty
  const tracer = Layer.effect(
    Tracer.Tracer,
    Effect.map(
      OtlpTracer.make({
        url: config.tracesUrl,
        resource: { serviceName: config.serviceName },
        headers: config.headers,
        exportInterval: "5 seconds",
        shutdownTimeout: "2 seconds"
      }),
      withoutCallerUrls
    )
  )
  return Layer.mergeAll(tracer, requestSpanName).pipe(
    Layer.provide(OtlpExporter.layerFlusher),
    Layer.provide(SanitizedJson),
    Layer.provide(FetchHttpClient.layer)
  )
}
