import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { Conflict, InvalidRequest, ProblemCodes } from "../api/Problems.ts"
import { CurrentToken } from "../api/Security.ts"
import { unavailable } from "../auth/BearerTokenLive.ts"
import { EvidenceService } from "../evidence/EvidenceService.ts"

export const EvidenceHandlers = HttpApiBuilder.group(
  Api,
  "evidence",
  Effect.fn(function*(handlers) {
    const evidence = yield* EvidenceService
    return handlers.handle("ingest", ({ payload, headers }) =>
      Effect.gen(function*() {
        const token = yield* CurrentToken
        const { result } = yield* evidence.ingest(payload, token, headers["idempotency-key"])
        return result
      }).pipe(
        Effect.catchTags({
          SecretInIdentifier: (error) =>
            Effect.fail(
              new InvalidRequest({
                code: ProblemCodes.secretInIdentifier,
                detail: "A field that identifies the evidence looks like it holds a secret; it was not stored.",
                errors: [{ path: ["payload", ...error.field.split(".")], message: "looks like a secret; never send secrets" }]
              })
            ),
          ObservedInFuture: (error) =>
            Effect.fail(
              new InvalidRequest({
                code: ProblemCodes.observedInFuture,
                detail: "observedAt is in the future; check the reporting machine's clock.",
                errors: [{ path: ["payload", "evidence", error.type, "observedAt"], message: "is in the future" }]
              })
            ),
          IdempotencyKeyReused: () =>
            Effect.fail(
              new Conflict({
                code: ProblemCodes.idempotencyKeyReused,
                detail: "This Idempotency-Key was used with a different request body."
              })
            ),
          EvidenceIdentityConflict: (error) =>
            Effect.fail(
              new Conflict({
                code: ProblemCodes.evidenceIdentityConflict,
                detail:
                  `Evidence ${error.type} from this source and externalId is already attached to another release; use another externalId.`
              })
            ),
          StoreUnavailable: (error) => Effect.fail(unavailable(error))
        })
      ))
  })
)
