import { GateRequest } from "@releasepassport/core"
import { GateResponse } from "@releasepassport/app"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { IdempotencyKeyHeader } from "./IdempotencyKey.ts"
import { Conflict, InvalidRequest, ServiceUnavailable } from "./Problems.ts"
import { AcceptedScopes, BearerToken } from "./Security.ts"

export { GateResponse }

export class GateApi extends HttpApiGroup.make("gate")
  .add(
    HttpApiEndpoint.post("evaluate", "/gate/evaluate", {
      payload: GateRequest,
      headers: IdempotencyKeyHeader,
      success: GateResponse,
      error: [InvalidRequest, Conflict, ServiceUnavailable]
    }).annotate(AcceptedScopes, ["gate:evaluate"])
      .annotate(
        OpenApi.Description,
        "Asks for a verdict before promoting a release. Fails closed. With an Idempotency-Key, a retry records no second evaluation and gets the first answer."
      )
  )
  .middleware(BearerToken)
  .annotateMerge(OpenApi.annotations({ title: "Gate", description: "Release verdicts for pipelines" }))
{}
