import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { firstUnstorable, mayHoldUnstorable } from "../../src/http/RequestIntakeLive.ts"

/** JSON text with every `\uD8xx`-style escape written as the raw code unit instead (still JSON where it parses). */
const rawSurrogates = (text: string) => text.replace(/\\u(d[89a-f][0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))

const parses = (text: string) => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

describe("the unstorable-string check of a JSON body", () => {
  it("never skips a body whose parsed value holds a NUL or a lone surrogate, escaped or raw", () => {
    // Strings of the characters that matter: NUL, both surrogate halves alone and as a pair,
    // what JSON escapes, and plain text.
    const unit = fc.constantFrom("a", "é", "\u0000", "\u0001", "\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00", "\\", "\"", "u")
    const value = fc.jsonValue({ stringUnit: unit, maxDepth: 4 })
    fc.assert(
      fc.property(value, fc.boolean(), (v, raw) => {
        const escaped = JSON.stringify(v)
        const text = raw ? rawSurrogates(escaped) : escaped
        fc.pre(parses(text))
        if (firstUnstorable(JSON.parse(text)) !== undefined) expect(mayHoldUnstorable(text)).toBe(true)
      }),
      { numRuns: 2000 }
    )
  })

  it("finds the hand-written cases, and lets a plain batch skip the walk", () => {
    expect(mayHoldUnstorable(JSON.stringify({ summary: "smoke\u0000passed" }))).toBe(true)
    expect(mayHoldUnstorable(JSON.stringify({ ["k\udc00"]: 1 }))).toBe(true)
    expect(mayHoldUnstorable(`{"log":"a\ud800b"}`)).toBe(true) // a raw lone half in the text
    expect(firstUnstorable(JSON.parse(`{"log":"a\ud800b"}`))).toEqual(["log"])
    const batch = JSON.stringify({
      source: "github_actions",
      evidence: Array.from({ length: 100 }, (_, i) => ({ type: `check-${i}`, summary: `check ${i} passed — ✓ ok`, details: { n: i } }))
    })
    expect(mayHoldUnstorable(batch)).toBe(false)
  })
})
