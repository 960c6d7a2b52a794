import { describe, expect, it } from "vitest"
import { sanitizeJson, sanitizeText, type SecretKind } from "../../src/redaction/index.ts"
import { expected, fake, input, marker, negatives, positives } from "@releasepassport/testing"

/** Pieces of a secret that must not survive: the whole, and every 16-character window of it. */
const fragments = (secret: string): Array<string> => {
  if (secret.length <= 16) return [secret]
  const out = [secret]
  for (let i = 0; i + 16 <= secret.length; i += 8) out.push(secret.slice(i, i + 16))
  return out
}

const sortedKinds = (kinds: ReadonlyArray<SecretKind>) => [...new Set(kinds)].sort()

describe("sanitizeText: every kind has a realistic positive", () => {
  it.each(positives.map((p) => [p.name, p] as const))("%s", (_name, positive) => {
    const text = input(positive)
    const result = sanitizeText(text)

    expect(result.text).toBe(expected(positive))
    expect(result.redactions).toBe(positive.secrets.length)
    expect(result.kinds).toEqual(sortedKinds(positive.secrets.map(([kind]) => kind)))

    const serialized = JSON.stringify(result)
    for (const [, secret] of positive.secrets) {
      for (const fragment of fragments(secret)) {
        expect(result.text.includes(fragment), `"${fragment}" survived`).toBe(false)
        expect(serialized.includes(fragment)).toBe(false)
        expect(serialized.includes(JSON.stringify(fragment).slice(1, -1))).toBe(false)
      }
    }
  })
})

describe("sanitizeText: look-alikes stay as they are", () => {
  it.each(negatives.map((n) => [n.slice(0, 60), n] as const))("%s", (_label, text) => {
    expect(sanitizeText(text)).toEqual({ text, redactions: 0, kinds: [] })
  })
})

describe("sanitizeText: properties", () => {
  it("is idempotent: sanitizing a sanitized text changes nothing and counts nothing", () => {
    for (const positive of positives) {
      const once = sanitizeText(input(positive)).text
      expect(sanitizeText(once), positive.name).toEqual({ text: once, redactions: 0, kinds: [] })
    }
  })

  it("gives the same result for a string inside JSON as for the text alone", () => {
    for (const positive of positives) {
      const result = sanitizeJson({ summary: input(positive), tags: ["ci"] })
      expect(result.value, positive.name).toEqual({ summary: expected(positive), tags: ["ci"] })
      expect(result.redactions, positive.name).toBe(positive.secrets.length)
    }
  })

  it("counts every secret of a summary that has many, and keeps the text between them", () => {
    const chosen = positives.filter((p) => p.secrets.length === 1 && !input(p).includes("\n")).slice(0, 25)
    const text = chosen.map(input).join("\n")
    const result = sanitizeText(text)
    expect(result.text).toBe(chosen.map(expected).join("\n"))
    expect(result.redactions).toBe(chosen.length)
    expect(result.kinds).toEqual(sortedKinds(chosen.map((p) => p.secrets[0]![0])))
  })

  it("keeps the user, host and path of a URL and only drops its password", () => {
    const password = fake(20)
    expect(sanitizeText(`https://deployer:${password}@git.example.com:8443/acme/app.git?ref=main`).text).toBe(
      `https://deployer:${marker("url_password")}@git.example.com:8443/acme/app.git?ref=main`
    )
  })

  it("keeps the scheme of an Authorization header", () => {
    const credential = fake(30)
    expect(sanitizeText(`Authorization: Basic ${credential}`).text).toBe(`Authorization: Basic ${marker("authorization_header")}`)
    expect(sanitizeText(`authorization: bearer ${credential}`).text).toBe(`authorization: bearer ${marker("authorization_header")}`)
  })

  it("names a known token after what it is even under a generic name", () => {
    const token = "ghp_" + fake(36)
    expect(sanitizeText(`GITHUB_TOKEN=${token}`)).toEqual({
      text: `GITHUB_TOKEN=${marker("github_token")}`,
      redactions: 1,
      kinds: ["github_token"]
    })
  })

  it("redacts what looks like kubeconfig entries only in a kubeconfig", () => {
    const token = fake(40)
    expect(sanitizeText(`kind: Config\nusers:\n- user:\n    token: ${token}\n`).kinds).toEqual(["kubeconfig_credential"])
    // Elsewhere the same line is still a secret, named after its key.
    expect(sanitizeText(`settings:\n  token: ${token}\n`).kinds).toEqual(["token"])
  })

  it("returns an empty text unchanged", () => {
    expect(sanitizeText("")).toEqual({ text: "", redactions: 0, kinds: [] })
  })
})

describe("sanitizeText: stays linear on hostile input", () => {
  // Each input is ~64 KiB, the largest evidence document; a super-linear pattern would take seconds.
  const hostile: Record<string, string> = {
    "an unterminated private key": "-----BEGIN PRIVATE KEY-----\n" + "QUJD".repeat(16_000),
    "repeated BEGIN markers": "-----BEGIN PRIVATE KEY-----".repeat(2_400),
    "one long word": "a".repeat(65_536),
    "one long upper-case word": "A".repeat(65_536),
    "URL prefixes without @": "://a:".repeat(13_000),
    "a URL password without end": "x://u:" + "p".repeat(65_536),
    "JWT headers without dots": "eyJ".repeat(21_000),
    "names without values": "password:" + " ".repeat(65_000) + "\n",
    "names without connectors": "token".repeat(13_000),
    "open quotes": '"password": "'.repeat(5_000),
    "Slack-like dashes": "xoxb-" + "1-".repeat(32_000)
  }
  it.each(Object.entries(hostile))("%s", (_name, text) => {
    const start = performance.now()
    sanitizeText(text)
    expect(performance.now() - start).toBeLessThan(500)
  })
})

describe("percent-encoded secrets", () => {
  it("finds a secret hidden behind percent-encoding and returns the decoded, sanitized text", () => {
    const password = "Ab1Cd2Ef3".repeat(3)
    const url = `https://ci.example.com/run?note=${encodeURIComponent(`DB_PASSWORD=${password} ok`)}`
    const result = sanitizeText(url)
    expect(result.text).toBe("https://ci.example.com/run?note=DB_PASSWORD=[REDACTED:password] ok")
    expect(result.redactions).toBe(1)
    expect(result.text.includes(password)).toBe(false)
  })

  it("keeps the encoding when the secret is found without decoding", () => {
    // A token is known by its prefix wherever it starts, also right after `%3D`.
    const token = "ghp_" + "Ab1Cd2Ef3".repeat(4)
    const url = `https://ci.example.com/run?note=${encodeURIComponent(`GH_TOKEN=${token} ok`)}`
    expect(sanitizeText(url)).toEqual({
      text: "https://ci.example.com/run?note=GH_TOKEN%3D[REDACTED:github_token]%20ok",
      redactions: 1,
      kinds: ["github_token"]
    })
  })

  it("leaves percent-encoded text without secrets exactly as it was", () => {
    const url = "https://ci.example.com/run?q=a%20b%2Fc&x=%E2%9C%93"
    expect(sanitizeText(url)).toEqual({ text: url, redactions: 0, kinds: [] })
  })

  it("does the same inside JSON values", () => {
    const token = "ghp_" + "Zz9Yy8Xx7".repeat(4)
    const result = sanitizeJson({ link: `https://x.example/?t=%20${token}` })
    expect(JSON.stringify(result.value).includes(token)).toBe(false)
    expect(result.redactions).toBe(1)
  })
})
