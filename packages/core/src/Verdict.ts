import { Schema } from "effect"
import { Finding, HostCodes, sortFindings } from "./Finding.ts"
import type { GateMode } from "./GateRequest.ts"
import { GateMode as GateModeSchema } from "./GateRequest.ts"
import type { PolicyEvaluationError } from "./errors.ts"
import type { PolicyDecision } from "./PolicyDecision.ts"

export const VerdictKind = Schema.Literals(["pass", "warn", "fail", "error"])
export type VerdictKind = typeof VerdictKind.Type

/** Which policy decided: enough to reproduce the decision later. */
export const PolicyRef = Schema.Struct({
  revision: Schema.String,
  bundleDigest: Schema.String,
  entrypoint: Schema.String
})
export type PolicyRef = typeof PolicyRef.Type

export const Verdict = Schema.Struct({
  mode: GateModeSchema,
  verdict: VerdictKind,
  /** What the pipeline should do now. */
  allowed: Schema.Boolean,
  /** What enforce mode would have done: in shadow this is the real answer to "would it block?". */
  wouldBlock: Schema.Boolean,
  blockers: Schema.Array(Finding),
  warnings: Schema.Array(Finding),
  policy: PolicyRef,
  evaluatedAt: Schema.String,
  durationMs: Schema.Number
})
export type Verdict = typeof Verdict.Type

/** The outcome of running the policy: a decision, or the reason there is none. */
export type PolicyOutcome =
  | { readonly _tag: "Decided"; readonly decision: PolicyDecision }
  | { readonly _tag: "Failed"; readonly error: PolicyEvaluationError }

const DEFAULT_POLICY_GROUP = "gate"

const toFinding = (item: PolicyDecision["deny"][number]): Finding => ({
  code: item.code,
  policy: item.policy ?? DEFAULT_POLICY_GROUP,
  message: item.message,
  ...(item.remediation !== undefined ? { remediation: item.remediation } : {}),
  ...(item.evidence !== undefined && item.evidence.length > 0 ? { evidence: [...item.evidence].sort() } : {})
})

const evaluationFailed = (error: PolicyEvaluationError): Finding => ({
  code: HostCodes.evaluationFailed,
  policy: "host",
  message: error.message,
  remediation: error.reason === "timeout"
    ? "Simplify the policy or raise the evaluation time budget; until then every gate fails closed."
    : "Fix or roll back the policy bundle; until then every gate fails closed."
})

/**
 * The verdict as a value: a pure function of the mode and the policy outcome.
 *
 * - any blocker → `fail`; warnings only → `warn`; nothing → `pass`;
 * - no usable decision → `error` with blocker `policy.evaluation_failed`;
 * - enforce blocks on `fail` and `error`; shadow never blocks but reports `wouldBlock`.
 */
export const decideVerdict = (args: {
  readonly mode: GateMode
  readonly outcome: PolicyOutcome
  readonly policy: PolicyRef
  readonly evaluatedAt: string
  readonly durationMs: number
}): Verdict => {
  const { mode, outcome } = args
  const blockers = outcome._tag === "Failed"
    ? [evaluationFailed(outcome.error)]
    : sortFindings(outcome.decision.deny.map(toFinding))
  const warnings = outcome._tag === "Failed" ? [] : sortFindings(outcome.decision.warn.map(toFinding))
  const verdict: VerdictKind = outcome._tag === "Failed"
    ? "error"
    : blockers.length > 0
    ? "fail"
    : warnings.length > 0
    ? "warn"
    : "pass"
  const wouldBlock = verdict === "fail" || verdict === "error"
  return {
    mode,
    verdict,
    allowed: mode === "shadow" ? true : !wouldBlock,
    wouldBlock,
    blockers,
    warnings,
    policy: args.policy,
    evaluatedAt: args.evaluatedAt,
    durationMs: args.durationMs
  }
}
