import { describe, expect, it } from "vitest"
import { decideVerdict, PolicyEvaluationError } from "../src/index.ts"
import type { GateMode, PolicyOutcome } from "../src/index.ts"

const policy = { revision: "r1", bundleDigest: "sha256:00", entrypoint: "releasepassport/gate/decision" }
const item = (code: string, extra = {}) => ({ code, message: `${code} happened`, ...extra })
const decided = (deny: Array<ReturnType<typeof item>>, warn: Array<ReturnType<typeof item>> = []): PolicyOutcome => ({
  _tag: "Decided",
  decision: { deny, warn }
})
const failed: PolicyOutcome = {
  _tag: "Failed",
  error: new PolicyEvaluationError({ reason: "trap", message: "policy evaluation aborted: boom" })
}
const decide = (mode: GateMode, outcome: PolicyOutcome) =>
  decideVerdict({ mode, outcome, policy, evaluatedAt: "2026-11-28T00:00:00.000Z", durationMs: 1 })

describe("decideVerdict", () => {
  it.each([
    ["enforce", decided([]), "pass", true, false],
    ["shadow", decided([]), "pass", true, false],
    ["enforce", decided([], [item("w.one")]), "warn", true, false],
    ["shadow", decided([], [item("w.one")]), "warn", true, false],
    ["enforce", decided([item("d.one")]), "fail", false, true],
    ["shadow", decided([item("d.one")]), "fail", true, true],
    ["enforce", failed, "error", false, true],
    ["shadow", failed, "error", true, true]
  ] as const)("%s with %j gives %s (allowed %s, wouldBlock %s)", (mode, outcome, verdict, allowed, wouldBlock) => {
    expect(decide(mode, outcome)).toMatchObject({ mode, verdict, allowed, wouldBlock })
  })

  it("sorts findings and evidence ids so equal decisions give equal answers", () => {
    const verdict = decide("enforce", decided([item("z.last"), item("a.first", { evidence: ["ev_2", "ev_1"] })]))
    expect(verdict.blockers.map((b) => b.code)).toEqual(["a.first", "z.last"])
    expect(verdict.blockers[0]?.evidence).toEqual(["ev_1", "ev_2"])
  })

  it("names the rule group, defaulting to gate when a policy does not say", () => {
    const verdict = decide("enforce", decided([item("a.one", { policy: "gate/artifact" }), item("b.two")]))
    expect(verdict.blockers.map((b) => b.policy)).toEqual(["gate/artifact", "gate"])
  })

  it("an evaluation failure is one blocker policy.evaluation_failed carrying the reason", () => {
    const verdict = decide("enforce", failed)
    expect(verdict.blockers).toEqual([
      expect.objectContaining({ code: "policy.evaluation_failed", policy: "host", message: "policy evaluation aborted: boom" })
    ])
    expect(verdict.warnings).toEqual([])
  })
})
