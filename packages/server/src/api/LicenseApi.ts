import { LicenseStatus } from "@releasepassport/core"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { AcceptedScopes } from "./Security.ts"
import { SessionOrToken } from "./SessionOrTokenSecurity.ts"
import { MinimumRole, WorkspaceQuery } from "./SessionSecurity.ts"

export class LicenseApi extends HttpApiGroup.make("license")
  .add(
    HttpApiEndpoint.get("status", "/license/status", { query: WorkspaceQuery, success: LicenseStatus })
      .annotate(MinimumRole, "viewer")
      .annotate(AcceptedScopes, ["license:read"])
      .annotate(
        OpenApi.Description,
        "The installation's license: active, expiring (30 days or less left), expired, invalid or community; " +
          "the entitlements in effect and the services used against them. Never the license document, its " +
          "signature or any key. A session (any role in the workspace) or a token with scope license:read."
      )
  )
  .middleware(SessionOrToken)
  .annotateMerge(OpenApi.annotations({ title: "License", description: "License status and entitlements" }))
{}
