import { Schema } from "effect"

const MAX_TEXT = 4096

const DecisionItem = Schema.Struct({
  code: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
  message: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(MAX_TEXT)),
  policy: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(200))),
  remediation: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(MAX_TEXT))),
  evidence: Schema.optionalKey(Schema.Array(Schema.String))
})

/**
 * What the entrypoint `releasepassport/gate/decision` must return. Anything else
 * (undefined, a string, items without a code) is a broken policy and gives verdict `error`.
 */
export const PolicyDecision = Schema.Struct({
  deny: Schema.Array(DecisionItem).check(Schema.isMaxLength(1000)),
  warn: Schema.Array(DecisionItem).check(Schema.isMaxLength(1000))
})
export type PolicyDecision = typeof PolicyDecision.Type
