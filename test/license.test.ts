import { makeStores, openDatabase } from "@releasepassport/adapters"
import type { SqlDatabase, Stores, Tables } from "@releasepassport/adapters"
import { Effect } from "effect"
import { createPrivateKey, createPublicKey } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, call, cli, cliOk, createToken, passingGateRequest, rawPost, signIn, startServer } from "@releasepassport/testing"
import type { RunningServer, Session, TestDatabase } from "@releasepassport/testing"

/**
 * Licenses, black-box: keys and licenses are made at test time with the CLI (`license keygen`,
 * `license issue`), installed with `license install`, and read back over HTTP by every kind of
 * asker. Documents the CLI rightly refuses (expired, tampered, malformed) are planted in the
 * database directly, as a row edited behind the server's back would be: the server verifies
 * what it reads, every time.
 */
const PASSWORD = "correct horse battery staple"
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

/** base64url helpers, to tamper with a license the way an attacker would. */
const b64 = (text: string) => Buffer.from(text).toString("base64url")
const unb64 = (text: string) => Buffer.from(text, "base64url").toString("utf8")

type LicenseName = "valid" | "expiring" | "expired" | "otherKey" | "badSignature" | "malformed"
interface Material {
  readonly dir: string
  readonly keys: Record<"vendor" | "other", { readonly private: string; readonly public: string }>
  readonly licenses: Record<LicenseName, string>
  /** Everything that must never appear in an answer or a log: key bytes, documents, their parts. */
  readonly secrets: ReadonlyArray<string>
}


/** Two vendors' key pairs and the licenses of every state, made once with the CLI for both adapters. */
let made: Promise<Material> | undefined
const material = () => (made ??= (async (): Promise<Material> => {
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-license-"))
  const secrets: Array<string> = []
  const keyPair = async (name: string) => {
    const result = await cliOk(["license", "keygen", "--out-dir", path.join(dir, name)])
    const pair = { private: path.join(dir, name, "license-private.pem"), public: path.join(dir, name, "license-public.pem") }
    expect(result.stdout).toContain(pair.private)
    expect(result.stdout).toContain(pair.public)
    expect(statSync(pair.private).mode & 0o777).toBe(0o600)
    for (const file of [pair.private, pair.public]) {
      // The base64 body of each PEM, line by line...
      for (const line of readFileSync(file, "utf8").split("\n")) if (line !== "" && !line.startsWith("-----")) secrets.push(line)
    }
    // ...and the raw key bytes, as a JWK would carry them.
    secrets.push(createPrivateKey(readFileSync(pair.private)).export({ format: "jwk" }).d!)
    secrets.push(createPublicKey(readFileSync(pair.public)).export({ format: "jwk" }).x!)
    return { pair, output: result.stdout + result.stderr }
  }
  const [vendor, other] = await Promise.all([keyPair("vendor"), keyPair("other")])
  const issue = async (signingKey: string, ...args: Array<string>) =>
    (await cliOk(["license", "issue", "--private-key", signingKey, "--customer", "Acme Corp", "--plan", "enterprise", ...args])).stdout.trim()
  const [valid, expiring, expired, otherKey] = await Promise.all([
    issue(vendor.pair.private, "--expires-in", "365d", "--license-id", "lic-valid", "--entitlement", "maxServices=2", "--entitlement", "sso=true", "--entitlement", "supportTier=gold"),
    issue(vendor.pair.private, "--expires-in", "10d", "--license-id", "lic-expiring"),
    issue(vendor.pair.private, "--issued-at", "2024-01-01", "--expires-at", "2024-12-31T00:00:00Z", "--license-id", "lic-expired", "--entitlement", "maxServices=500"),
    issue(other.pair.private, "--expires-in", "365d", "--license-id", "lic-other-key")
  ])
  // A genuine license with its payload edited (more services): the signature no longer matches.
  const [header, payload, signature] = valid.split(".") as [string, string, string]
  const licenses = {
    valid,
    expiring,
    expired,
    otherKey,
    badSignature: [header, b64(unb64(payload).replace('"maxServices":2', '"maxServices":9999')), signature].join("."),
    malformed: `${header}.${payload}`
  }
  for (const document of Object.values(licenses)) {
    secrets.push(document)
    for (const part of document.split(".").slice(1)) if (part.length > 20) secrets.push(part)
  }
  for (const output of [vendor.output, other.output]) {
    for (const secret of secrets) expect(output.includes(secret), "keygen's output carries key material").toBe(false)
  }
  return { dir, keys: { vendor: vendor.pair, other: other.pair }, licenses, secrets }
})())

afterAll(async () => {
  if (made !== undefined) rmSync((await made).dir, { recursive: true, force: true })
})

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`licenses (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let internalUrl: string
    let database: SqlDatabase<Tables>
    let stores: Stores
    let dir: string
    let keys: Material["keys"]
    let licenses: Material["licenses"]
    let secrets: Material["secrets"]
    const sessions = {} as Record<"viewer" | "outsider" | "both", Session>
    const tokens = {} as Record<"reader" | "gateOnly" | "betaReader" | "revoked" | "gate", string>

    const writeLicense = (name: string, document: string) => {
      const file = path.join(dir, `${choice.adapter}-${name}.license`)
      writeFileSync(file, `${document}\n`)
      return file
    }
    const install = (file: string, publicKey = keys.vendor.public) =>
      cli(["license", "install", "--database", testDb.url, "--license-public-key", publicKey, file])
    /** A row written behind the server's back (the CLI would refuse these documents). */
    const plant = (document: string) =>
      run(stores.licenses.install({
        licenseId: "planted",
        customer: "planted",
        plan: "planted",
        expiresAt: new Date(Date.now() + 86_400_000),
        document,
        now: new Date()
      }))

    const expectNoSecrets = (text: string, where: string) => {
      for (const secret of secrets) expect(text.includes(secret), `${where} carries key material or a license document`).toBe(false)
    }
    const status = async (options: { readonly session?: Session; readonly token?: string; readonly query?: string } = {}) => {
      const answer = await call(server.url, "GET", `/license/status${options.query ?? "?workspace=alpha"}`, {
        ...(options.session !== undefined ? { session: options.session } : {}),
        ...(options.token !== undefined ? { headers: { authorization: `Bearer ${options.token}` } } : {})
      })
      expectNoSecrets(answer.text, "an answer")
      return answer
    }
    /** A 200 answer's body; the alpha viewer asks unless a session or token is given. */
    const statusOk = async (options: Parameters<typeof status>[0] = {}) => {
      const answer = await status(options.session === undefined && options.token === undefined ? { ...options, session: sessions.viewer } : options)
      expect(answer.status, answer.text).toBe(200)
      return answer.json
    }
    const gate = (request = passingGateRequest()) =>
      rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(request), { authorization: `Bearer ${tokens.gate}` })

    beforeAll(async () => {
      const ready = material()
      testDb = await choice.create()
      const db = async (args: Array<string>, input?: string) => cliOk([...args, "--database", testDb.url], input)
      await db(["migrate"])
      await db(["workspace", "create", "--slug", "alpha", "--name", "Alpha"])
      await db(["workspace", "create", "--slug", "beta", "--name", "Beta"])
      await db(["user", "create", "--email", "viewer@alpha.example.com", "--workspace", "alpha", "--role", "viewer"], `${PASSWORD}\n`)
      await db(["user", "create", "--email", "owner@beta.example.com", "--workspace", "beta", "--role", "owner"], `${PASSWORD}\n`)
      await db(["user", "create", "--email", "both@example.com", "--workspace", "alpha", "--role", "admin"], `${PASSWORD}\n`)
      await db(["user", "add", "--email", "both@example.com", "--workspace", "beta", "--role", "viewer"])
      tokens.reader = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "license:read")).value
      tokens.betaReader = (await createToken(testDb.url, "--workspace", "beta", "--scope", "license:read")).value
      tokens.gateOnly = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "gate:evaluate")).value
      tokens.gate = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "gate:evaluate")).value
      const revoked = await createToken(testDb.url, "--workspace", "alpha", "--scope", "license:read")
      tokens.revoked = revoked.value
      await db(["token", "revoke", "--workspace", "alpha", revoked.id])

      // Only the first vendor's public key is configured.
      ;({ dir, keys, licenses, secrets } = await ready)
      server = await startServer({
        database: testDb.url,
        args: ["--license-public-key", keys.vendor.public, "--license-status-listener", "0"]
      })
      const internal = /license status \(internal, no authentication\) at (http:\/\/\S+)/.exec(server.output())
      expect(internal, server.output()).not.toBeNull()
      internalUrl = internal![1]!
      sessions.viewer = await signIn(server.url, "viewer@alpha.example.com", PASSWORD)
      sessions.outsider = await signIn(server.url, "owner@beta.example.com", PASSWORD)
      sessions.both = await signIn(server.url, "both@example.com", PASSWORD)
      database = await openDatabase(testDb.url)
      stores = makeStores(database)
    })
    afterAll(async () => {
      await server?.stop()
      await database?.close()
      await testDb?.drop()
    })

    it("none installed: community, with the documented default entitlements", async () => {
      const answer = await statusOk()
      expect(answer).toEqual({
        status: "community",
        reason: null,
        licenseId: null,
        customer: null,
        plan: null,
        issuedAt: null,
        expiresAt: null,
        daysLeft: null,
        installedAt: null,
        entitlements: { maxServices: 10, enforceMode: true, sso: false, retentionDays: 30 },
        usage: { services: { used: 0, limit: 10, exceeded: false, workspace: 0 } },
        checkedAt: expect.any(String)
      })
    })

    it("who may read it: a session in the workspace (viewers included), or a token with license:read", async () => {
      // No credential at all, a session of another workspace, a token without the scope.
      const anonymous = await status()
      expect(anonymous.status).toBe(401)
      expect(anonymous.json.code).toBe("auth.missing")
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/)
      expect((await status({ session: sessions.outsider })).status).toBe(404)
      const noScope = await status({ token: tokens.gateOnly })
      expect(noScope.status).toBe(403)
      expect(noScope.json.code).toBe("auth.scope_missing")
      expect((await status({ token: tokens.revoked })).json.code).toBe("auth.revoked")
      expect((await status({ token: "rp_not-a-token" })).status).toBe(401)
      // A bad token is not rescued by a good cookie: the Authorization header decides.
      const mixed = await call(server.url, "GET", "/license/status?workspace=alpha", {
        session: sessions.viewer,
        headers: { authorization: `Bearer ${tokens.gateOnly}` }
      })
      expect(mixed.status).toBe(403)
      // Someone in two workspaces names one, as on every session route.
      expect((await status({ session: sessions.both, query: "" })).json.code).toBe("workspace.required")
      expect((await status({ session: sessions.both, query: "?workspace=beta" })).status).toBe(200)

      expect((await statusOk({ session: sessions.viewer })).status).toBe("community")
      expect((await statusOk({ token: tokens.reader, query: "" })).status).toBe("community")
      expect((await statusOk({ session: sessions.outsider, query: "?workspace=beta" })).status).toBe("community")
    })

    it("usage: services are counted over the installation, and for the asking workspace", async () => {
      for (const name of ["checkout-api", "search-api", "cart-api"]) {
        expect((await gate(passingGateRequest({ service: { name, namespace: "apps", environment: "staging" } }))).status).toBe(200)
      }
      // Another release of a service already counted is not another service.
      expect((await gate(passingGateRequest({ service: { name: "checkout-api", namespace: "apps", environment: "production" } }))).status).toBe(200)
      const beta = (await createToken(testDb.url, "--workspace", "beta", "--scope", "gate:evaluate")).value
      const inBeta = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(passingGateRequest()), {
        authorization: `Bearer ${beta}`
      })
      expect(inBeta.status).toBe(200)
      expect((await statusOk()).usage.services).toEqual({ used: 4, limit: 10, exceeded: false, workspace: 3 })
      expect((await statusOk({ token: tokens.betaReader, query: "" })).usage.services.workspace).toBe(1)
      expect((await statusOk({ session: sessions.outsider, query: "?workspace=beta" })).usage.services.workspace).toBe(1)
    })

    it("a valid license: installed with the CLI after verification; its claims, entitlements and usage against them", async () => {
      const installed = await install(writeLicense("valid", licenses.valid))
      expect(installed.code, installed.stderr).toBe(0)
      expect(installed.stdout).toContain("installed license lic-valid for Acme Corp (enterprise)")
      expectNoSecrets(installed.stdout + installed.stderr, "install's output")
      const answer = await statusOk()
      expect(answer).toMatchObject({
        status: "active",
        reason: null,
        licenseId: "lic-valid",
        customer: "Acme Corp",
        plan: "enterprise",
        daysLeft: 365,
        entitlements: { maxServices: 2, enforceMode: true, sso: true, retentionDays: 30, supportTier: "gold" },
        usage: { services: { used: 4, limit: 2, exceeded: true, workspace: 3 } }
      })
      expect(Date.parse(answer.expiresAt) - Date.parse(answer.issuedAt)).toBe(365 * 86_400_000)
      // The same answer for a token, and (without a workspace count) on the internal listener.
      expect(await statusOk({ token: tokens.reader, query: "" })).toMatchObject({ status: "active", licenseId: "lic-valid" })
      // Over the limit is reported, never enforced: the gate still answers normally.
      const verdict = await gate(passingGateRequest({ service: { name: "fifth-api", namespace: "apps", environment: "staging" } }))
      expect(verdict.status).toBe(200)
      expect(verdict.json).toMatchObject({ verdict: "pass", allowed: true })
    })

    it("the CLI's status says what the server says, and carries no key or document either", async () => {
      const result = await cliOk(["license", "status", "--json", "--database", testDb.url, "--license-public-key", keys.vendor.public])
      expectNoSecrets(result.stdout + result.stderr, "license status")
      const fromCli = JSON.parse(result.stdout)
      const fromServer = await statusOk()
      expect({ ...fromCli, checkedAt: null }).toEqual({
        ...fromServer,
        checkedAt: null,
        usage: { services: { ...fromServer.usage.services, workspace: null } }
      })
    })

    it("expiring: 30 days or less left", async () => {
      expect((await install(writeLicense("expiring", licenses.expiring))).code).toBe(0)
      expect(await statusOk()).toMatchObject({
        status: "expiring",
        licenseId: "lic-expiring",
        daysLeft: 10,
        entitlements: { maxServices: 10, sso: false }
      })
    })

    it("install refuses what would not count (expired, other key, tampered, malformed), and changes nothing", async () => {
      const before = await run(stores.licenses.history)
      const refusals = [
        ["expired", licenses.expired, /expired on 2024-12-31/],
        ["other-key", licenses.otherKey, /license\.signature_invalid/],
        ["tampered", licenses.badSignature, /license\.signature_invalid/],
        ["malformed", licenses.malformed, /license\.malformed/],
        ["empty", "", /license\.malformed/]
      ] as const
      for (const [name, document, message] of refusals) {
        const refused = await install(writeLicense(name, document))
        expect(refused.code, name).not.toBe(0)
        expect(refused.stderr, name).toMatch(message)
        expect(refused.stderr, name).toContain("nothing was installed")
        expectNoSecrets(refused.stdout + refused.stderr, `install's refusal (${name})`)
      }
      // Without the public key there is nothing to verify with: refused too.
      const noKey = await cli(["license", "install", "--database", testDb.url, writeLicense("nokey", licenses.valid)], {
        env: { RELEASEPASSPORT_LICENSE_PUBLIC_KEY: undefined }
      })
      expect(noKey.code).not.toBe(0)
      expect(noKey.stderr).toContain("no license public key")
      expect(await run(stores.licenses.history)).toEqual(before)
      expect((await statusOk()).status).toBe("expiring")
    })

    it("expired: reported with whose license it was; community entitlements apply; a gate is still answered normally", async () => {
      await plant(licenses.expired)
      expect(await statusOk()).toMatchObject({
        status: "expired",
        licenseId: "lic-expired",
        customer: "Acme Corp",
        expiresAt: "2024-12-31T00:00:00.000Z",
        daysLeft: 0,
        entitlements: { maxServices: 10, enforceMode: true, sso: false, retentionDays: 30 }
      })
      // Deploys do not stop over billing: enforce, shadow, and a new service all answered as usual.
      for (const mode of ["enforce", "shadow"] as const) {
        const verdict = await gate(passingGateRequest({ mode, service: { name: "after-expiry", namespace: "apps", environment: "staging" } }))
        expect(verdict.status, verdict.text).toBe(200)
        expect(verdict.json).toMatchObject({ mode, verdict: "pass", allowed: true, wouldBlock: false, blockers: [] })
      }
      const failing = await gate(passingGateRequest({ mode: "enforce", artifact: { digest: "sha256:abc123..." } }))
      expect(failing.status).toBe(200)
      expect(failing.json).toMatchObject({ verdict: "fail", allowed: false })
      expect(failing.json.blockers.map((b: { code: string }) => b.code)).toEqual(["artifact.digest_invalid"])
    })

    it.each([
      ["signed by another key", "otherKey", "license.signature_invalid"],
      ["with a bad signature (payload edited)", "badSignature", "license.signature_invalid"],
      ["malformed", "malformed", "license.malformed"]
    ] as const)("a license %s is invalid: nothing of it is repeated, and gates carry on", async (_label, which, code) => {
      await plant(licenses[which])
      const answer = await statusOk()
      expect(answer).toMatchObject({
        status: "invalid",
        reason: { code },
        licenseId: null,
        customer: null,
        plan: null,
        expiresAt: null,
        daysLeft: null,
        installedAt: expect.any(String),
        entitlements: { maxServices: 10 }
      })
      // Not even the forged claim (9999 services) shows.
      expect(JSON.stringify(answer)).not.toContain("9999")
      const verdict = await gate()
      expect(verdict.status).toBe(200)
      expect(verdict.json.allowed).toBe(true)
    })

    it("the internal listener: this route only, no authentication, over the installation; loopback by default", async () => {
      expect(new URL(internalUrl).hostname).toBe("127.0.0.1")
      await plant(licenses.valid)
      const answer = await fetch(internalUrl)
      const text = await answer.text()
      expectNoSecrets(text, "the internal listener")
      expect(answer.status).toBe(200)
      expect(JSON.parse(text)).toMatchObject({ status: "active", licenseId: "lic-valid", usage: { services: { workspace: null } } })
      const origin = new URL(internalUrl).origin
      for (const other of ["/releasepassport/v1/healthz", "/releasepassport/v1/passports", "/releasepassport/v1/openapi.json", "/"]) {
        const elsewhere = await fetch(`${origin}${other}`)
        expect(elsewhere.status, other).toBe(404)
      }
      const gateThere = await fetch(`${origin}/releasepassport/v1/gate/evaluate`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.gate}`, "content-type": "application/json" },
        body: JSON.stringify(passingGateRequest())
      })
      expect(gateThere.status).toBe(404)
      expect((await fetch(internalUrl, { method: "POST" })).status).toBe(405)
      // The main listener still wants a credential for the same route.
      expect((await status()).status).toBe(401)
    })

    it("the OpenAPI document lists the session and the token as alternatives", async () => {
      const document = await (await fetch(`${server.url}/releasepassport/v1/openapi.json`)).json()
      const operation = document.paths["/releasepassport/v1/license/status"].get
      expect(operation.security).toEqual([{ session: [] }, { bearer: [] }])
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["200", "401", "403", "404"]))
    })

    it("logs problems at most once a day per state, and never a key or a document", async () => {
      await plant(licenses.expired)
      for (let i = 0; i < 5; i++) await statusOk()
      await plant(licenses.badSignature)
      for (let i = 0; i < 5; i++) await statusOk({ token: tokens.reader, query: "" })
      const output = server.output()
      expectNoSecrets(output, "the server's log")
      const lines = (pattern: RegExp) => output.split("\n").filter((line) => pattern.test(line))
      expect(lines(/license_status=expired/)).toHaveLength(1)
      expect(lines(/license_status=expiring/)).toHaveLength(1)
      // One per reason: another key and an edited payload are the same state (signature_invalid).
      expect(lines(/reason=license\.signature_invalid/)).toHaveLength(1)
      expect(lines(/reason=license\.malformed/)).toHaveLength(1)
      expect(lines(/license_status=active|license_status=community/)).toHaveLength(0)
    })
  })
}

describe("license key configuration", () => {
  it("a private key or an unreadable path as the public key: refused by the CLI with a message that shows no key", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-license-keys-"))
    try {
      const made = await cli(["license", "keygen", "--out-dir", dir])
      expect(made.code, made.stderr).toBe(0)
      const privateKey = path.join(dir, "license-private.pem")
      const body = readFileSync(privateKey, "utf8").split("\n")[1]!
      // keygen never overwrites a key.
      const again = await cli(["license", "keygen", "--out-dir", dir])
      expect(again.code).not.toBe(0)
      expect(again.stderr).toContain("refusing to overwrite")
      const license = path.join(dir, "x.license")
      writeFileSync(license, "x.y.z")
      const database = `sqlite:${path.join(dir, "db.sqlite")}`
      for (const [key, message] of [[privateKey, "holds a private key"], [path.join(dir, "missing.pem"), "ENOENT"]] as const) {
        const refused = await cli(["license", "install", "--database", database, "--license-public-key", key, license])
        expect(refused.code).not.toBe(0)
        expect(refused.stderr).toContain(message)
        expect(refused.stdout + refused.stderr).not.toContain(body)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("every license command has --help", async () => {
    for (const command of [[], ["install"], ["status"], ["keygen"], ["issue"]]) {
      const help = await cli(["license", ...command, "--help"])
      expect(help.code, command.join(" ")).toBe(0)
      expect(help.stdout).toContain("USAGE")
    }
  })
})
