import { Effect, Schema } from "effect"
import { parseTarGzip } from "nanotar"
import { PolicyBundleError } from "./errors.ts"
import { GateMode } from "./GateRequest.ts"
import type { PolicyInput } from "./PolicyInput.ts"
import type { Verdict } from "./Verdict.ts"

/**
 * Where a bundle carries its own cases: the project's `cases/gate-cases.json`, packed by
 * `policy build` next to `policy.wasm`. OPA ignores files it does not know in a bundle.
 */
export const BUNDLE_CASES_PATH = "cases/gate-cases.json"

/** More cases than this in one bundle is refused: each is evaluated on every upload. */
export const MAX_BUNDLE_CASES = 1_000

const Codes = Schema.Array(Schema.String)

/**
 * One case: a policy input (as `buildPolicyInput` makes it, `ageSeconds` included), optional
 * replacements for top-level keys of the bundle's `releasepassport.config`, and the finding
 * codes the decision must give, sorted, one per finding.
 */
export const BundleCase = Schema.Struct({
  name: Schema.String,
  input: Schema.StructWithRest(
    Schema.Struct({
      request: Schema.StructWithRest(Schema.Struct({ mode: GateMode }), [Schema.Record(Schema.String, Schema.Unknown)]),
      now: Schema.String
    }),
    [Schema.Record(Schema.String, Schema.Unknown)]
  ),
  data: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
  expect: Schema.Struct({ deny: Codes, warn: Codes })
})
export type BundleCase = typeof BundleCase.Type

const decodeCases = Schema.decodeUnknownExit(Schema.Array(BundleCase))

const casesError = (message: string) => new PolicyBundleError({ reason: "invalid_cases", message })

/**
 * The cases a bundle ships (`undefined` when it ships none). A cases file that is not an array
 * of cases is an error, not "no cases": a bundle does not get past its own checks by breaking them.
 */
export const readBundleCases = (bytes: Uint8Array): Effect.Effect<ReadonlyArray<BundleCase> | undefined, PolicyBundleError> =>
  Effect.gen(function*() {
    const files = yield* Effect.tryPromise({
      try: () => parseTarGzip(bytes),
      catch: () => new PolicyBundleError({ reason: "not_a_bundle", message: "not a gzipped tar archive" })
    })
    const file = files.find((f) => f.name.replace(/^\.?\//, "") === BUNDLE_CASES_PATH)
    if (file === undefined) return undefined
    const parsed = yield* Effect.try({
      try: () => JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(file.data ?? new Uint8Array())) as unknown,
      catch: () => casesError(`${BUNDLE_CASES_PATH} is not valid JSON`)
    })
    const decoded = decodeCases(parsed)
    if (decoded._tag === "Failure") {
      return yield* casesError(`${BUNDLE_CASES_PATH} is not an array of {name, input: {request: {mode}, now}, data?, expect: {deny, warn}}`)
    }
    if (decoded.value.length > MAX_BUNDLE_CASES) {
      return yield* casesError(`${BUNDLE_CASES_PATH} has ${decoded.value.length} cases; at most ${MAX_BUNDLE_CASES} are run`)
    }
    return decoded.value
  })

/** The input a case is evaluated on. */
export const caseInput = (testCase: BundleCase): PolicyInput => testCase.input as unknown as PolicyInput

/** What a verdict gave, in the cases' terms: codes sorted, one per finding; an error says why. */
export type CaseOutcome =
  | { readonly deny: ReadonlyArray<string>; readonly warn: ReadonlyArray<string> }
  | { readonly error: string }

const sortedCodes = (findings: ReadonlyArray<{ readonly code: string }>) => findings.map((f) => f.code).sort()

export const caseOutcome = (verdict: Verdict): CaseOutcome =>
  verdict.verdict === "error"
    ? { error: verdict.blockers[0]?.message ?? "no decision" }
    : { deny: sortedCodes(verdict.blockers), warn: sortedCodes(verdict.warnings) }

const sameCodes = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => {
  const left = [...a].sort()
  const right = [...b].sort()
  return left.length === right.length && left.every((code, i) => code === right[i])
}

/** `undefined` when the case holds; otherwise one line: the case, what it expects, what it got. */
export const caseMismatch = (testCase: BundleCase, outcome: CaseOutcome): string | undefined => {
  const expected = `deny [${[...testCase.expect.deny].sort().join(", ")}] warn [${[...testCase.expect.warn].sort().join(", ")}]`
  if ("error" in outcome) return `case ${JSON.stringify(testCase.name)}: expected ${expected}, got an error: ${outcome.error}`
  if (sameCodes(outcome.deny, testCase.expect.deny) && sameCodes(outcome.warn, testCase.expect.warn)) return undefined
  return `case ${JSON.stringify(testCase.name)}: expected ${expected}, got deny [${outcome.deny.join(", ")}] warn [${outcome.warn.join(", ")}]`
}

/**
 * A bundle's data with a case's `data` applied: each named top-level key of
 * `releasepassport.config` replaced (the shallow merge `policies/src/cases_test.rego` makes).
 */
export const withConfigOverride = (data: Record<string, unknown>, override: Record<string, unknown> | undefined): Record<string, unknown> => {
  if (override === undefined) return data
  const releasepassport = (data.releasepassport ?? {}) as Record<string, unknown>
  const config = (releasepassport.config ?? {}) as Record<string, unknown>
  return { ...data, releasepassport: { ...releasepassport, config: { ...config, ...override } } }
}
