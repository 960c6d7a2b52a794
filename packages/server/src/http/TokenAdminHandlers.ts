import { Tokens } from "@releasepassport/app"
import { Effect, Redacted } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { CurrentMembership } from "../api/SessionSecurity.ts"
import { answerProblems } from "./DomainProblems.ts"

/** API tokens managed over a session by workspace admins; the same use case as `releasepassport token`. */
export const TokenAdminHandlers = HttpApiBuilder.group(
  Api,
  "tokens",
  Effect.fn(function*(handlers) {
    const tokens = yield* Tokens
    return handlers
      .handle("list", () =>
        Effect.flatMap(CurrentMembership, ({ workspace }) => tokens.list(workspace.id)).pipe(
          Effect.map((listed) => ({ tokens: listed })),
          answerProblems
        ))
      .handle("create", ({ payload }) =>
        Effect.flatMap(CurrentMembership, ({ workspace }) =>
          tokens.create({
            workspaceId: workspace.id,
            name: payload.name,
            scopes: payload.scopes,
            expiresInDays: payload.expiresInDays
          })).pipe(
            // The one answer that carries the value: it leaves the Redacted box only here.
            Effect.map(({ token, value }) => ({ token, value: Redacted.value(value) })),
            answerProblems
          ))
      .handle("revoke", ({ params }) =>
        Effect.flatMap(CurrentMembership, ({ workspace }) => tokens.revoke({ workspaceId: workspace.id, id: params.id })).pipe(
          answerProblems
        ))
  })
)
