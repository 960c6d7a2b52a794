import { isCleanIdentifier } from "@releasepassport/app"
import { ConnectorStore, EvidenceName } from "@releasepassport/core"
import { Clock, Effect, Layer, Schema } from "effect"
import { HttpServerRequest } from "effect/http"
import { HttpApiError } from "effect/http-api"
import { EvidenceRejections } from "../api/EvidenceRejections.ts"
import { ProblemCodes } from "../api/Problems.ts"
import { CurrentToken } from "../api/Security.ts"

const isEvidenceName = Schema.is(EvidenceName)

/**
 * The `source` a refused body names, when it names one we could attribute. A source that fails
 * the identifier rule is not one: a refused request leaves no trace but a count, and the count
 * must not be filed under the secret it was refused for.
 */
const sourceOf = (body: string): string | undefined => {
  try {
    const parsed = JSON.parse(body) as { source?: unknown }
    return isEvidenceName(parsed.source) && isCleanIdentifier(parsed.source) ? parsed.source : undefined
  } catch {
    return undefined
  }
}

/** Which refusals count: the request's content, not the database or the server. */
const rejectionCode = (error: unknown): string | undefined => {
  if (HttpApiError.HttpApiSchemaError.is(error)) return error.kind === "Payload" ? ProblemCodes.requestInvalid : undefined
  if (typeof error === "object" && error !== null && "_tag" in error) {
    switch (error._tag) {
      case "SecretInIdentifier":
        return ProblemCodes.secretInIdentifier
      case "ObservedInFuture":
        return ProblemCodes.observedInFuture
      case "Conflict":
        return (error as { code?: string }).code
      case "InvalidRequest":
        return (error as { code?: string }).code
    }
  }
  return undefined
}

export const EvidenceRejectionsLive = Layer.effect(
  EvidenceRejections,
  Effect.gen(function*() {
    const connectors = yield* ConnectorStore
    return (httpEffect) =>
      Effect.tapError(httpEffect, (error) =>
        Effect.gen(function*() {
          const code = rejectionCode(error)
          if (code === undefined) return
          const request = yield* HttpServerRequest.HttpServerRequest
          // The body was read (and size-limited) by the decoder already; this is its cached text.
          const body = yield* Effect.orElseSucceed(request.text, () => "")
          const source = sourceOf(body)
          if (source === undefined) return
          const token = yield* CurrentToken
          const now = yield* Clock.currentTimeMillis
          // Attribution is best effort: a database hiccup here must not change the answer.
          yield* connectors.recordRejection({ workspaceId: token.workspaceId, source, code, now: new Date(now) }).pipe(
            Effect.ignore
          )
        }))
  })
)
