/**
 * Property-based redaction: every secret of the corpus, with generated neighbours (word
 * characters glued on, punctuation, encodings, nesting in JSON under any key), must not survive
 * `sanitizeText` or `sanitizeJson`.
 *
 * The seed is fixed so that `npm test` is reproducible, and printed; another one on demand:
 *   RELEASEPASSPORT_FUZZ_SEED=12345 npx vitest run packages/core/test/redaction/fuzz.test.ts
 * (RELEASEPASSPORT_FUZZ_RUNS raises the number of runs per property.)
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { sanitizeJson, sanitizeText } from "../../src/redaction/index.ts"
import { hasRpTokenChecksum } from "../../src/redaction/tokenChecksums.ts"
import { bypasses, input, positives, type Positive } from "@releasepassport/testing"

const seed = Number(process.env["RELEASEPASSPORT_FUZZ_SEED"] ?? "20261201")
const numRuns = Number(process.env["RELEASEPASSPORT_FUZZ_RUNS"] ?? "150")
console.log(`redaction fuzz: seed ${seed}, ${numRuns} runs per property (RELEASEPASSPORT_FUZZ_SEED to change)`)
const settings = { seed, numRuns }

const cases: ReadonlyArray<Positive> = [...positives, ...bypasses]

/** Every 12-character window of a secret (and the whole): a partial redaction still fails. */
const fragments = (secret: string): Array<string> => {
  if (secret.length <= 12) return [secret]
  const out = [secret]
  for (let i = 0; i + 12 <= secret.length; i += 3) out.push(secret.slice(i, i + 12))
  return out
}

/** The first fragment of `secrets` found in `output`, if any. */
const survivor = (output: string, secrets: ReadonlyArray<string>): string | undefined => {
  for (const secret of secrets) {
    for (const fragment of fragments(secret)) {
      if (output.includes(fragment) || output.includes(JSON.stringify(fragment).slice(1, -1))) return fragment
    }
  }
  return undefined
}

const secretsOf = (p: Positive): Array<string> => p.secrets.map(([, secret]) => secret)

const wordChars = fc.string({ unit: fc.constantFrom(..."abcxyzABCXYZ0189_"), minLength: 1, maxLength: 4 })
const separators = fc.constantFrom(" ", "\n", "\t", ", ", "; ", " (", ") ", " [", "] ", " {", "} ", " <", "> ", " | ", " # ", " // ")
const punctuation = fc.constantFrom(..."!#%&()*,-./:;<=>?[]^{|}~ \"'`")
/** Text next to a secret's line that keeps the line's own words apart from it. */
const neighbour = fc.tuple(fc.string({ maxLength: 12 }), separators).map(([text, sep]) => text.replace(/[\r\n]/g, " ") + sep)

/**
 * Secrets that the rules recognise standing alone (vendor tokens, keys, webhooks): these must be
 * found whatever touches them. Left out: a JWT, recognised by its shape (`eyJ...` and two dots),
 * which needs a boundary before it to be matched in linear time; and made-up `rp_` strings
 * without the checksum, which only a boundary tells from words (`corp_...`): real tokens carry it.
 */
const standalone = cases.filter((p) => {
  if (p.secrets.length !== 1) return false
  const [kind, secret] = p.secrets[0]!
  if (kind === "jwt" || (kind === "rp_token" && !hasRpTokenChecksum(secret))) return false
  return sanitizeText(secret).text === `[REDACTED:${kind}]`
})

describe("property: no secret survives", () => {
  it("has standalone secrets of many kinds to glue things to", () => {
    expect(new Set(standalone.map((p) => p.secrets[0]![0])).size).toBeGreaterThanOrEqual(25)
  })

  it("a standalone secret glued to word characters or punctuation on either side", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...standalone),
        fc.oneof(wordChars, punctuation),
        fc.oneof(wordChars, punctuation, fc.constant("")),
        fc.constantFrom("", "see ", "https://ci.example.com/?t=", "// ", "<!-- ", "log: "),
        (p, left, right, context) => {
          const secret = secretsOf(p)[0]!
          const output = sanitizeText(`${context}${left}${secret}${right} end`).text
          expect(survivor(output, [secret]), p.name).toBeUndefined()
        }
      ),
      settings
    )
  })

  it("every corpus secret in its context, with text around the context", () => {
    fc.assert(
      fc.property(fc.constantFrom(...cases), neighbour, neighbour, (p, left, right) => {
        const output = sanitizeText(`${left}${input(p)}\n${right}`).text
        expect(survivor(output, secretsOf(p)), p.name).toBeUndefined()
      }),
      settings
    )
  })

  const encodings: ReadonlyArray<readonly [string, (text: string, secrets: ReadonlyArray<string>) => string]> = [
    ["percent-encoded", (text) => encodeURIComponent(text)],
    ["percent-encoded twice", (text) => encodeURIComponent(encodeURIComponent(text))],
    ["base64", (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)))],
    ["base64url", (text) => Buffer.from(text).toString("base64url")],
    [
      "first letter of each secret as a \\u escape",
      (text, secrets) =>
        secrets.reduce(
          (out, secret) => out.split(secret).join(`\\u${secret.charCodeAt(0).toString(16).padStart(4, "0")}${secret.slice(1)}`),
          text
        )
    ]
  ]

  it("every corpus secret in its context, encoded", () => {
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.constantFrom(...encodings), neighbour, (p, [name, encode], left) => {
        const secrets = secretsOf(p)
        const encoded = encode(input(p), secrets)
        const output = sanitizeText(`${left}${encoded} end`).text
        // Neither the secret nor its encoded form (the encoding of the whole input, for base64) may survive.
        const encodedSecrets = name.startsWith("base64") ? [encoded] : secrets.map((secret) => encode(secret, [secret]))
        expect(survivor(output, [...secrets, ...encodedSecrets]), `${p.name}, ${name}`).toBeUndefined()
      }),
      settings
    )
  })

  const sensitiveKeys = ["password", "client_secret", "DB_PASSWORD", "apiKey", "token", "pwd", "db_pass", "privateKey", "auth"]
  const plainKeys = ["log", "summary", "message", "data", "value", "v", "items", "output", "env", "steps"]
  const key = fc.oneof(fc.constantFrom(...sensitiveKeys), fc.constantFrom(...plainKeys), fc.string({ maxLength: 10 }))
  /** A path from the root to the leaf: object keys and array positions. */
  const path = fc.array(fc.oneof(key, fc.nat({ max: 3 })), { maxLength: 6 })

  const placeAt = (steps: ReadonlyArray<string | number>, leaf: unknown): unknown =>
    steps.reduceRight<unknown>((inner, step) => {
      if (typeof step === "number") {
        const array: Array<unknown> = Array.from({ length: step }, (_, i) => `item ${i}`)
        array.push(inner)
        return array
      }
      return { kind: "check", [step]: inner, count: 3 }
    }, leaf)

  it("every corpus secret in its context, nested in JSON under any keys", () => {
    fc.assert(
      fc.property(fc.constantFrom(...cases), path, neighbour, (p, steps, left) => {
        const result = sanitizeJson(placeAt(steps, `${left}${input(p)}`))
        expect(survivor(JSON.stringify(result.value), secretsOf(p)), p.name).toBeUndefined()
      }),
      settings
    )
  })

  it("any value below a sensitive name, or in a name/value entry that names a secret, however deep", () => {
    const holders = fc.constantFrom(
      (name: string, value: string) => ({ [name]: value }),
      (name: string, value: string) => ({ [name]: { value } }),
      (name: string, value: string) => ({ [name]: [{ v: value }] }),
      (name: string, value: string) => ({ [name]: { current: { data: [value] } } }),
      (name: string, value: string) => ({ env: [{ name: "LOG_LEVEL", value: "debug" }, { name: `APP_${name}`, value }] }),
      (name: string, value: string) => ({ Parameters: [{ ParameterKey: name, ParameterValue: value }] })
    )
    const anyValue = fc.oneof(fc.constantFrom(...cases).map((p) => secretsOf(p)[0]!), fc.string({ minLength: 8, maxLength: 30 }))
    fc.assert(
      fc.property(fc.constantFrom(...sensitiveKeys.filter((k) => k !== "auth")), holders, anyValue, path, (name, hold, value, steps) => {
        // Values that are whitespace alone or look like markers are no secret to keep out.
        fc.pre(/[A-Za-z0-9]/.test(value) && !value.startsWith("[REDACTED:"))
        const result = sanitizeJson(placeAt(steps, hold(name, value)))
        expect(JSON.stringify(result.value).includes(JSON.stringify(value).slice(1, -1)), `${name}: ${value}`).toBe(false)
      }),
      settings
    )
  })
})
