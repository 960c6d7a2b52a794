import { GateRequest, Verdict } from "@releasepassport/core"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { InvalidRequest, ServiceUnavailable } from "./Problems.ts"
import { AcceptedScopes, BearerToken } from "./Security.ts"

// The verdict as core decides it (without its timing, which is for logs), and where it is recorded.
const { durationMs: _durationMs, ...verdictFields } = Verdict.fields

export const GateResponse = Schema.Struct({
  evaluationId: Schema.String,
  passportId: Schema.String,
  ...verdictFields,
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
