import { describe, expect, it } from "vitest"
import { evidenceAgeSeconds, isEvidenceStale, maxEvidenceAgeSeconds } from "../src/index.ts"
import { defaultBundleBytes, loadBundle } from "./support.ts"

const withAges = (ages: unknown) => ({ releasepassport: { config: { evidence: { max_age_seconds: ages } } } })

describe("the policy's maximum evidence age, read on the host", () => {
  it("the environment's own entry, else the default; none without a number", () => {
    const data = withAges({ default: 3600, staging: 600 })
    expect(maxEvidenceAgeSeconds(data, "staging")).toBe(600)
    expect(maxEvidenceAgeSeconds(data, "production")).toBe(3600)
    expect(maxEvidenceAgeSeconds(data, null)).toBe(3600)
    expect(maxEvidenceAgeSeconds(withAges({ staging: 600 }), "production")).toBeUndefined()
    // Like the rule: a present entry that is not a number does not fall back to the default.
    expect(maxEvidenceAgeSeconds(withAges({ default: 3600, staging: "10m" }), "staging")).toBeUndefined()
    expect(maxEvidenceAgeSeconds(withAges("3600"), "staging")).toBeUndefined()
    expect(maxEvidenceAgeSeconds({}, "staging")).toBeUndefined()
    expect(maxEvidenceAgeSeconds({ releasepassport: { config: [] } }, "staging")).toBeUndefined()
    expect(maxEvidenceAgeSeconds(null, "staging")).toBeUndefined()
    // Inherited names are not entries.
    expect(maxEvidenceAgeSeconds(withAges({ default: 60 }), "constructor")).toBe(60)
  })

  it("the shipped bundle's data: one day by default", async () => {
    const bundle = await loadBundle(defaultBundleBytes())
    expect(maxEvidenceAgeSeconds(bundle.data, "production")).toBe(86_400)
    expect(maxEvidenceAgeSeconds(bundle.data, null)).toBe(86_400)
  })

  it("ages in whole seconds, never negative; stale only beyond the maximum", () => {
    const now = Date.parse("2026-12-01T12:00:00.000Z")
    expect(evidenceAgeSeconds("2026-12-01T11:59:00.500Z", now)).toBe(59)
    expect(evidenceAgeSeconds("2026-12-01T12:05:00.000Z", now)).toBe(0)
    expect(isEvidenceStale(3600, 3600)).toBe(false)
    expect(isEvidenceStale(3601, 3600)).toBe(true)
    expect(isEvidenceStale(10 ** 9, undefined)).toBe(false)
  })
})
