import { EvidenceName } from "@releasepassport/core"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { MinimumRole, SessionAuth, WorkspaceAccess, WorkspaceQuery } from "./SessionSecurity.ts"


export const ConnectorView = Schema.Struct({
  source: Schema.String,
  displayName: Schema.NullOr(Schema.String),
  /** Declared by an admin (shows before it ever reports). */
  declared: Schema.Boolean,
  /** The interval freshness is measured against (declared, else 24 h). */
  expectedIntervalSeconds: Schema.Int,
  freshness: Schema.Literals(["fresh", "stale", "silent", "never_seen"]),
  /** Last accepted batch. */
  lastSeenAt: Schema.NullOr(Schema.String),
  lastBatch: Schema.NullOr(Schema.Struct({
    at: Schema.String,
    outcome: Schema.Literals(["accepted", "rejected"]),
    detail: Schema.String
  })),
  itemsLast24h: Schema.Int,
  rejectedLast24h: Schema.Int,
  rejectedTotal: Schema.Int,
  /** Environments whose required evidence comes from this connector. */
  environments: Schema.Array(Schema.String)
})
export type ConnectorView = typeof ConnectorView.Type

export const IntegrationList = Schema.Struct({
  connectors: Schema.Array(ConnectorView),
  /** The instant freshness was computed at. */
  checkedAt: Schema.String
})

export const DeclareConnector = Schema.Struct({
  displayName: Schema.optional(Schema.NullOr(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)))),
  expectedIntervalSeconds: Schema.optional(
    Schema.NullOr(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 30 * 24 * 3600 })))
  ),
  environments: Schema.optional(
    Schema.Array(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100))).check(Schema.isMaxLength(50))
  )
})

export class IntegrationsApi extends HttpApiGroup.make("integrations")
  .add(
    HttpApiEndpoint.get("list", "/integrations", { query: WorkspaceQuery, success: IntegrationList })
      .annotate(MinimumRole, "viewer")
      .annotate(OpenApi.Description, "Connector health and freshness: every evidence source, declared or seen."),
    HttpApiEndpoint.put("declare", "/integrations/:source", {
      params: { source: EvidenceName },
      query: WorkspaceQuery,
      payload: DeclareConnector,
      success: ConnectorView
    })
      .annotate(MinimumRole, "admin")
      .annotate(
        OpenApi.Description,
        "Declares a connector ahead of time: display name, expected interval, environments that depend on it."
      )
  )
  .middleware(WorkspaceAccess)
  .middleware(SessionAuth)
  .annotateMerge(OpenApi.annotations({ title: "Integrations", description: "Connector health, for the console" }))
{}
