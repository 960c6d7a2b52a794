import { openDatabase } from "@releasepassport/adapters"
import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import { sanitizeText } from "@releasepassport/core"
import { request as httpRequest } from "node:http"
import { connect } from "node:net"
import { gzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, BASE, call, cli, createToken, login, passingGateRequest, rawPost, signIn, startServer, tableNames } from "@releasepassport/testing"
import type { RawAnswer, RunningServer, Session, TestDatabase } from "@releasepassport/testing"

/**
 * Every kind of request the server refuses, each against a full dump of every table taken
 * before and after: a refused request changes nothing but sanitized counters (a connector's
 * rejection count, a token's last use, sign-in attempts), and no secret it carried is stored
 * anywhere. Both databases must give the same answers (PostgreSQL refuses NUL and lone
 * surrogates that SQLite would store, so they are refused before any write).
 */
const PASSWORD = "correct horse battery staple"
// Built at run time so that this file holds nothing a secret scanner takes for a credential.
const AWS_KEY_ID = ["AKIA", "QX7Z", "K2M9", "R4TB", "W8NE"].join("")
const GITHUB_TOKEN = ["ghp", "_", "Zr8kQ2mX7vN4pL9wT3yB6cF1hJ5dS0gA8eU2"].join("")

/** Columns that are counters or last-use marks: a refusal may move them, nothing else. */
const COUNTERS: Record<string, ReadonlyArray<string>> = {
  api_tokens: ["last_used_at"],
  connectors: ["rejected_total", "last_seen_at", "last_batch_at", "last_batch_outcome", "last_batch_detail", "updated_at"],
  login_throttles: ["failures", "window_started_at", "locked_until"]
}
/** Tables that are counts themselves (one row per refusal of an attributable, clean source). */
const COUNT_TABLES = new Set(["connector_rejections"])

const dump = async (database: SqlDatabase<Tables>) => {
  const tables = await tableNames(database)
  const full: Record<string, Array<string>> = {}
  for (const table of tables) {
    const rows = await database.db.selectFrom(table as keyof Tables).selectAll().execute()
    full[table] = rows.map((row) => JSON.stringify(row)).sort()
  }
  return full
}

const withoutCounters = (full: Record<string, Array<string>>) => {
  const out: Record<string, Array<string>> = {}
  for (const [table, rows] of Object.entries(full)) {
    if (COUNT_TABLES.has(table)) continue
    const drop = COUNTERS[table] ?? []
    out[table] = rows.map((text) => {
      const row = JSON.parse(text) as Record<string, unknown>
      for (const column of drop) delete row[column]
      return JSON.stringify(row)
    }).sort()
  }
  return out
}

const raw = (url: string, options: { method?: string; path: string; headers?: Record<string, string | Array<string>>; body?: Buffer | string }) =>
  new Promise<RawAnswer>((resolve, reject) => {
    const target = new URL(url)
    const req = httpRequest({ host: target.hostname, port: target.port, method: options.method ?? "POST", path: options.path, headers: options.headers ?? {} }, (res) => {
      let text = ""
      res.on("data", (chunk: Buffer) => (text += chunk.toString()))
      res.on("end", () => {
        let json: any
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: new Headers(res.headers as Record<string, string>), text, json })
      })
    })
    req.on("error", reject)
    req.end(options.body)
  })

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`refused requests leave no trace (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let database: SqlDatabase<Tables>
    let token: string
    let admin: Session

    beforeAll(async () => {
      testDb = await choice.create()
      expect((await cli(["migrate", "--database", testDb.url])).code).toBe(0)
      const made = await cli(["user", "create", "--database", testDb.url, "--email", "admin@example.com", "--workspace", "default", "--role", "admin"], { input: `${PASSWORD}\n` })
      expect(made.code, made.stderr).toBe(0)
      token = (await createToken(testDb.url, "--workspace", "default", "--scope", "gate:evaluate", "--scope", "evidence:ingest")).value
      server = await startServer({ database: testDb.url })
      database = await openDatabase(testDb.url)
      // A dump of no tables would make every comparison below pass: make sure it sees them.
      expect(await tableNames(database)).toEqual(expect.arrayContaining(["connectors", "connector_rejections", "evidence", "gate_evaluations", "passports"]))
      admin = await signIn(server.url, "admin@example.com", PASSWORD)
      for (const secret of [AWS_KEY_ID, GITHUB_TOKEN, token]) expect(sanitizeText(secret).redactions).toBeGreaterThan(0)
      // Something to refuse comments on, and a clean connector whose rejections may be counted.
      const gate = await rawPost(`${server.url}${BASE}/gate/evaluate`, JSON.stringify(passingGateRequest()), { authorization: `Bearer ${token}` })
      expect(gate.status).toBe(200)
      passportId = gate.json.passportId
      const seen = await rawPost(`${server.url}${BASE}/evidence/ingest`, JSON.stringify(evidence()), { authorization: `Bearer ${token}` })
      expect(seen.status).toBe(200)
    })
    afterAll(async () => {
      await server?.stop()
      await database?.close()
      await testDb?.drop()
    })
    let passportId: string

    const bearer = () => ({ authorization: `Bearer ${token}` })
    const evidence = (overrides: Record<string, unknown> = {}, item: Record<string, unknown> = {}) => ({
      source: "github_actions",
      externalId: `run-${Math.random().toString(36).slice(2)}`,
      service: { name: "checkout-api", namespace: "apps-checkout" },
      release: { releaseId: "rel-refused", sourceSha: "9f3c8b7" },
      artifact: { digest: `sha256:${"3f1a9c0e".repeat(8)}` },
      evidence: [{ type: "smoke", status: "passed", summary: "smoke passed", ...item }],
      ...overrides
    })
    const postEvidence = (body: unknown, headers: Record<string, string> = {}) =>
      rawPost(`${server.url}${BASE}/evidence/ingest`, JSON.stringify(body), { ...bearer(), ...headers })
    const postGate = (body: unknown) => rawPost(`${server.url}${BASE}/gate/evaluate`, JSON.stringify(body), bearer())
    const gateWith = (patch: (request: any) => void) => {
      const request: any = passingGateRequest()
      patch(request)
      return request
    }

    const refused: ReadonlyArray<readonly [string, () => Promise<RawAnswer>, number, string, string?]> = [
      // 2. a secret as `source`: refused, and not even the connector is written
      ["evidence source = AWS key id", () => postEvidence(evidence({ source: AWS_KEY_ID })), 422, "request.secret_in_identifier", AWS_KEY_ID],
      ["evidence source = GitHub token", () => postEvidence(evidence({ source: GITHUB_TOKEN })), 422, "request.secret_in_identifier", GITHUB_TOKEN],
      ["evidence source = rp token", () => postEvidence(evidence({ source: token })), 422, "request.secret_in_identifier", "rp_"],
      // 4. identifiers on the gate route
      ["gate service.name", () => postGate(gateWith((r) => (r.service.name = `svc-${AWS_KEY_ID}`))), 422, "request.secret_in_identifier", AWS_KEY_ID],
      ["gate environment", () => postGate(gateWith((r) => (r.service.environment = GITHUB_TOKEN))), 422, "request.secret_in_identifier", GITHUB_TOKEN],
      ["gate release.releaseId", () => postGate(gateWith((r) => (r.release.releaseId = AWS_KEY_ID))), 422, "request.secret_in_identifier", AWS_KEY_ID],
      ["gate renderedManifestPath", () => postGate(gateWith((r) => (r.release.renderedManifestPath = `rendered/${GITHUB_TOKEN}.yaml`))), 422, "request.secret_in_identifier", GITHUB_TOKEN],
      // 5. NUL and lone surrogates, on every route, before any write
      ["NUL in login email", () => login(server.url, "admin\u0000@example.com", PASSWORD), 422, "request.invalid"],
      ["NUL in evidence summary", () => postEvidence(evidence({}, { summary: "smoke\u0000passed" })), 422, "request.invalid"],
      ["NUL in evidence details", () => postEvidence(evidence({}, { details: { log: "a\u0000b" } })), 422, "request.invalid"],
      ["NUL in evidence url", () => postEvidence(evidence({}, { url: "https://ci.example.com/\u0000" })), 422, "request.invalid"],
      ["lone surrogate in evidence details", () => postEvidence(evidence({}, { details: { log: "a\ud800b" } })), 422, "request.invalid"],
      ["lone surrogate in a detail key", () => postEvidence(evidence({}, { details: { ["k\udc00"]: 1 } })), 422, "request.invalid"],
      ["lone surrogate in gate service.name", () => postGate(gateWith((r) => (r.service.name = "svc\ud800"))), 422, "request.invalid"],
      ["NUL in gate releaseId", () => postGate(gateWith((r) => (r.release.releaseId = "rel\u0000x"))), 422, "request.invalid"],
      ["NUL in a comment", () => call(server.url, "POST", `/passports/${passportId}/comments?workspace=default`, { session: admin, body: { body: "hi\u0000there" } }), 422, "request.invalid"],
      ["NUL in a connector name", () => call(server.url, "PUT", `/integrations/gh%00x?workspace=default`, { session: admin, body: {} }), 422, "request.invalid"],
      // 8. secrets in other places
      ["Idempotency-Key that is a token", () => postEvidence(evidence(), { "idempotency-key": token }), 422, "request.secret_in_identifier", "rp_"],
      ["token name with a secret", () => call(server.url, "POST", "/tokens?workspace=default", { session: admin, body: { name: `deploy ${GITHUB_TOKEN}`, scopes: ["gate:evaluate"] } }), 422, "request.secret_in_identifier", GITHUB_TOKEN],
      ["connector displayName with a secret", () => call(server.url, "PUT", "/integrations/github_actions?workspace=default", { session: admin, body: { displayName: `GH ${AWS_KEY_ID}` } }), 422, "request.secret_in_identifier", AWS_KEY_ID],
      ["connector environment with a secret", () => call(server.url, "PUT", "/integrations/github_actions?workspace=default", { session: admin, body: { environments: [GITHUB_TOKEN] } }), 422, "request.secret_in_identifier", GITHUB_TOKEN],
      // 9. edges
      ["two Authorization headers", () => raw(server.url, { path: `${BASE}/gate/evaluate`, headers: { authorization: [`Bearer ${token}`, "Bearer rp_x"], "content-type": "application/json" }, body: JSON.stringify(passingGateRequest()) }), 400, "request.malformed"],
      ["a body without Content-Type", () => raw(server.url, { path: `${BASE}/gate/evaluate`, headers: bearer(), body: JSON.stringify(passingGateRequest()) }), 415, "request.unsupported_media_type"],
      ["a gzip body", () => raw(server.url, { path: `${BASE}/gate/evaluate`, headers: { ...bearer(), "content-type": "application/json", "content-encoding": "gzip" }, body: gzipSync(JSON.stringify(passingGateRequest())) }), 415, "request.unsupported_media_type"],
      ["an upper-case path", () => raw(server.url, { path: "/RELEASEPASSPORT/v1/gate/evaluate", headers: { ...bearer(), "content-type": "application/json" }, body: JSON.stringify(passingGateRequest()) }), 404, "route.not_found"],
      ["a doubled slash", () => raw(server.url, { path: "//releasepassport/v1/gate/evaluate", headers: { ...bearer(), "content-type": "application/json" }, body: JSON.stringify(passingGateRequest()) }), 404, "route.not_found"]
    ]

    const cases = refused.map(([name, send, status, code, secret]) => ({ name, send, status, code, secret }))
    it.each(cases)("$name → $status $code, and nothing stored", async ({ send, status, code, secret }) => {
      const before = await dump(database)
      const answer = await send()
      expect({ status: answer.status, code: answer.json?.code }, answer.text).toEqual({ status, code })
      if (code === "request.invalid") expect(answer.json.errors.length).toBeGreaterThan(0)
      const after = await dump(database)
      expect(withoutCounters(after)).toEqual(withoutCounters(before))
      if (secret !== undefined) expect(JSON.stringify(after)).not.toContain(secret)
      // The server is still healthy.
      expect((await fetch(`${server.url}${BASE}/healthz`)).status).toBe(200)
    })

    it.each([
      ["token create --name", ["token", "create", "--workspace", "default", "--scope", "gate:evaluate", "--name", `ci ${GITHUB_TOKEN}`]],
      ["workspace create --name", ["workspace", "create", "--slug", "leaky", "--name", `Team ${AWS_KEY_ID}`]]
    ] as const)("the CLI applies the same rule: %s with a secret fails as a usage error and stores nothing", async (_name, args) => {
      const before = await dump(database)
      const result = await cli([...args, "--database", testDb.url])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("looks like it holds a secret")
      expect(await dump(database)).toEqual(before)
    })

    it("free text with a secret is stored sanitized, never raw", async () => {
      const answer = await postEvidence(evidence({}, { summary: `deployed with ${GITHUB_TOKEN}`, details: { key: AWS_KEY_ID } }))
      expect(answer.status).toBe(200)
      const comment = await call(server.url, "POST", `/passports/${passportId}/comments?workspace=default`, { session: admin, body: { body: `oops ${AWS_KEY_ID}` } })
      expect(comment.status).toBe(201)
      const all = JSON.stringify(await dump(database))
      expect(all).not.toContain(GITHUB_TOKEN)
      expect(all).not.toContain(AWS_KEY_ID)
    })

    it("compares the whole Origin with the listen address when no public URL is set", async () => {
      const port = new URL(server.url).port
      const wrongScheme = await call(server.url, "POST", "/auth/logout", { session: admin, origin: `https://127.0.0.1:${port}` })
      expect(wrongScheme).toMatchObject({ status: 403, json: { code: "auth.origin_mismatch" } })
      const spoofedHost = await raw(server.url, {
        path: `${BASE}/auth/login`,
        headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, "content-type": "application/json" },
        body: JSON.stringify({ email: "admin@example.com", password: PASSWORD })
      })
      expect(spoofedHost).toMatchObject({ status: 403, json: { code: "auth.origin_mismatch" } })
    })

    it.skipIf(choice.adapter !== "sqlite")("cuts a client that sends its headers too slowly at the configured 10 s", async () => {
      const target = new URL(server.url)
      const started = Date.now()
      const closedAfter = await new Promise<number>((resolve) => {
        const socket = connect(Number(target.port), target.hostname, () => socket.write("GET /releasepassport/v1/healthz HTTP/1.1\r\nHost: x\r\n"))
        const trickle = setInterval(() => socket.write("X-Slow: 1\r\n"), 1000)
        socket.on("data", () => undefined)
        socket.on("close", () => {
          clearInterval(trickle)
          resolve(Date.now() - started)
        })
        socket.on("error", () => undefined)
        setTimeout(() => socket.destroy(), 40_000)
      })
      expect(closedAfter).toBeGreaterThanOrEqual(9_000)
      expect(closedAfter).toBeLessThan(14_000)
    }, 45_000)
  })
}
