import { Evidence } from "@releasepassport/app"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { CurrentToken } from "../api/Security.ts"
import { answerProblems } from "./DomainProblems.ts"

export const EvidenceHandlers = HttpApiBuilder.group(
  Api,
  "evidence",
  Effect.fn(function*(handlers) {
    const evidence = yield* Evidence
    return handlers.handle("ingest", ({ payload, headers }) =>
      Effect.gen(function*() {
        const token = yield* CurrentToken
        const { result } = yield* evidence.ingest(payload, token, headers["idempotency-key"])
        return result
      }).pipe(answerProblems))
  })
)
