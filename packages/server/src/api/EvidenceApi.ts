import { EvidenceBatch, EvidenceIngestResult } from "@releasepassport/core"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { Conflict, InvalidRequest, ServiceUnavailable } from "./Problems.ts"
import { EvidenceRejections } from "./EvidenceRejections.ts"
import { AcceptedScopes, BearerToken } from "./Security.ts"

export class EvidenceApi extends HttpApiGroup.make("evidence")
  .add(
    HttpApiEndpoint.post("ingest", "/evidence/ingest", {
      payload: EvidenceBatch,
      headers: {
        "idempotency-key": Schema.optionalKey(
          Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200), Schema.isPattern(/^[\x21-\x7e]+$/))
        )
      },
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
