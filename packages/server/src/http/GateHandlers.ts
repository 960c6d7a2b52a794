import { Gate } from "@releasepassport/app"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { CurrentToken } from "../api/Security.ts"
import { answerProblems } from "./DomainProblems.ts"

export const GateHandlers = HttpApiBuilder.group(
  Api,
  "gate",
  Effect.fn(function*(handlers) {
    const gate = yield* Gate
    return handlers.handle("evaluate", ({ payload, headers }) =>
      Effect.gen(function*() {
        const token = yield* CurrentToken
        return yield* gate.evaluate(payload, token, headers["idempotency-key"])
      }).pipe(answerProblems))
  })
)
