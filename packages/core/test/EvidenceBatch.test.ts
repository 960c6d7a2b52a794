import { Exit, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { EvidenceBatch, EvidenceLimits, nestedDeeperThan } from "../src/index.ts"

const decode = Schema.decodeUnknownExit(EvidenceBatch)

const batch = (details: unknown) => ({
  source: "github_actions",
  externalId: "run-4711",
  service: { name: "checkout-api", namespace: "apps-checkout", environment: "production" },
  release: { releaseId: "gh-123456", sourceSha: "9f3c8b7", renderedManifestPath: "rendered/checkout-api.yaml" },
  artifact: { digest: `sha256:${"3f1a9c0e".repeat(8)}` },
  evidence: [{ type: "unit-tests", status: "passed", summary: "1243 passed", details }]
})

/** Details with `levels` containers inside one another, as a client would send them (parsed JSON text). */
const nested = (levels: number, open = '{"a":', close = "}"): unknown =>
  JSON.parse(open.repeat(levels - 1) + '{"leaf":1}' + close.repeat(levels - 1))

const failureText = (exit: Exit.Exit<unknown, unknown>): string => (Exit.isFailure(exit) ? String(exit.cause) : "")

describe("evidence details depth", () => {
  it(`accepts details nested ${EvidenceLimits.detailsDepth} levels deep`, () => {
    expect(Exit.isSuccess(decode(batch(nested(EvidenceLimits.detailsDepth))))).toBe(true)
  })

  it("refuses one level more, with a message that says why", () => {
    const exit = decode(batch(nested(EvidenceLimits.detailsDepth + 1)))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(failureText(exit)).toContain(`nested at most ${EvidenceLimits.detailsDepth} levels deep`)
  })

  it("refuses ~4,100 levels (8 KiB) as a validation issue instead of overflowing the stack", () => {
    for (const [open, close] of [['{"a":', "}"], ['{"a":[', "]}"]] as const) {
      const deep = nested(4_100, open, close)
      const exit = decode(batch(deep))
      expect(Exit.isFailure(exit)).toBe(true)
      const text = failureText(exit)
      expect(text).toContain("levels deep")
      expect(text).not.toMatch(/Maximum call stack|RangeError/)
    }
  })

  it("survives nesting far past what recursion could walk", () => {
    let deep: unknown = 1
    for (let i = 0; i < 1_000_000; i++) deep = [deep]
    expect(nestedDeeperThan(deep, 32)).toBe(true)
  })

  it("counts arrays and objects alike, and ignores how wide a level is", () => {
    expect(nestedDeeperThan({ a: [{ b: [1] }] }, 4)).toBe(false)
    expect(nestedDeeperThan({ a: [{ b: [[1]] }] }, 4)).toBe(true)
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, { v: [i] }]))
    expect(nestedDeeperThan(wide, 3)).toBe(false)
    expect(nestedDeeperThan(wide, 2)).toBe(true)
  })

  it("treats a cycle as too deep rather than looping", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    expect(nestedDeeperThan(cyclic, 32)).toBe(true)
  })
})
