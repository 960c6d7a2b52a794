import { Finding, Verdict, VerdictKind } from "@releasepassport/core"
import type { GateRequest, RecordedGateEvaluation } from "@releasepassport/core"
import { Schema } from "effect"
import { verdictOf } from "../passports/PassportViews.ts"

// The verdict as core decides it (without its timing, which is for logs), and where it is recorded.
const { durationMs: _durationMs, ...verdictFields } = Verdict.fields

export const GateResponse = Schema.Struct({
  evaluationId: Schema.String,
  passportId: Schema.String,
  ...verdictFields,
  service: Schema.Struct({ name: Schema.String, namespace: Schema.String, environment: Schema.String }),
  release: Schema.Struct({ releaseId: Schema.String, sourceSha: Schema.String }),
  artifact: Schema.Struct({ digest: Schema.String }),
  /** The workspace's candidate bundle's verdict on the same input, in shadow: it never changes `allowed`. */
  candidate: Schema.optionalKey(Schema.Struct({
    verdict: VerdictKind,
    blockers: Schema.Array(Finding),
    warnings: Schema.Array(Finding),
    revision: Schema.String,
    bundleDigest: Schema.String
  }))
})
export type GateResponse = typeof GateResponse.Type


/**
 * The answer to a gate request, from what recording it stored: the same function answers the
 * first request and every replay of its `Idempotency-Key`, so they cannot differ.
 */
export const gateResponseOf = (request: GateRequest, recorded: RecordedGateEvaluation): GateResponse => ({
  evaluationId: recorded.evaluation.id,
  passportId: recorded.passport.id,
  ...verdictOf(recorded.evaluation),
  policy: recorded.policy,
  evaluatedAt: recorded.evaluation.evaluatedAt,
  service: request.service,
  release: { releaseId: request.release.releaseId, sourceSha: request.release.sourceSha },
  artifact: { digest: request.artifact.digest },
  ...(recorded.candidate !== null ? { candidate: recorded.candidate } : {})
})
