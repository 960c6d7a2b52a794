import { GateMode, Rfc3339, VerdictKind } from "@releasepassport/core"
import { CommentView, NewComment, PASSPORT_PAGE_MAX, PassportDetailView, PassportPage } from "@releasepassport/app"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { Forbidden, InvalidRequest, NotFound } from "./Problems.ts"
import { MinimumRole, SessionAuth, WorkspaceAccess, WorkspaceQuery } from "./SessionSecurity.ts"

export {
  CommentView,
  EnvironmentVerdict,
  EvaluationView,
  EvidenceView,
  PASSPORT_PAGE_MAX,
  PassportDetailView,
  PassportListItem,
  PassportPage,
  PolicyUse
} from "@releasepassport/app"

const PassportParams = { id: Schema.String.check(Schema.isMaxLength(100)) }

export class PassportsApi extends HttpApiGroup.make("passports")
  .add(
    HttpApiEndpoint.get("list", "/passports", {
      query: {
        ...WorkspaceQuery,
        service: Schema.optional(Schema.String),
        namespace: Schema.optional(Schema.String),
        environment: Schema.optional(Schema.String),
        verdict: Schema.optional(VerdictKind),
        mode: Schema.optional(GateMode),
        since: Schema.optional(Rfc3339),
        limit: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: PASSPORT_PAGE_MAX }))),
        cursor: Schema.optional(Schema.String.check(Schema.isMaxLength(512)))
      },
      success: PassportPage,
      error: InvalidRequest
    })
      .annotate(MinimumRole, "viewer")
      .annotate(OpenApi.Description, "The workspace's passports, most recently updated first, with cursor pagination."),
    HttpApiEndpoint.get("get", "/passports/:id", {
      params: PassportParams,
      query: WorkspaceQuery,
      success: PassportDetailView,
      error: NotFound
    })
      .annotate(MinimumRole, "viewer")
      .annotate(
        OpenApi.Description,
        "One passport: verdict per environment, blockers, evidence timeline, policies, evaluations, comments."
      ),
    HttpApiEndpoint.post("comment", "/passports/:id/comments", {
      params: PassportParams,
      query: WorkspaceQuery,
      payload: NewComment,
      success: CommentView.pipe(HttpApiSchema.status(201)),
      error: NotFound
    })
      .annotate(MinimumRole, "member")
      .annotate(OpenApi.Description, "Adds a comment (sanitized like evidence)."),
    HttpApiEndpoint.delete("deleteComment", "/passports/:id/comments/:commentId", {
      params: { ...PassportParams, commentId: Schema.String.check(Schema.isMaxLength(100)) },
      query: WorkspaceQuery,
      error: [NotFound, Forbidden]
    })
      .annotate(MinimumRole, "member")
      .annotate(OpenApi.Description, "Deletes your own comment; admins and owners may delete any.")
  )
  .middleware(WorkspaceAccess)
  .middleware(SessionAuth)
  .annotateMerge(OpenApi.annotations({ title: "Passports", description: "Release passports, for the console" }))
{}
