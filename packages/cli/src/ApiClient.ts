import { Config, Effect, Redacted, Schema } from "effect"
import { Flag } from "effect/cli"
import { Api, BearerToken, SessionOrToken } from "@releasepassport/server"
import { FetchHttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"

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
  options: { readonly baseUrl: string; readonly token: Redacted.Redacted<string>; readonly timeoutMs?: number },
  call: (client: HttpApiClient.ForApi<typeof Api>) => Effect.Effect<A, unknown>
): Effect.Effect<A, ClientError> =>
  Effect.gen(function*() {
    let url: URL
    try {
      url = new URL(options.baseUrl)
    } catch {
      return yield* new ClientError({ message: `not a URL: ${options.baseUrl}` })
    }
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
    return yield* call(client).pipe(
      Effect.timeout(options.timeoutMs ?? 30_000),
      Effect.mapError((error) => new ClientError({ message: describeFailure(error, url.origin) }))
    )
  })
