import { Verdict } from "@releasepassport/core"
import { Schema } from "effect"

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

