import { Schema } from "effect"

/** A policy bundle that cannot be used: not a tarball, no wasm, bad data, missing entrypoint. */
export class PolicyBundleError extends Schema.TaggedError<PolicyBundleError>()("PolicyBundleError", {
  reason: Schema.Literals([
    "too_large",
    "not_a_bundle",
    "missing_policy_wasm",
    "invalid_data",
    "invalid_manifest",
    "invalid_wasm",
    "missing_entrypoint",
    "invalid_cases"
  ]),
  message: Schema.String
}) {}

/**
 * The policy ran but gave no usable decision. Never surfaces to a caller as a failure:
 * `evaluateGate` turns it into verdict `error` (fail closed).
 */
export class PolicyEvaluationError extends Schema.TaggedError<PolicyEvaluationError>()(
  "PolicyEvaluationError",
  {
    reason: Schema.Literals([
      "bundle_unavailable",
      "undefined_decision",
      "malformed_decision",
      "trap",
      "out_of_memory",
      "timeout"
    ]),
    message: Schema.String
  }
) {}

/**
 * The database is out of reach (down, restarting, failing over, locked past the busy
 * timeout). Requests answer 503 and nothing is half-written; retrying later is safe.
 */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  message: Schema.String
}) {}
