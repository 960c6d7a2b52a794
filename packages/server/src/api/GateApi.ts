import { GateRequest } from "@releasepassport/core"
import { GateResponse } from "@releasepassport/app"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { InvalidRequest, ServiceUnavailable } from "./Problems.ts"
import { AcceptedScopes, BearerToken } from "./Security.ts"

export { GateResponse }

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
