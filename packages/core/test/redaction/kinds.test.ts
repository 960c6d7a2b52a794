import type { SecretLintRuleContext, SecretLintRuleCreator } from "@secretlint/types"
import { expect, it } from "vitest"
import { sanitizeJson, sanitizeText, secretKinds, type SecretKind } from "../../src/redaction/index.ts"
import { makeSecretlintScanner } from "../../src/redaction/secretlint.ts"
import { input, positives } from "@releasepassport/testing"

it("every kind is produced by at least one realistic input", () => {
  const seen = new Set<SecretKind>()
  for (const positive of positives) for (const kind of sanitizeText(input(positive)).kinds) seen.add(kind)

  // Kinds that only JSON structure or a newer preset produce.
  for (const kind of sanitizeJson({ auths: { registry: { auth: "Y2k6aHVudGVyMg==" } } }).kinds) seen.add(kind)
  let deep: unknown = "x"
  for (let i = 0; i < 100; i++) deep = [deep]
  for (const kind of sanitizeJson(deep).kinds) seen.add(kind)
  const cyclic: Record<string, unknown> = {}
  cyclic["self"] = cyclic
  for (const kind of sanitizeJson(cyclic).kinds) seen.add(kind)
  const newRule: SecretLintRuleCreator<never> = {
    messages: {},
    meta: { id: "acme/future-rule", type: "scanner", recommended: true, supportedContentTypes: ["text"] },
    create: (context: SecretLintRuleContext) => ({
      file: () => context.report({ message: { message: "", messageId: "X", data: undefined }, range: [0, 1] })
    })
  }
  for (const finding of makeSecretlintScanner([newRule])("x")) seen.add(finding.kind)

  expect(secretKinds.filter((kind) => !seen.has(kind))).toEqual([])
})
