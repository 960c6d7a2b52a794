import { Config, Effect, Redacted, Schema } from "effect"
import { Flag } from "effect/cli"
import type { Api } from "@releasepassport/server/api"
import type { HttpApiClient } from "effect/http-api"

/** `--url`, else `RELEASEPASSPORT_URL`. */
export const urlFlag = Flag.String("url").pipe(
  Flag.withDescription("Server base URL, e.g. https://release-passport.example.com. Env: RELEASEPASSPORT_URL"),
  Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_URL"))
)

/** `--token`, else `RELEASEPASSPORT_TOKEN`. Prefer the variable: flags show up in process lists. */
export const tokenFlag = Flag.Redacted("token").pipe(
  Flag.withDescription("API token. Env: RELEASEPASSPORT_TOKEN (preferred: flags are visible in process lists)"),
  Flag.withFallbackConfig(Config.Redacted("RELEASEPASSPORT_TOKEN"))
)

/** `--timeout`: seconds one attempt may take. */
export const timeoutFlag = Flag.Int("timeout").pipe(
  Flag.withDescription("Seconds one attempt may take before it counts as failed (default 30). Env: RELEASEPASSPORT_TIMEOUT"),
  Flag.withFallbackConfig(Config.Int("RELEASEPASSPORT_TIMEOUT")),
  Flag.withDefault(30)
)

/** `--retries`: how many times a transient failure is tried again, with exponential backoff. */
export const retriesFlag = Flag.Int("retries").pipe(
  Flag.withDescription(
    "Retries after a transient failure (server unreachable, 503 starting or database unavailable, no answer in time, another 5xx), with backoff 1s, 2s, 4s... (default 3); every attempt carries the same Idempotency-Key. Env: RELEASEPASSPORT_RETRIES"
  ),
  Flag.withFallbackConfig(Config.Int("RELEASEPASSPORT_RETRIES")),
  Flag.withDefault(3)
)

/**
 * Which failures are worth another attempt. `refused`: the request never reached a server
 * (connection refused, DNS), or the server answered 503 (starting, database or policy
 * unavailable) and therefore recorded nothing: safe for any request. `timeout`: no answer in
 * time, so the server may have acted; `server`: another 5xx (a defect, or a proxy in front
 * that gave up: 502, 504), which may also come after the server acted. Both are safe only
 * for requests that carry an Idempotency-Key.
 */
export type TransientFailure = "refused" | "timeout" | "server"

const transientKind = (error: unknown): TransientFailure | undefined => {
  const failure = error as { _tag?: unknown; status?: unknown; reason?: { _tag?: string; response?: { status?: unknown } } }
  if (typeof failure !== "object" || failure === null) return undefined
  if (failure._tag === "TimeoutError") return "timeout"
  if (failure.status === 503) return "refused"
  if (typeof failure.status === "number" && failure.status >= 500) return "server"
  if (failure._tag === "HttpClientError") {
    const status = failure.reason?.response?.status
    if (status === undefined) return "refused"
    if (status === 503) return "refused"
    if (typeof status === "number" && status >= 500) return "server"
  }
  return undefined
}

/** Why a client call did not produce an answer the pipeline can act on. */
export class ClientError extends Schema.TaggedError<ClientError>()("ClientError", {
  message: Schema.String
}) {}

/** A problem answer (any status the API declares), as one readable block for a pipeline log. */
const describeFailure = (error: unknown, origin: string): string => {
  const problem = error as { status?: unknown; title?: unknown; code?: unknown; detail?: unknown; errors?: unknown; _tag?: unknown }
  if (typeof problem === "object" && problem !== null && typeof problem.code === "string") {
    const lines = [`${String(problem.status ?? "")} ${String(problem.title ?? "")} (${problem.code}): ${String(problem.detail ?? "")}`.trim()]
    if (Array.isArray(problem.errors)) {
      for (const issue of problem.errors as Array<{ path?: Array<unknown>; message?: unknown }>) {
        lines.push(`  - ${(issue.path ?? []).join(".")}: ${String(issue.message ?? "")}`)
      }
    }
    return lines.join("\n")
  }
  if (problem?._tag === "TimeoutError") return `no answer from ${origin} in time`
  if (problem?._tag === "HttpClientError") {
    const reason = (error as { reason?: { _tag?: string; response?: { status?: number } } }).reason
    if (reason?.response?.status !== undefined) return `${reason.response.status}: unexpected answer from ${origin}`
    return `cannot reach ${origin}`
  }
  return `unexpected answer from ${origin} (is it a Release Passport server?)`
}

/**
 * The pipeline commands' client: the one derived from the API definition (the same the tests
 * use), with the bearer token added. Every failure (problem, unreachable, timeout, unexpected
 * body) becomes a `ClientError` with one readable message: pipelines exit 2 on it.
 */
export const callApi = <A>(
  options: {
    readonly baseUrl: string
    readonly token: Redacted.Redacted<string>
    readonly timeoutMs?: number
    /** Retries after a transient failure of a kind in `retryOn` (default: none). */
    readonly retries?: number
    readonly retryOn?: ReadonlyArray<TransientFailure>
  },
  call: (client: HttpApiClient.ForApi<typeof Api>) => Effect.Effect<A, unknown>
): Effect.Effect<A, ClientError> =>
  Effect.gen(function*() {
    let url: URL
    try {
      url = new URL(options.baseUrl)
    } catch {
      return yield* new ClientError({ message: `not a URL: ${options.baseUrl}` })
    }
    // The API definition alone (not the server behind it) and the HTTP client, loaded when a call is made, not at start-up.
    const { Api, BearerToken, FetchHttpClient, HttpApiClient, HttpApiMiddleware, HttpClientRequest, SessionOrToken } = yield* Effect.promise(() => import("./lazy/apiClient.ts"))
    const client = yield* HttpApiClient.make(Api, { baseUrl: url.href.replace(/\/+$/, "") }).pipe(
      Effect.provide(
        HttpApiMiddleware.layerClient(BearerToken, ({ next, request }) =>
          next(HttpClientRequest.bearerToken(request, Redacted.value(options.token))))
      ),
      // Routes that take a session or a token (policies, license status): the CLI sends the token.
      Effect.provide(
        HttpApiMiddleware.layerClient(SessionOrToken, ({ next, request }) =>
          next(HttpClientRequest.bearerToken(request, Redacted.value(options.token))))
      ),
      Effect.provide(FetchHttpClient.layer)
    )
    const retries = Math.max(0, options.retries ?? 0)
    for (let attempt = 0;; attempt++) {
      const outcome = yield* call(client).pipe(Effect.timeout(options.timeoutMs ?? 30_000), Effect.result)
      if (outcome._tag === "Success") return outcome.success
      const kind = transientKind(outcome.failure)
      const message = describeFailure(outcome.failure, url.origin)
      if (attempt >= retries || kind === undefined || !(options.retryOn ?? []).includes(kind)) {
        return yield* new ClientError({ message: attempt > 0 ? `${message} (after ${attempt + 1} attempts)` : message })
      }
      // 1 s, 2 s, 4 s ... capped at 30 s, with jitter so that many jobs retrying at once spread out.
      const delayMs = Math.min(30_000, 1000 * 2 ** attempt) * (0.75 + Math.random() * 0.5)
      yield* Effect.logWarning(`attempt ${attempt + 1} failed: ${message}; retrying in ${(delayMs / 1000).toFixed(1)}s`)
      yield* Effect.sleep(delayMs)
    }
  })
