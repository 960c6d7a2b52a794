import { Finding, Verdict, VerdictKind } from "@releasepassport/core"
import { Schema } from "effect"

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

