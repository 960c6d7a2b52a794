import { ConnectorStore, connectorFreshness, DEFAULT_CONNECTOR_INTERVAL_SECONDS } from "@releasepassport/core"
import type { ConnectorActivity } from "@releasepassport/core"
import { Clock, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import type { ConnectorView } from "../api/IntegrationsApi.ts"
import { CurrentMembership } from "../api/SessionSecurity.ts"
import { unavailable } from "../auth/BearerTokenLive.ts"

const view = (activity: ConnectorActivity, now: Date): ConnectorView => {
  const { connector } = activity
  return {
    source: connector.source,
    displayName: connector.displayName,
    declared: connector.declared,
    expectedIntervalSeconds: connector.expectedIntervalSeconds ?? DEFAULT_CONNECTOR_INTERVAL_SECONDS,
    freshness: connectorFreshness(connector, now),
    lastSeenAt: connector.lastSeenAt,
    lastBatch: connector.lastBatch,
    itemsLast24h: activity.itemsLast24h,
    rejectedLast24h: activity.rejectedLast24h,
    rejectedTotal: activity.rejectedTotal,
    environments: connector.environments
  }
}

export const IntegrationHandlers = HttpApiBuilder.group(
  Api,
  "integrations",
  Effect.fn(function*(handlers) {
    const connectors = yield* ConnectorStore
    return handlers
      .handle("list", () =>
        Effect.gen(function*() {
          const { workspace } = yield* CurrentMembership
          const now = new Date(yield* Clock.currentTimeMillis)
          const activity = yield* connectors.list({ workspaceId: workspace.id, now }).pipe(Effect.mapError(unavailable))
          return { connectors: activity.map((a) => view(a, now)), checkedAt: now.toISOString() }
        }))
      .handle("declare", ({ params, payload }) =>
        Effect.gen(function*() {
          const { workspace } = yield* CurrentMembership
          const now = new Date(yield* Clock.currentTimeMillis)
          yield* connectors.declare({
            workspaceId: workspace.id,
            source: params.source,
            displayName: payload.displayName ?? null,
            expectedIntervalSeconds: payload.expectedIntervalSeconds ?? null,
            environments: payload.environments ?? [],
            now
          }).pipe(Effect.mapError(unavailable))
          const activity = yield* connectors.list({ workspaceId: workspace.id, now }).pipe(Effect.mapError(unavailable))
          return view(activity.find((a) => a.connector.source === params.source)!, now)
        }))
  })
)
