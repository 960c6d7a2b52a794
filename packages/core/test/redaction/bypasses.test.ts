import { describe, expect, it } from "vitest"
import { sanitizeJson, sanitizeText, type SecretKind } from "../../src/redaction/index.ts"
import { bypasses, expected, input, jsonBypasses } from "@releasepassport/testing"

/** The whole secret and every 12-character window of it: a partial redaction still fails. */
const fragments = (secret: string): Array<string> => {
  const out = [secret]
  for (let i = 0; i + 12 <= secret.length; i += 6) out.push(secret.slice(i, i + 12))
  return out
}

const sortedKinds = (kinds: ReadonlyArray<SecretKind>) => [...new Set(kinds)].sort()

describe("redaction bypasses: text", () => {
  it.each(bypasses.map((p) => [p.name, p] as const))("%s", (_name, bypass) => {
    const result = sanitizeText(input(bypass))
    expect(result.text).toBe(expected(bypass))
    expect(result.redactions).toBe(bypass.secrets.length)
    expect(result.kinds).toEqual(sortedKinds(bypass.secrets.map(([kind]) => kind)))
    for (const [, secret] of bypass.secrets) {
      for (const fragment of fragments(secret)) expect(result.text.includes(fragment), `"${fragment}" survived`).toBe(false)
    }
    // Sanitizing the output again finds nothing more.
    expect(sanitizeText(result.text)).toEqual({ text: result.text, redactions: 0, kinds: [] })
  })

  it.each(bypasses.map((p) => [p.name, p] as const))("%s, as a JSON string", (_name, bypass) => {
    const result = sanitizeJson({ summary: input(bypass) })
    expect(result.value).toEqual({ summary: expected(bypass) })
    expect(result.redactions).toBe(bypass.secrets.length)
  })
})

describe("redaction bypasses: JSON structure", () => {
  it.each(jsonBypasses.map((b) => [b.name, b] as const))("%s", (_name, bypass) => {
    const result = sanitizeJson(bypass.input)
    expect(result.value).toEqual(bypass.expected)
    const serialized = JSON.stringify(result)
    for (const secret of bypass.secrets) expect(serialized.includes(secret), `"${secret}" survived`).toBe(false)
  })
})
