import { EvidenceName } from "@releasepassport/core"
import { ConnectorView, DeclareConnector, IntegrationList } from "@releasepassport/app"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { MinimumRole, SessionAuth, WorkspaceAccess, WorkspaceQuery } from "./SessionSecurity.ts"

export { ConnectorView, DeclareConnector, IntegrationList }

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
