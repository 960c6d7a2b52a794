import { describe, expect, it } from "vitest"
import { safeNext } from "../src/ConsoleAuth.ts"

describe("where sign-in returns to", () => {
  it("keeps a console path with its query", () => {
    expect(safeNext("/console")).toBe("/console")
    expect(safeNext("/console/passports?verdict=fail&workspace=alpha")).toBe("/console/passports?verdict=fail&workspace=alpha")
    expect(safeNext("/console/passports/pp_01ABC")).toBe("/console/passports/pp_01ABC")
  })

  it("never leaves the console: other sites, other paths and tricks fall back to the overview", () => {
    for (const next of [
      undefined,
      null,
      "",
      "https://evil.example/console",
      "//evil.example/console",
      "/\\evil.example",
      "/consolex",
      "/releasepassport/v1/tokens",
      "/console/../releasepassport",
      "/console/./..",
      "/console/passports/..",
      "/console/\nSet-Cookie: x=1",
      "javascript:alert(1)"
    ]) {
      expect(safeNext(next), String(next)).toBe("/console")
    }
  })
})
