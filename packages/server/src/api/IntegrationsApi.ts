import { EvidenceName } from "@releasepassport/core"
import { ConnectorView, IntegrationList } from "@releasepassport/app"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { MinimumRole, SessionAuth, WorkspaceAccess, WorkspaceQuery } from "./SessionSecurity.ts"

export { ConnectorView, IntegrationList }

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
