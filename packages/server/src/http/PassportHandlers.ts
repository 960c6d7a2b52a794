import { Comments, Passports } from "@releasepassport/app"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { CurrentMembership, CurrentSession } from "../api/SessionSecurity.ts"
import { answerProblems } from "./DomainProblems.ts"

/** Who is asking, as the passport use cases want to know it. */
const reader = Effect.gen(function*() {
  const { user } = yield* CurrentSession
  const membership = yield* CurrentMembership
  return { userId: user.id, membership }
})

export const PassportHandlers = HttpApiBuilder.group(
  Api,
  "passports",
  Effect.fn(function*(handlers) {
    const passports = yield* Passports
    const comments = yield* Comments
    return handlers
      .handle("list", ({ query }) => Effect.flatMap(reader, (who) => passports.list(who, query)).pipe(answerProblems))
      .handle("get", ({ params }) => Effect.flatMap(reader, (who) => passports.detail(who, params.id)).pipe(answerProblems))
      .handle("comment", ({ params, payload }) =>
        Effect.flatMap(reader, (who) => comments.add(who, { passportId: params.id, body: payload.body })).pipe(answerProblems))
      .handle("deleteComment", ({ params }) =>
        Effect.flatMap(reader, (who) => comments.remove(who, { passportId: params.id, commentId: params.commentId })).pipe(
          answerProblems
        ))
  })
)
