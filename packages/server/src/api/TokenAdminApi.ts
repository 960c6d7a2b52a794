import { CreatedToken, CreateTokenRequest, TokenList, TokenScope, TokenView } from "@releasepassport/app"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { NotFound } from "./Problems.ts"
import { MinimumRole, SessionAuth, WorkspaceAccess, WorkspaceQuery } from "./SessionSecurity.ts"

export { CreatedToken, CreateTokenRequest, TokenList, TokenScope, TokenView }

export class TokenAdminApi extends HttpApiGroup.make("tokens")
  .add(
    HttpApiEndpoint.get("list", "/tokens", { query: WorkspaceQuery, success: TokenList })
      .annotate(MinimumRole, "admin")
      .annotate(OpenApi.Description, "The workspace's API tokens, newest first (never their values)."),
    HttpApiEndpoint.post("create", "/tokens", {
      query: WorkspaceQuery,
      payload: CreateTokenRequest,
      success: CreatedToken.pipe(HttpApiSchema.status(201))
    })
      .annotate(MinimumRole, "admin")
      .annotate(OpenApi.Description, "Creates an API token; its value is in this answer only."),
    HttpApiEndpoint.delete("revoke", "/tokens/:id", {
      params: { id: Schema.String },
      query: WorkspaceQuery,
      error: NotFound
    })
      .annotate(MinimumRole, "admin")
      .annotate(OpenApi.Description, "Revokes a token of the workspace: it stops working at once.")
  )
  .middleware(WorkspaceAccess)
  .middleware(SessionAuth)
  .annotateMerge(OpenApi.annotations({ title: "Tokens", description: "API tokens, managed by workspace admins" }))
{}
