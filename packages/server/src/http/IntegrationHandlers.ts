import { Integrations } from "@releasepassport/app"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { CurrentMembership } from "../api/SessionSecurity.ts"
import { answerProblems } from "./DomainProblems.ts"

export const IntegrationHandlers = HttpApiBuilder.group(
  Api,
  "integrations",
  Effect.fn(function*(handlers) {
    const integrations = yield* Integrations
    return handlers
      .handle("list", () => Effect.flatMap(CurrentMembership, ({ workspace }) => integrations.list(workspace.id)).pipe(answerProblems))
      .handle("declare", ({ params, payload }) =>
        Effect.flatMap(CurrentMembership, ({ workspace }) =>
          integrations.declare({
            workspaceId: workspace.id,
            source: params.source,
            displayName: payload.displayName ?? null,
            expectedIntervalSeconds: payload.expectedIntervalSeconds ?? null,
            environments: payload.environments ?? []
          })).pipe(answerProblems))
  })
)
