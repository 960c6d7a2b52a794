import { Effect, Schema } from "effect"
import { PolicyEvaluationError } from "./errors.ts"
import type { PolicyBundle } from "./PolicyBundle.ts"
import { PolicyDecision } from "./PolicyDecision.ts"
import type { GateContext, PolicyInput } from "./PolicyInput.ts"
import { buildPolicyInput } from "./PolicyInput.ts"
import type { PolicyOutcome, Verdict } from "./Verdict.ts"
import { decideVerdict } from "./Verdict.ts"

export interface EvaluateGateOptions {
  /**
   * Time budget for one evaluation, in milliseconds (default 250). An evaluation that
   * overruns it is discarded and the verdict is `error`: a policy too slow to answer
   * in time does not get to decide.
   */
  readonly budgetMs?: number
}

const decodeDecision = Schema.decodeUnknownExit(PolicyDecision)

/** The result set of `opa-wasm` `evaluate()`: `[{ result }]`, or `[]` when undefined. */
const toOutcome = (resultSet: unknown): PolicyOutcome => {
  if (!Array.isArray(resultSet) || resultSet.length === 0) {
    return {
      _tag: "Failed",
      error: new PolicyEvaluationError({
        reason: "undefined_decision",
        message: "the policy decision is undefined (the entrypoint produced no result)"
      })
    }
  }
  const result = (resultSet[0] as { result?: unknown } | undefined)?.result
  const decoded = decodeDecision(result)
  if (decoded._tag === "Failure") {
    return {
      _tag: "Failed",
      error: new PolicyEvaluationError({
        reason: "malformed_decision",
        message: "the policy decision is not {deny: [{code, message, ...}], warn: [...]}"
      })
    }
  }
  return { _tag: "Decided", decision: decoded.value }
}

/**
 * Evaluates the gate policy for one request and returns the verdict. Never fails:
 * every way the policy can go wrong is a verdict `error`, which enforce mode blocks.
 */
export const evaluateGate = (
  bundle: PolicyBundle,
  context: GateContext,
  options: EvaluateGateOptions = {}
): Effect.Effect<Verdict> => evaluatePolicyInput(bundle, buildPolicyInput(context), options)

/**
 * `evaluateGate` on an input already built (`buildPolicyInput`), e.g. one recorded with a past
 * evaluation and replayed against another bundle: the mode and the instant come from the input.
 */
export const evaluatePolicyInput = (
  bundle: PolicyBundle,
  input: PolicyInput,
  options: EvaluateGateOptions = {}
): Effect.Effect<Verdict> =>
  Effect.gen(function*() {
    const budgetMs = options.budgetMs ?? 250
    const raw = yield* Effect.result(bundle.evaluateRaw(input))
    const durationMs = raw._tag === "Success" ? Math.round(raw.success.durationMs * 1000) / 1000 : 0
    const outcome: PolicyOutcome = raw._tag === "Failure"
      ? { _tag: "Failed", error: raw.failure }
      : durationMs > budgetMs
      ? {
        _tag: "Failed",
        error: new PolicyEvaluationError({
          reason: "timeout",
          message: `policy evaluation took ${Math.round(durationMs)} ms; the budget is ${budgetMs} ms`
        })
      }
      : toOutcome(raw.success.result)
    return decideVerdict({
      mode: input.request.mode,
      outcome,
      policy: { revision: bundle.revision, bundleDigest: bundle.digest, entrypoint: bundle.entrypoint },
      evaluatedAt: input.now,
      durationMs
    })
  })
