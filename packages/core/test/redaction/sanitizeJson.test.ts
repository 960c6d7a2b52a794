import { describe, expect, it } from "vitest"
import { maxJsonDepth, sanitizeJson, sanitizeText } from "../../src/redaction/index.ts"
import { fake, fakeBase64, fakePassword, hex, jwt, marker, pem } from "@releasepassport/testing"

const noneSurvive = (result: unknown, secrets: ReadonlyArray<string>) => {
  const serialized = JSON.stringify(result)
  for (const secret of secrets) expect(serialized.includes(secret), `"${secret}" survived`).toBe(false)
}

describe("sanitizeJson: values under sensitive names", () => {
  it("replaces non-empty strings whole, keeps the keys, and names the kind after the key", () => {
    const values = Object.fromEntries(
      [
        "password", "passwd", "secret", "client_secret", "clientSecret", "client-secret", "token", "access_token",
        "refresh_token", "api_key", "apiKey", "X-Api-Key", "private_key", "authorization", "cookie", "session",
        "db.password", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "sessionId", "Proxy-Authorization", "webhookSecret"
      ].map((key) => [key, fakePassword(12)])
    )
    const result = sanitizeJson(values)
    expect(result.value).toEqual({
      password: marker("password"),
      passwd: marker("password"),
      secret: marker("secret"),
      client_secret: marker("oidc_client_secret"),
      clientSecret: marker("oidc_client_secret"),
      "client-secret": marker("oidc_client_secret"),
      token: marker("token"),
      access_token: marker("token"),
      refresh_token: marker("token"),
      api_key: marker("api_key"),
      apiKey: marker("api_key"),
      "X-Api-Key": marker("api_key"),
      private_key: marker("private_key"),
      authorization: marker("authorization_header"),
      cookie: marker("cookie"),
      session: marker("session"),
      "db.password": marker("password"),
      DB_PASSWORD: marker("password"),
      AWS_SECRET_ACCESS_KEY: marker("aws_secret_access_key"),
      sessionId: marker("session"),
      "Proxy-Authorization": marker("authorization_header"),
      webhookSecret: marker("secret")
    })
    expect(result.redactions).toBe(22)
    expect(result.kinds).toEqual([
      "api_key", "authorization_header", "aws_secret_access_key", "cookie", "oidc_client_secret", "password",
      "private_key", "secret", "session", "token"
    ])
    noneSurvive(result, Object.values(values))
  })

  it("replaces numbers and booleans too, and keeps empty strings and null", () => {
    const result = sanitizeJson({ password: 918273, token: true, apiKey: 0, secret: false, session: null, cookie: "" })
    expect(result).toEqual({
      value: {
        password: marker("password"),
        token: marker("token"),
        apiKey: marker("api_key"),
        secret: marker("secret"),
        session: null,
        cookie: ""
      },
      redactions: 4,
      kinds: ["api_key", "password", "secret", "token"]
    })
  })

  it("covers the primitives of an array under a sensitive name", () => {
    const cookies = [`sid=${fake(20)}`, `csrf=${fake(20)}`]
    const result = sanitizeJson({ "Set-Cookie": cookies, tokens: ["a", "b"] })
    expect(result.value).toEqual({ "Set-Cookie": [marker("cookie"), marker("cookie")], tokens: ["a", "b"] })
    expect(result.redactions).toBe(2)
  })

  it("walks an object under a sensitive name instead of dropping it", () => {
    const password = fakePassword(14)
    const result = sanitizeJson({ credentials: { username: "ci", password }, secret: { name: "db-credentials" } })
    expect(result.value).toEqual({ credentials: { username: "ci", password: marker("password") }, secret: { name: "db-credentials" } })
    expect(result.redactions).toBe(1)
  })

  it("redacts what lies below a sensitive name, but keeps the fields that describe it", () => {
    const clientSecret = fake(32)
    const refresh = fake(24)
    const result = sanitizeJson({
      auth: { type: "oidc", issuer: "https://id.example.com", clientId: "rp-console", clientSecret, settings: { refresh } },
      token: { expires_in: 3600, scope: "read" }
    })
    expect(result.value).toEqual({
      auth: {
        type: "oidc",
        issuer: "https://id.example.com",
        clientId: "rp-console",
        clientSecret: marker("oidc_client_secret"),
        settings: { refresh: marker("credential") }
      },
      token: { expires_in: 3600, scope: "read" }
    })
    noneSurvive(result, [clientSecret, refresh])
  })

  it("names the value after what it is when the whole value is a known token", () => {
    const token = "ghp_" + fake(36)
    const mixed = `prefix ${"ghp_" + fake(36)}`
    expect(sanitizeJson({ token, GH_TOKEN: mixed, Authorization: `Bearer ${jwt}` }).value).toEqual({
      token: marker("github_token"),
      GH_TOKEN: marker("token"),
      Authorization: marker("authorization_header")
    })
  })

  it("leaves names that only look sensitive", () => {
    const value = {
      tokenType: "Bearer",
      token_type: "bearer",
      max_tokens: 4096,
      tokens: 5,
      secretName: "db-credentials",
      passwordPolicy: "strict",
      sessionTimeout: 30,
      token_url: "https://id.example.com/oauth/token",
      private_key_id: hex(40),
      keys: ["a", "b"],
      author: "jane"
    }
    expect(sanitizeJson(value)).toEqual({ value, redactions: 0, kinds: [] })
  })
})

describe("sanitizeJson: structure", () => {
  it("scans strings at any depth of objects and arrays and counts every secret", () => {
    const ghToken = "ghp_" + fake(36)
    const dbPassword = fake(18)
    const stripe = "sk_" + "live_" + fake(30)
    const input = {
      tool: "github-actions",
      steps: [
        { name: "publish", log: `export GITHUB_TOKEN=${ghToken}\ndone`, exitCode: 0 },
        { name: "migrate", log: ["connecting", [`postgres://app:${dbPassword}@db.internal/app`]] },
        { name: "charge", env: [{ STRIPE: stripe }], ok: true }
      ]
    }
    const result = sanitizeJson(input)
    expect(result.value).toEqual({
      tool: "github-actions",
      steps: [
        { name: "publish", log: `export GITHUB_TOKEN=${marker("github_token")}\ndone`, exitCode: 0 },
        { name: "migrate", log: ["connecting", [`postgres://app:${marker("url_password")}@db.internal/app`]] },
        { name: "charge", env: [{ STRIPE: marker("stripe_key") }], ok: true }
      ]
    })
    expect(result.redactions).toBe(3)
    expect(result.kinds).toEqual(["github_token", "stripe_key", "url_password"])
    noneSurvive(result, [ghToken, dbPassword, stripe])
  })

  it("does not modify its input", () => {
    const input = { password: fake(12), nested: { log: `token=${fake(20)}`, list: [1, "two", null] } }
    const before = structuredClone(input)
    sanitizeJson(input)
    expect(input).toEqual(before)
  })

  it("never lets a finding run from one string into the next", () => {
    const value = ["https://deployer:", `${fake(12)}@git.example.com`, "password", `=${fake(12)}`, "token:", fake(20)]
    expect(sanitizeJson(value)).toEqual({ value, redactions: 0, kinds: [] })
  })

  it("handles top-level strings and primitives", () => {
    const token = "npm_" + fake(36)
    expect(sanitizeJson(token)).toEqual({ value: marker("npm_token"), redactions: 1, kinds: ["npm_token"] })
    expect(sanitizeJson(42)).toEqual({ value: 42, redactions: 0, kinds: [] })
    expect(sanitizeJson(null)).toEqual({ value: null, redactions: 0, kinds: [] })
    expect(sanitizeJson([])).toEqual({ value: [], redactions: 0, kinds: [] })
  })

  it("is idempotent", () => {
    const once = sanitizeJson({ password: fake(10), log: `Authorization: Bearer ${fake(30)}`, list: [jwt] })
    expect(once.redactions).toBe(3)
    expect(sanitizeJson(once.value)).toEqual({ value: once.value, redactions: 0, kinds: [] })
  })

  it("keeps a `__proto__` key as data without touching any prototype", () => {
    const parsed: unknown = JSON.parse(`{"__proto__": {"polluted": "yes", "token": "${fake(20)}"}, "ok": 1}`)
    const result = sanitizeJson(parsed)
    const value = result.value as Record<string, unknown>
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
    expect(Object.keys(value)).toEqual(["__proto__", "ok"])
    expect(JSON.parse(JSON.stringify(value))).toEqual(
      JSON.parse(`{"__proto__": {"polluted": "yes", "token": "${marker("token")}"}, "ok": 1}`)
    )
    expect(result.redactions).toBe(1)
  })

  it("serializes values with toJSON (dates) as JSON.stringify would", () => {
    expect(sanitizeJson({ at: new Date("2026-01-02T03:04:05.000Z") }).value).toEqual({ at: "2026-01-02T03:04:05.000Z" })
  })
})

describe("sanitizeJson: keys that hold secrets", () => {
  it("redacts a secret used as a key, keeping key order and making colliding keys unique", () => {
    const first = "ghp_" + fake(36)
    const second = "ghp_" + fake(36)
    const result = sanitizeJson({ before: 1, [first]: "a", middle: 2, [second]: "b", after: 3 })
    expect(Object.entries(result.value as object)).toEqual([
      ["before", 1],
      [marker("github_token"), "a"],
      ["middle", 2],
      [`${marker("github_token")}#2`, "b"],
      ["after", 3]
    ])
    expect(result.redactions).toBe(2)
    noneSurvive(result, [first, second])
  })
})

describe("sanitizeJson: provider documents", () => {
  it("redacts the key and key id of a parsed GCP service-account key, and keeps the rest", () => {
    const key = pem("PRIVATE KEY") + "\n"
    const keyId = hex(40)
    const result = sanitizeJson({
      type: "service_account",
      project_id: "acme-prod",
      private_key_id: keyId,
      private_key: key,
      client_email: "deployer@acme-prod.iam.gserviceaccount.com",
      client_id: "104" + "2".repeat(18)
    })
    expect(result.value).toEqual({
      type: "service_account",
      project_id: "acme-prod",
      private_key_id: marker("gcp_service_account_key"),
      private_key: marker("gcp_service_account_key"),
      client_email: "deployer@acme-prod.iam.gserviceaccount.com",
      client_id: "104" + "2".repeat(18)
    })
    expect(result.kinds).toEqual(["gcp_service_account_key"])
    noneSurvive(result, [keyId, key.slice(40, 80)])
  })

  it("redacts registry credentials of a Docker config", () => {
    const auth = Buffer.from(`ci:${fake(20)}`).toString("base64")
    expect(sanitizeJson({ auths: { "ghcr.io": { auth } } })).toEqual({
      value: { auths: { "ghcr.io": { auth: marker("credential") } } },
      redactions: 1,
      kinds: ["credential"]
    })
  })

  it("redacts the credentials of a parsed kubeconfig", () => {
    const keyData = fakeBase64(200)
    const token = fake(40)
    const result = sanitizeJson({
      kind: "Config",
      users: [{ name: "deployer", user: { "client-key-data": keyData, token } }]
    })
    expect(result.value).toEqual({
      kind: "Config",
      users: [{ name: "deployer", user: { "client-key-data": marker("kubeconfig_credential"), token: marker("token") } }]
    })
    expect(result.redactions).toBe(2)
  })
})

describe("sanitizeJson: depth and cycles", () => {
  /** `levels` nested objects, the innermost holding `leaf`. */
  const nested = (levels: number, leaf: unknown): Record<string, unknown> => {
    const root: Record<string, unknown> = {}
    let current = root
    for (let i = 1; i < levels; i++) {
      const child: Record<string, unknown> = {}
      current["child"] = child
      current = child
    }
    current["leaf"] = leaf
    return root
  }

  it(`keeps ${maxJsonDepth} levels of nesting and scans their strings`, () => {
    const password = fake(12)
    const result = sanitizeJson(nested(maxJsonDepth, `password=${password}`))
    expect(result.value).toEqual(nested(maxJsonDepth, `password=${marker("password")}`))
    expect(result.redactions).toBe(1)
  })

  it("replaces what is nested deeper by a marker, and counts it", () => {
    const secret = "ghp_" + fake(36)
    const result = sanitizeJson(nested(maxJsonDepth + 1, secret))
    let level = result.value as Record<string, unknown>
    for (let i = 1; i < maxJsonDepth; i++) level = level["child"] as Record<string, unknown>
    expect(level["child"]).toBe(marker("depth_limit"))
    expect(result.redactions).toBe(1)
    expect(result.kinds).toEqual(["depth_limit"])
    noneSurvive(result, [secret])
  })

  it("does not overflow the stack on absurdly deep input", () => {
    let deep: unknown = "bottom"
    for (let i = 0; i < 200_000; i++) deep = [deep]
    expect(sanitizeJson({ deep }).kinds).toEqual(["depth_limit"])
  })

  it("replaces a cycle by a marker but copies shared (acyclic) references", () => {
    const shared = { url: "https://example.com" }
    const node: Record<string, unknown> = { name: "a", left: shared, right: shared }
    node["self"] = node
    const result = sanitizeJson(node)
    expect(result.value).toEqual({ name: "a", left: shared, right: shared, self: marker("cycle") })
    expect(result.kinds).toEqual(["cycle"])
  })
})

describe("sanitizeJson: on a 64 KiB evidence document", () => {
  it("finds every planted secret, and nothing else", () => {
    const planted: Array<string> = []
    const results = Array.from({ length: 400 }, (_, i) => {
      const entry: Record<string, unknown> = {
        id: `test-${i}`,
        name: `checkout page ${i} renders the basket`,
        status: i % 9 === 0 ? "failed" : "passed",
        durationMs: (i * 37) % 1000,
        digest: `sha256:${hex(64)}`
      }
      if (i % 40 === 0) {
        const secret = "glpat-" + fake(20)
        planted.push(secret)
        entry["log"] = `git push https://oauth2:${secret}@gitlab.example.com/acme/app.git`
      }
      return entry
    })
    const document = { tool: "vitest", commit: hex(40), results }
    expect(JSON.stringify(document).length).toBeGreaterThan(48 * 1024)

    const result = sanitizeJson(document)
    expect(result.redactions).toBe(planted.length)
    expect(result.kinds).toEqual(["gitlab_token"])
    noneSurvive(result, planted)
    // Only the planted logs changed.
    const changed = (result.value as typeof document).results.filter((entry, i) => JSON.stringify(entry) !== JSON.stringify(results[i]))
    expect(changed).toHaveLength(planted.length)
  })

  it("agrees with sanitizeText on every string", () => {
    const strings = [`Authorization: Bearer ${fake(40)}`, `client_secret=${fake(30)}`, "nothing here", jwt]
    const result = sanitizeJson(strings)
    expect(result.value).toEqual(strings.map((s) => sanitizeText(s).text))
  })
})
