import { Schema } from "effect"

/**
 * One thing a policy found: a blocker (from `deny`) or a warning (from `warn`).
 * The same shape is used by the API, the CLI and the console.
 */
export const Finding = Schema.Struct({
  /** Stable machine code, e.g. `artifact.digest_invalid`. */
  code: Schema.String,
  /** The rule group that produced it, e.g. `gate/artifact`. */
  policy: Schema.String,
  message: Schema.String,
  remediation: Schema.optionalKey(Schema.String),
  /** Ids of the evidence items the finding rests on. */
  evidence: Schema.optionalKey(Schema.Array(Schema.String))
})
export type Finding = typeof Finding.Type

/** Codes the host itself produces (never a policy). */
export const HostCodes = {
  evaluationFailed: "policy.evaluation_failed"
} as const

const byCodeThenMessage = (a: Finding, b: Finding) =>
  a.code < b.code ? -1 : a.code > b.code ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0

/** Findings in a stable order, so that equal decisions give byte-equal answers. */
export const sortFindings = (findings: ReadonlyArray<Finding>): ReadonlyArray<Finding> =>
  [...findings].sort(byCodeThenMessage)
