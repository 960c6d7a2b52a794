import { Finding, GateMode, GateRequest, PolicyRef, VerdictKind } from "@releasepassport/core"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { InvalidRequest, ServiceUnavailable } from "./Problems.ts"
import { AcceptedScopes, BearerToken } from "./Security.ts"

export const GateResponse = Schema.Struct({
  evaluationId: Schema.String,
  passportId: Schema.String,
  mode: GateMode,
  verdict: VerdictKind,
  allowed: Schema.Boolean,
  wouldBlock: Schema.Boolean,
  blockers: Schema.Array(Finding),
  warnings: Schema.Array(Finding),
  policy: PolicyRef,
  evaluatedAt: Schema.String,
  service: Schema.Struct({ name: Schema.String, namespace: Schema.String, environment: Schema.String }),
  release: Schema.Struct({ releaseId: Schema.String, sourceSha: Schema.String }),
  artifact: Schema.Struct({ digest: Schema.String })
})
export type GateResponse = typeof GateResponse.Type

export class GateApi extends HttpApiGroup.make("gate")
  .add(
    HttpApiEndpoint.post("evaluate", "/gate/evaluate", {
      payload: GateRequest,
      success: GateResponse,
      error: [InvalidRequest, ServiceUnavailable]
    }).annotate(AcceptedScopes, ["gate:evaluate"])
      .annotate(OpenApi.Description, "Asks for a verdict before promoting a release. Fails closed.")
  )
  .middleware(BearerToken)
  .annotateMerge(OpenApi.annotations({ title: "Gate", description: "Release verdicts for pipelines" }))
{}
