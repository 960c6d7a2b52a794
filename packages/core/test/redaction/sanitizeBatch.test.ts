import { bypasses, input, negatives, positives } from "@releasepassport/testing"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { sanitizeBatch, sanitizeJson, sanitizeText } from "../../src/redaction/index.ts"
import { textContexts } from "../../src/redaction/rules.ts"

/**
 * `sanitizeBatch` scans all its strings joined, once; what it gives each text and value must be
 * what `sanitizeText` and `sanitizeJson` give it alone. The one licensed difference: a rule that
 * needs a context (a kubeconfig, a GCP key file) sees the context of the others too, which can
 * only find more; the property compares batches whose other members bring no such context.
 */
const corpus = [...positives, ...bypasses].map(input).concat(negatives, ["", "plain words", "https://ci.example.com/run/1"])
const bringsContext = (text: string) => Object.values(textContexts).some((context) => context.test(text))
const text = fc.constantFrom(...corpus)
const value = fc.oneof(
  text,
  fc.dictionary(fc.constantFrom("note", "password", "log", "env", "apiKey", "name", "url"), text, { maxKeys: 4 }),
  fc.array(text, { maxLength: 4 }),
  fc.constant(null),
  fc.integer()
)

describe("sanitizeBatch: many texts and JSON values, one scan", () => {
  it("gives each text and value what sanitizeText and sanitizeJson give it alone", () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 12 }), fc.array(value, { maxLength: 8 }), (texts, values) => {
        const batched = sanitizeBatch({ texts, values })
        const all = [...texts, ...values.map((v) => JSON.stringify(v) ?? "")]
        texts.forEach((t, i) => {
          if (all.some((other, j) => j !== i && bringsContext(other))) return
          expect(batched.texts[i]).toEqual(sanitizeText(t))
        })
        values.forEach((v, i) => {
          if (all.some((other, j) => j !== texts.length + i && bringsContext(other))) return
          expect(batched.values[i]).toEqual(sanitizeJson(v))
        })
        expect(batched.texts).toHaveLength(texts.length)
        expect(batched.values).toHaveLength(values.length)
      }),
      { seed: 20261202, numRuns: 200 }
    )
  })

  it("removes every corpus secret from every member, whatever sits beside it", () => {
    const secrets = [...positives, ...bypasses].flatMap((p) => p.secrets.map(([, secret]) => secret))
    const batched = sanitizeBatch({ texts: [...positives, ...bypasses].map(input), values: [{ nested: [...positives].map(input) }] })
    const out = JSON.stringify(batched)
    for (const secret of secrets) expect(out.includes(secret), `a secret of ${secret.length} characters survived`).toBe(false)
    expect(batched.texts.every((t) => t.redactions > 0)).toBe(true)
    expect(batched.values[0]!.redactions).toBeGreaterThanOrEqual(positives.length)
  })

  it("leaves its inputs alone and an empty batch empty", () => {
    const value = { password: "hunter2-hunter2", list: ["x"] }
    const copy = structuredClone(value)
    sanitizeBatch({ texts: ["a"], values: [value] })
    expect(value).toEqual(copy)
    expect(sanitizeBatch({ texts: [], values: [] })).toEqual({ texts: [], values: [] })
  })
})
