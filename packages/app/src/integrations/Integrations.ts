import { ConnectorStore, connectorFreshness, DEFAULT_CONNECTOR_INTERVAL_SECONDS } from "@releasepassport/core"
import type { ConnectorActivity, StoreUnavailable } from "@releasepassport/core"
import { Clock, Context, Effect, Layer } from "effect"
import type { SecretInIdentifier } from "../errors.ts"
import { admit } from "../StorageText.ts"
import type { ConnectorView, IntegrationList } from "./ConnectorView.ts"

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

/** Connector health (every evidence source, declared or seen) and declaring a connector ahead of time. */
export class Integrations extends Context.Service<Integrations, {
  readonly list: (workspaceId: string) => Effect.Effect<IntegrationList, StoreUnavailable>
  /** What the connector store keeps of a declaration, less the clock (the use case reads it). */
  readonly declare: (
    input: Omit<Parameters<ConnectorStore["Service"]["declare"]>[0], "now">
  ) => Effect.Effect<ConnectorView, SecretInIdentifier | StoreUnavailable>
}>()("@releasepassport/app/Integrations") {
  static readonly layer = Layer.effect(
    Integrations,
    Effect.gen(function*() {
      const connectors = yield* ConnectorStore
      return Integrations.of({
        list: (workspaceId) =>
          Effect.gen(function*() {
            const now = new Date(yield* Clock.currentTimeMillis)
            const activity = yield* connectors.list({ workspaceId, now })
            return { connectors: activity.map((a) => view(a, now)), checkedAt: now.toISOString() }
          }),
        declare: Effect.fn("Integrations.declare")(function*(input) {
          const now = new Date(yield* Clock.currentTimeMillis)
          // Source, display name and environments all name things: the identifier rule.
          const admitted = (yield* admit(input)).value
          yield* connectors.declare({ ...admitted, now })
          const activity = yield* connectors.list({ workspaceId: input.workspaceId, now })
          return view(activity.find((a) => a.connector.source === input.source)!, now)
        })
      })
    })
  )
}
