import { rules as presetRules } from "@secretlint/secretlint-rule-preset-recommend"
import type { SecretLintRuleContext, SecretLintRuleCreator } from "@secretlint/types"
import { describe, expect, it } from "vitest"
import { secretlintRuleUses } from "../../src/redaction/rules.ts"
import { makeSecretlintScanner } from "../../src/redaction/secretlint.ts"
import { fake } from "@releasepassport/testing"

/** A rule that reports `[start, end)` of every occurrence of `needle`, with `messageId`. */
const fakeRule = (
  id: string,
  needle: string,
  messageId = "FOUND",
  asynchronous = false
): SecretLintRuleCreator<never> => ({
  messages: { [messageId]: { en: () => "found" } },
  meta: { id, type: "scanner", recommended: true, supportedContentTypes: ["text"] },
  create: (context: SecretLintRuleContext) => {
    const t = context.createTranslator({ [messageId]: { en: () => "found" } })
    return {
      file: (source) => {
        let at = source.content.indexOf(needle)
        while (at >= 0) {
          context.report({ message: t(messageId), range: [at, at + needle.length] })
          at = source.content.indexOf(needle, at + 1)
        }
        return asynchronous ? Promise.resolve() : undefined
      }
    }
  }
})

describe("the secretlint preset in use", () => {
  const presetIds = presetRules.map((rule) => rule.meta.id)

  it("lists every rule of the installed preset, so that an upgrade's new rules are looked at", () => {
    expect(presetIds.filter((id) => !(id in secretlintRuleUses))).toEqual([])
  })

  it("lists no rule the preset no longer has", () => {
    expect(Object.keys(secretlintRuleUses).filter((id) => !presetIds.includes(id))).toEqual([])
  })

  it("runs all of its used rules synchronously", () => {
    expect(() => makeSecretlintScanner()).not.toThrow()
    const token = "glpat-" + fake(20)
    expect(makeSecretlintScanner()(`a ${token} b`)).toEqual([{ start: 2, end: 2 + token.length, kind: "gitlab_token" }])
  })
})

describe("makeSecretlintScanner", () => {
  it("refuses a rule that turns asynchronous, rather than skipping it silently", () => {
    expect(() => makeSecretlintScanner([fakeRule("acme/async", "x", "FOUND", true)])).toThrow(/asynchronous/)
  })

  it("reports a rule it does not know as third_party_token", () => {
    const scan = makeSecretlintScanner([fakeRule("acme/new-vendor", "acme_secret")])
    expect(scan("use acme_secret now")).toEqual([{ start: 4, end: 15, kind: "third_party_token" }])
  })

  it("extends a reported range that stops inside a token to the token's end", () => {
    const scan = makeSecretlintScanner([fakeRule("acme/short-range", "acme_")])
    expect(scan("key acme_ABC-def_123 end")).toEqual([{ start: 4, end: 20, kind: "third_party_token" }])
  })

  it("does not run skipped rules, and drops ignored reports", () => {
    const skipped = fakeRule("@secretlint/secretlint-rule-basicauth", "secret")
    expect(makeSecretlintScanner([skipped])("a secret")).toEqual([])
    const uses = {
      "acme/vendor": { kind: "npm_token", reports: { LABEL: { ignore: "another rule covers it" }, TOKEN: "npm_token" } }
    } as const
    const ignored = fakeRule("acme/vendor", "secret", "LABEL")
    const used = fakeRule("acme/vendor", "secret", "TOKEN")
    expect(makeSecretlintScanner([ignored], uses)("a secret")).toEqual([])
    expect(makeSecretlintScanner([used], uses)("a secret")).toEqual([{ start: 2, end: 8, kind: "npm_token" }])
  })
})
