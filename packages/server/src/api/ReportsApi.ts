import { GateMode, Rfc3339, VerdictKind } from "@releasepassport/core"
import { ImpactReport } from "@releasepassport/app"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { InvalidRequest, NotFound } from "./Problems.ts"
import { AcceptedScopes } from "./Security.ts"
import { SessionOrToken } from "./SessionOrTokenSecurity.ts"
import { MinimumRole, WorkspaceQuery } from "./SessionSecurity.ts"

export { ImpactReport, PassportReport } from "@releasepassport/app"

const Name = Schema.String.check(Schema.isMaxLength(200))

const WindowQuery = {
  since: Schema.optional(Rfc3339).annotate({ description: "Start of the window (inclusive); default 30 days before until." }),
  until: Schema.optional(Rfc3339).annotate({ description: "End of the window (exclusive); default now." })
}

const ImpactQuery = {
  ...WorkspaceQuery,
  ...WindowQuery,
  environment: Schema.optional(Name),
  service: Schema.optional(Name),
  namespace: Schema.optional(Name)
}

const WHO = "A session (any role in the workspace) or a token with scope reports:read."

export class ReportsApi extends HttpApiGroup.make("reports")
  .add(
    HttpApiEndpoint.get("impact", "/reports/impact", { query: ImpactQuery, success: ImpactReport, error: InvalidRequest })
      .annotate(MinimumRole, "viewer")
      .annotate(AcceptedScopes, ["reports:read"])
      .annotate(
        OpenApi.Description,
        "Shadow impact: shadow evaluations enforce would have blocked, by rule, service and environment; policy errors " +
          "apart; allowed ones counted; enforce blocks of the same window beside them. " + WHO
      ),
    HttpApiEndpoint.get("decisions", "/reports/decisions", {
      query: {
        ...ImpactQuery,
        verdict: Schema.optional(VerdictKind),
        mode: Schema.optional(GateMode),
        format: Schema.optional(Schema.Literals(["csv", "jsonl"])).annotate({ description: "Default csv." })
      },
      success: HttpApiSchema.StreamUint8Array({ contentType: ["text/csv", "application/x-ndjson"] }),
      error: InvalidRequest
    })
      .annotate(MinimumRole, "viewer")
      .annotate(AcceptedScopes, ["reports:read"])
      .annotate(
        OpenApi.Description,
        "Every gate decision of the window, oldest first, streamed as CSV (RFC 4180, header row, formula cells " +
          "neutralised) or JSON Lines; allow-listed fields only (the token's name and id, never its value). " + WHO
      ),
    HttpApiEndpoint.get("passportReport", "/passports/:id/report", {
      params: { id: Schema.String.check(Schema.isMaxLength(100)) },
      query: { ...WorkspaceQuery, format: Schema.optional(Schema.Literals(["html", "json"])).annotate({ description: "Default html." }) },
      success: HttpApiSchema.StreamUint8Array({ contentType: ["text/html", "application/json"] }),
      error: NotFound
    })
      .annotate(MinimumRole, "viewer")
      .annotate(AcceptedScopes, ["reports:read"])
      .annotate(
        OpenApi.Description,
        "One release for a change record: identity, verdicts per environment, blockers with remediation, evidence " +
          "(with a sha256 of its sanitized details; never a private item's details), policies, comments. Printable HTML or JSON. " + WHO
      ),
    HttpApiEndpoint.get("auditPack", "/reports/audit-pack", {
      query: { ...WorkspaceQuery, ...WindowQuery },
      success: HttpApiSchema.StreamUint8Array({ contentType: "application/zip" }),
      error: InvalidRequest
    })
      .annotate(MinimumRole, "admin")
      .annotate(AcceptedScopes, ["reports:read"])
      .annotate(
        OpenApi.Description,
        "A zip for auditors: manifest.json (sha256 and size of every entry), decisions.csv with a hash chain, one JSON " +
          "passport report per release of the window and an HTML summary. Check it with `releasepassport report verify`. " +
          "A session of an admin or owner, or a token with scope reports:read."
      )
  )
  .middleware(SessionOrToken)
  .annotateMerge(OpenApi.annotations({ title: "Reports", description: "Shadow impact, decision export, passport reports, audit packs" }))
{}
