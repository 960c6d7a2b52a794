import { EvidenceBatch, EvidenceIngestResult } from "@releasepassport/core"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { Conflict, InvalidRequest, ServiceUnavailable } from "./Problems.ts"
import { EvidenceRejections } from "./EvidenceRejections.ts"
import { IdempotencyKeyHeader } from "./IdempotencyKey.ts"
import { AcceptedScopes, BearerToken } from "./Security.ts"

export class EvidenceApi extends HttpApiGroup.make("evidence")
  .add(
    HttpApiEndpoint.post("ingest", "/evidence/ingest", {
      payload: EvidenceBatch,
      headers: IdempotencyKeyHeader,
      success: EvidenceIngestResult,
      error: [InvalidRequest, Conflict, ServiceUnavailable]
    }).annotate(AcceptedScopes, ["evidence:ingest"])
      .annotate(
        OpenApi.Description,
        "Attaches evidence to a release's passport. Sanitized before it is stored; idempotent per item and per Idempotency-Key."
      )
  )
  // Added first, so it runs inside BearerToken (the last added runs first).
  .middleware(EvidenceRejections)
  .middleware(BearerToken)
  .annotateMerge(OpenApi.annotations({ title: "Evidence", description: "Evidence from CI, tests and scanners" }))
{}
