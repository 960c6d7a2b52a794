import { describe, expect, it } from "vitest"
import { connectorFreshness } from "../src/index.ts"

const seen = "2026-11-28T12:00:00.000Z"
const at = (seconds: number) => new Date(Date.parse(seen) + seconds * 1000)

describe("connectorFreshness, on a clock the caller controls", () => {
  it("is never_seen before the first accepted batch, whatever the time", () => {
    expect(connectorFreshness({ lastSeenAt: null, expectedIntervalSeconds: 60 }, at(0))).toBe("never_seen")
    expect(connectorFreshness({ lastSeenAt: null, expectedIntervalSeconds: null }, at(1e9))).toBe("never_seen")
  })

  it.each([
    [0, "fresh"],
    [60, "fresh"],
    [61, "stale"],
    [180, "stale"],
    [181, "silent"],
    [86_400, "silent"]
  ] as const)("a 60 s connector %i s after its last batch is %s", (seconds, expected) => {
    expect(connectorFreshness({ lastSeenAt: seen, expectedIntervalSeconds: 60 }, at(seconds))).toBe(expected)
  })

  it("defaults to a 24 hour interval when none is declared", () => {
    expect(connectorFreshness({ lastSeenAt: seen, expectedIntervalSeconds: null }, at(86_400))).toBe("fresh")
    expect(connectorFreshness({ lastSeenAt: seen, expectedIntervalSeconds: null }, at(86_401))).toBe("stale")
    expect(connectorFreshness({ lastSeenAt: seen, expectedIntervalSeconds: null }, at(3 * 86_400 + 1))).toBe("silent")
  })
})
