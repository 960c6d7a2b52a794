import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { admit, admitIdentifier, isCleanIdentifier } from "../src/StorageText.ts"

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
