import { Config, Effect, Redacted, Schema } from "effect"
import { Flag } from "effect/cli"
import { BASE_PATH } from "../api/Api.ts"

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

const describeProblem = (status: number, body: unknown): string => {
  if (typeof body === "object" && body !== null) {
    const problem = body as { title?: unknown; detail?: unknown; code?: unknown; errors?: unknown }
    const lines = [`${status} ${String(problem.title ?? "")}${problem.code ? ` (${String(problem.code)})` : ""}: ${String(problem.detail ?? "")}`]
    if (Array.isArray(problem.errors)) {
      for (const issue of problem.errors as Array<{ path?: Array<unknown>; message?: unknown }>) {
        lines.push(`  - ${(issue.path ?? []).join(".")}: ${String(issue.message ?? "")}`)
      }
    }
    return lines.join("\n")
  }
  return `${status}: unexpected answer from the server`
}

/**
 * POSTs JSON to the API and decodes the answer with the API's own schema. Any non-2xx,
 * unreachable server or unexpected body is a `ClientError` (pipelines exit 2).
 */
export const postJson = <S extends Schema.Top>(options: {
  readonly baseUrl: string
  readonly path: string
  readonly token: Redacted.Redacted<string>
  readonly body: unknown
  readonly response: S
  readonly headers?: Record<string, string>
  readonly timeoutMs?: number
}): Effect.Effect<S["Type"], ClientError, S["DecodingServices"]> =>
  Effect.gen(function*() {
    let url: URL
    try {
      url = new URL(`${options.baseUrl.replace(/\/+$/, "")}${BASE_PATH}${options.path}`)
    } catch {
      return yield* new ClientError({ message: `not a URL: ${options.baseUrl}` })
    }
    const response = yield* Effect.tryPromise({
      try: (signal) =>
        fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json",
            authorization: `Bearer ${Redacted.value(options.token)}`,
            ...options.headers
          },
          body: JSON.stringify(options.body),
          signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? 30_000)])
        }),
      catch: (error) =>
        new ClientError({
          message: `cannot reach ${url.origin}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`
        })
    })
    const text = yield* Effect.tryPromise({
      try: () => response.text(),
      catch: () => new ClientError({ message: "the connection broke while reading the answer" })
    })
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    if (!response.ok) return yield* new ClientError({ message: describeProblem(response.status, body) })
    return yield* Schema.decodeUnknownEffect(options.response)(body).pipe(
      Effect.mapError(() => new ClientError({ message: `unexpected answer from ${url.origin} (is it a Release Passport server?)` }))
    )
  })
