import { sanitizeText } from "@releasepassport/core"
import { bypasses, input, negatives, positives } from "@releasepassport/testing"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { admit, admitEach, admitIdentifier, isCleanIdentifier } from "../src/StorageText.ts"

// Built at run time so that this file holds nothing a secret scanner takes for a credential.
const AWS_KEY_ID = ["AKIA", "QX7Z", "K2M9", "R4TB", "W8NE"].join("")

const refusedField = (effect: Effect.Effect<unknown, { readonly field: string }>) => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit)) return undefined
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  return failure?._tag === "Fail" ? (failure.error as { field: string }).field : "defect"
}

describe("admit: the one place user text enters storage", () => {
  it("refuses a secret in any string a use case did not name as free text, naming the real path", () => {
    expect(refusedField(admit({ service: { name: "ok", tags: ["fine", `x-${AWS_KEY_ID}`] } }))).toBe("service.tags.1")
    expect(refusedField(admit({ a: 1, b: true, c: null, d: "plain words" }))).toBeUndefined()
    // A field added later is covered without being listed.
    expect(refusedField(admit({ brandNewField: AWS_KEY_ID }))).toBe("brandNewField")
    expect(refusedField(admit({ item: AWS_KEY_ID }, {}, "evidence.3"))).toBe("evidence.3.item")
  })

  it("checks keys too", () => {
    expect(refusedField(admit({ labels: { [AWS_KEY_ID]: "v" } }))).toBe(`labels.${AWS_KEY_ID}`)
  })

  it("sanitizes the paths named free text or JSON, counting redactions, and leaves the input alone", () => {
    const input = { name: "svc", items: [{ summary: `key ${AWS_KEY_ID}`, details: { k: AWS_KEY_ID } }] }
    const admitted = Effect.runSync(admit(input, { "items.*.summary": "text", "items.*.details": "json" }))
    expect(JSON.stringify(admitted.value)).not.toContain(AWS_KEY_ID)
    expect(admitted.value.name).toBe("svc")
    expect(admitted.redactions).toBe(2)
    expect(input.items[0]!.summary).toContain(AWS_KEY_ID)
  })

  it("admitEach: each input's redactions and refusals are its own, from one scan of them all", () => {
    const rules = { summary: "text", details: "json" } as const
    const items = [
      { type: "unit", summary: "all green", details: { runner: "ubuntu" } },
      { type: "scan", summary: `found ${AWS_KEY_ID}`, details: { key: AWS_KEY_ID, other: AWS_KEY_ID } },
      { type: "smoke", summary: "", details: null }
    ]
    const admitted = Effect.runSync(admitEach(items, rules, "evidence"))
    expect(admitted.map((a) => a.redactions)).toEqual([0, 3, 0])
    expect(admitted[0]!.value).toEqual(items[0])
    expect(JSON.stringify(admitted[1]!.value)).not.toContain(AWS_KEY_ID)
    expect(admitted[1]!.value.type).toBe("scan")
    expect(admitted[2]!.value).toEqual(items[2])
    // The same as admitting each alone.
    items.forEach((item, i) => expect(admitted[i]).toEqual(Effect.runSync(admit(item, rules, `evidence.${i}`))))
    expect(refusedField(admitEach([{ type: "ok" }, { type: AWS_KEY_ID }], rules, "evidence"))).toBe("evidence.1.type")
    expect(Effect.runSync(admitEach([], rules, "evidence"))).toEqual([])
  })

  it("passes credentials through untouched for their use case to hash", () => {
    expect(Effect.runSync(admit({ password: AWS_KEY_ID }, { password: "credential" })).value.password).toBe(AWS_KEY_ID)
  })

  it("admitIdentifier and isCleanIdentifier apply the same rule to one value", () => {
    expect(isCleanIdentifier("github_actions")).toBe(true)
    expect(isCleanIdentifier(AWS_KEY_ID)).toBe(false)
    expect(refusedField(admitIdentifier("Idempotency-Key", AWS_KEY_ID))).toBe("Idempotency-Key")
    expect(refusedField(admitIdentifier("Idempotency-Key", "deploy-42"))).toBeUndefined()
  })
})

describe("isCleanIdentifier: the remembered verdict is the sanitizer's verdict", () => {
  // The full rule, recomputed every time: what the memo must agree with.
  const fullRule = (value: string) => sanitizeText(value).redactions === 0
  const settings = { seed: 20261202, numRuns: 300 }
  const corpusSecrets = [...positives, ...bypasses].flatMap((p) => [input(p), ...p.secrets.map(([, secret]) => secret)])
  const identifierChars = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_./:@=ABCXYZ")
  const identifier = fc.string({ unit: identifierChars, minLength: 1, maxLength: 80 })
  const hostile = fc.oneof(
    identifier,
    fc.string({ unit: "grapheme", maxLength: 60 }),
    fc.constantFrom(...corpusSecrets, ...negatives),
    // A clean identifier glued to a secret, and a secret cut short: neither may inherit the other's verdict.
    fc.tuple(identifier, fc.constantFrom(...corpusSecrets)).map(([name, secret]) => `${name}${secret}`),
    fc.tuple(fc.constantFrom(...corpusSecrets), fc.nat(200)).map(([secret, n]) => secret.slice(0, n))
  )

  it("agrees with the full sanitizer on generated and hostile strings, the first time and every time after", () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 8 }), (values) => {
        for (const value of values) {
          const expected = fullRule(value)
          expect(isCleanIdentifier(value)).toBe(expected)
          expect(isCleanIdentifier(value)).toBe(expected)
        }
      }),
      settings
    )
  })

  it("refuses every secret of the redaction corpus, also after its clean prefixes were remembered", () => {
    for (const text of corpusSecrets) {
      for (const n of [1, 8, 16, 32, 64, 128, 256]) {
        const prefix = text.slice(0, n)
        expect(isCleanIdentifier(prefix)).toBe(fullRule(prefix))
      }
      expect(isCleanIdentifier(text)).toBe(fullRule(text))
      expect(isCleanIdentifier(text)).toBe(fullRule(text))
    }
    // The corpus as rendered (a secret in its context) is refused, the first time and again.
    for (const p of [...positives, ...bypasses]) {
      expect(isCleanIdentifier(input(p))).toBe(false)
      expect(isCleanIdentifier(input(p))).toBe(false)
    }
    for (const text of negatives) expect(isCleanIdentifier(text)).toBe(fullRule(text))
  })

  it("stays right after more distinct identifiers than it remembers", () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `svc-${i}`)
    for (const name of names) expect(isCleanIdentifier(name)).toBe(true)
    for (const name of names.slice(0, 50)) expect(isCleanIdentifier(name)).toBe(true)
    expect(isCleanIdentifier(`svc-1-${AWS_KEY_ID}`)).toBe(false)
  })

  it("gives admit the same refusals as the full sanitizer", () => {
    fc.assert(
      fc.property(fc.dictionary(identifier, hostile, { maxKeys: 6 }), (record) => {
        const expectedField = Object.entries(record).find(([key, value]) => !fullRule(key) || !fullRule(value))
        const field = refusedField(admit({ labels: record }))
        if (expectedField === undefined) expect(field).toBeUndefined()
        else expect(field).toBe(`labels.${expectedField[0]}`)
      }),
      settings
    )
  })
})
