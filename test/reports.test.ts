import type { EvidenceBatch, GateRequest } from "@releasepassport/core"
import { parse } from "csv-parse/sync"
import { createHash } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, call, cli, createToken, evidenceBatchFor, gateWith, ingestWith, passingGateRequest, readZip, seedTwoWorkspaces, signInSeeded, startServer, writeZip } from "@releasepassport/testing"
import type { RunningServer, Session, TestDatabase } from "@releasepassport/testing"

/**
 * Reports, black-box: decisions go in through the gate with a token, reports come out through
 * sessions, tokens and the CLI. Expected figures are computed here from the gate's own answers,
 * never from the report code.
 */
const ALPHA_ROLES = ["viewer", "admin", "member"] as const
/** A token name a spreadsheet would run as a formula. */
const FORMULA_NAME = "=HYPERLINK(\"https://evil.example\",\"ci\")"

interface Decided {
  readonly passportId: string
  readonly mode: "shadow" | "enforce"
  readonly verdict: string
  readonly allowed: boolean
  readonly wouldBlock: boolean
  readonly codes: ReadonlyArray<string>
  readonly service: string
  readonly namespace: string
  readonly environment: string
}

/** The impact report's figures, computed independently from the gate answers. */
const expectedImpact = (decided: ReadonlyArray<Decided>) => {
  const tally = (list: ReadonlyArray<Decided>) => ({ evaluations: list.length, releases: new Set(list.map((d) => d.passportId)).size })
  const group = (list: ReadonlyArray<Decided>, key: (d: Decided) => ReadonlyArray<string>) => {
    const groups = new Map<string, Array<Decided>>()
    for (const d of list) for (const k of new Set(key(d))) groups.set(k, [...(groups.get(k) ?? []), d])
    return Object.fromEntries([...groups].map(([k, v]) => [k, tally(v)]))
  }
  const blocking = (list: ReadonlyArray<Decided>) => ({
    ...tally(list),
    byRule: group(list, (d) => d.codes),
    byService: group(list, (d) => [`${d.namespace}/${d.service}`]),
    byEnvironment: group(list, (d) => [d.environment])
  })
  const shadow = decided.filter((d) => d.mode === "shadow")
  const enforce = decided.filter((d) => d.mode === "enforce")
  return {
    shadow: {
      ...tally(shadow),
      wouldBlock: blocking(shadow.filter((d) => d.verdict !== "error" && d.wouldBlock)),
      wouldAllow: tally(shadow.filter((d) => d.verdict !== "error" && !d.wouldBlock)),
      errors: tally(shadow.filter((d) => d.verdict === "error"))
    },
    enforce: {
      ...tally(enforce),
      blocked: blocking(enforce.filter((d) => d.verdict !== "error" && !d.allowed)),
      allowed: tally(enforce.filter((d) => d.verdict !== "error" && d.allowed)),
      errors: tally(enforce.filter((d) => d.verdict === "error"))
    }
  }
}

/** The report's figures in the same shape, so the two compare whole. */
const observedImpact = (report: any) => {
  const blocking = (b: any) => ({
    evaluations: b.evaluations,
    releases: b.releases,
    byRule: Object.fromEntries(b.byRule.map((r: any) => [r.code, { evaluations: r.evaluations, releases: r.releases }])),
    byService: Object.fromEntries(b.byService.map((s: any) => [`${s.namespace}/${s.service}`, { evaluations: s.evaluations, releases: s.releases }])),
    byEnvironment: Object.fromEntries(b.byEnvironment.map((e: any) => [e.environment, { evaluations: e.evaluations, releases: e.releases }]))
  })
  return {
    shadow: {
      evaluations: report.shadow.evaluations,
      releases: report.shadow.releases,
      wouldBlock: blocking(report.shadow.wouldBlock),
      wouldAllow: report.shadow.wouldAllow,
      errors: report.shadow.errors
    },
    enforce: {
      evaluations: report.enforce.evaluations,
      releases: report.enforce.releases,
      blocked: blocking(report.enforce.blocked),
      allowed: report.enforce.allowed,
      errors: report.enforce.errors
    }
  }
}

/** What a CSV cell holds for a JSONL value: the export's documented mapping, formula cells neutralised. */
const asCell = (value: unknown): string => {
  const text = value === null ? "" : typeof value === "boolean" ? String(value) : Array.isArray(value) ? value.join(" ") : String(value)
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
}

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`reports (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let dir: string
    let gateToken: { value: string; id: string }
    let reportsToken: string
    let licenseToken: string
    let betaReportsToken: string
    const sessions = {} as Record<"viewer" | "admin" | "member" | "outsider", Session>
    const decided: Array<Decided> = []
    let since: string
    let privateSecret: string
    let reported: { passportId: string; privateId: string; publicId: string }

    const gate = (token: string, request: GateRequest) => gateWith(server.url, token, request)
    const ingest = (token: string, batch: EvidenceBatch) => ingestWith(server.url, token, batch)
    const batchFor = evidenceBatchFor
    const record = (answer: any, request: GateRequest) => {
      decided.push({
        passportId: answer.passportId,
        mode: answer.mode,
        verdict: answer.verdict,
        allowed: answer.allowed,
        wouldBlock: answer.wouldBlock,
        codes: answer.blockers.map((b: { code: string }) => b.code),
        service: request.service.name,
        namespace: request.service.namespace,
        environment: request.service.environment
      })
    }
    const bearer = (token: string, route: string) =>
      fetch(`${server.url}/releasepassport/v1${route}`, { headers: { authorization: `Bearer ${token}` } })
    const window = () => `since=${encodeURIComponent(since)}&until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "releasepassport-reports-"))
      testDb = await choice.create()
      await seedTwoWorkspaces(testDb.url, ALPHA_ROLES)
      gateToken = await createToken(testDb.url, "--workspace", "alpha", "--name", FORMULA_NAME, "--scope", "gate:evaluate", "--scope", "evidence:ingest")
      reportsToken = (await createToken(testDb.url, "--workspace", "alpha", "--name", "auditor", "--scope", "reports:read")).value
      licenseToken = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "license:read")).value
      betaReportsToken = (await createToken(testDb.url, "--workspace", "beta", "--scope", "reports:read")).value
      const betaGate = (await createToken(testDb.url, "--workspace", "beta", "--scope", "gate:evaluate")).value
      server = await startServer({ database: testDb.url })
      Object.assign(sessions, await signInSeeded(server.url, ALPHA_ROLES))
      since = new Date(Date.now() - 1000).toISOString()

      // Twelve releases: two services, production (fails without a passed smoke) and staging,
      // shadow and enforce; some evaluated twice, some production ones given a smoke.
      for (let i = 0; i < 12; i++) {
        const request = passingGateRequest({
          mode: i % 2 === 0 ? "enforce" : "shadow",
          service: { name: i < 6 ? "checkout-api" : "search-api", namespace: "apps", environment: i % 3 === 0 ? "production" : "staging" }
        })
        if (i % 6 === 3) await ingest(gateToken.value, batchFor(request, `run-${i}`, [{ type: "smoke", status: "passed", summary: "ok" }]))
        record(await gate(gateToken.value, request), request)
        if (i % 4 === 0 || i === 7 || i === 9) record(await gate(gateToken.value, request), request)
      }
      // Another workspace's decision, which no alpha report may count.
      await gate(betaGate, passingGateRequest({ mode: "shadow", service: { name: "checkout-api", namespace: "apps", environment: "production" } }))

      // A release with public and private evidence and a comment, for the passport report.
      const request = passingGateRequest({ mode: "shadow", service: { name: "payments-api", namespace: "apps", environment: "production" } })
      privateSecret = "internal-scan-note-5b1e"
      const pub = await ingest(gateToken.value, batchFor(request, "smoke-1", [{ type: "smoke", status: "failed", summary: "smoke failed", details: { failed: ["GET /health"] } }]))
      const priv = await ingest(gateToken.value, batchFor(request, "scan-1", [
        { type: "vuln-scan", status: "warning", summary: "2 medium", details: { note: privateSecret }, private: true }
      ]))
      const answer = await gate(gateToken.value, request)
      record(answer, request)
      const comment = await call(server.url, "POST", `/passports/${answer.passportId}/comments?workspace=alpha`, {
        session: sessions.member,
        body: { body: "Approved by <script>alert(1)</script> CAB #42" }
      })
      expect(comment.status, comment.text).toBe(201)
      reported = { passportId: answer.passportId, privateId: priv.items[0].id, publicId: pub.items[0].id }
    }, 120_000)
    afterAll(async () => {
      await server?.stop()
      await testDb?.drop()
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    })

    it("shadow impact: the counts computed from the gate's answers, by session and by token", async () => {
      const expected = expectedImpact(decided)
      // The mix exercises every bucket this workspace's policy can produce.
      expect(expected.shadow.wouldBlock.evaluations).toBeGreaterThan(0)
      expect(expected.shadow.wouldAllow.evaluations).toBeGreaterThan(0)
      expect(expected.enforce.blocked.evaluations).toBeGreaterThan(0)
      expect(expected.enforce.allowed.evaluations).toBeGreaterThan(0)
      expect(expected.shadow.evaluations).toBeGreaterThan(expected.shadow.releases)

      const bySession = await call(server.url, "GET", `/reports/impact?workspace=alpha&${window()}`, { session: sessions.viewer })
      expect(bySession.status, bySession.text).toBe(200)
      expect(observedImpact(bySession.json)).toEqual(expected)
      const byToken = await bearer(reportsToken, `/reports/impact?${window()}`)
      expect(byToken.status).toBe(200)
      expect(observedImpact(await byToken.json())).toEqual(expected)

      // Examples are passports where the rule fired, and firstAt <= lastAt.
      for (const rule of bySession.json.shadow.wouldBlock.byRule) {
        expect(rule.firstAt <= rule.lastAt).toBe(true)
        for (const example of rule.examples) {
          expect(decided.some((d) => d.passportId === example && d.mode === "shadow" && d.codes.includes(rule.code))).toBe(true)
        }
      }
      // Filters narrow it.
      const staging = await call(server.url, "GET", `/reports/impact?workspace=alpha&${window()}&environment=staging&service=search-api`, { session: sessions.viewer })
      expect(observedImpact(staging.json)).toEqual(expectedImpact(decided.filter((d) => d.environment === "staging" && d.service === "search-api")))
    })

    it("decision export: CSV parsed back equals JSON Lines; formula cells neutralised; token name and id, never its value", async () => {
      const csv = await call(server.url, "GET", `/reports/decisions?workspace=alpha&format=csv&${window()}`, { session: sessions.viewer })
      expect(csv.status, csv.text).toBe(200)
      expect(csv.headers.get("content-type")).toMatch(/^text\/csv/)
      const jsonl = await bearer(reportsToken, `/reports/decisions?format=jsonl&${window()}`)
      expect(jsonl.status).toBe(200)
      const jsonlText = await jsonl.text()
      const rows = jsonlText.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>)
      expect(rows).toHaveLength(decided.length)
      const parsed = parse(csv.text, { columns: true, bom: false }) as Array<Record<string, string>>
      expect(parsed).toEqual(rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, asCell(v)]))))
      expect(rows.map((r) => r["passportId"])).toEqual(decided.map((d) => d.passportId))
      expect(rows[0]).toMatchObject({ workspace: "alpha", tokenName: FORMULA_NAME, tokenId: gateToken.id })
      expect(parsed[0]!["tokenName"]).toBe(`'${FORMULA_NAME}`)
      for (const text of [csv.text, jsonlText]) {
        expect(text).not.toContain(gateToken.value)
        expect(text).not.toContain("renderedManifestPath")
      }
      // Filters narrow the export like the passport list's.
      const shadowFails = await bearer(reportsToken, `/reports/decisions?format=jsonl&mode=shadow&verdict=fail&${window()}`)
      const lines = (await shadowFails.text()).trimEnd().split("\n").filter((l) => l !== "")
      expect(lines).toHaveLength(decided.filter((d) => d.mode === "shadow" && d.verdict === "fail").length)
    })

    it("passport report: JSON and printable, escaped HTML; private details never, not even hashed", async () => {
      const json = await bearer(reportsToken, `/passports/${reported.passportId}/report?format=json`)
      expect(json.status).toBe(200)
      const report = await json.json()
      expect(report.passport).toMatchObject({ id: reported.passportId, service: { name: "payments-api", namespace: "apps" } })
      expect(report.environments.map((e: { environment: string }) => e.environment)).toEqual(["production"])
      expect(report.blockers.length).toBeGreaterThan(0)
      const byId = new Map(report.evidence.map((e: { id: string }) => [e.id, e]))
      expect(byId.get(reported.privateId)).toMatchObject({ private: true, detailsSha256: null, type: "vuln-scan" })
      const expectedHash = `sha256:${createHash("sha256").update(JSON.stringify({ failed: ["GET /health"] })).digest("hex")}`
      expect(byId.get(reported.publicId)).toMatchObject({ private: false, detailsSha256: expectedHash, status: "failed" })
      expect(report.comments[0].body).toContain("CAB #42")

      const html = await call(server.url, "GET", `/passports/${reported.passportId}/report?workspace=alpha`, { session: sessions.admin })
      expect(html.status).toBe(200)
      expect(html.headers.get("content-type")).toMatch(/^text\/html/)
      expect(html.text).toContain("@media print")
      expect(html.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;")
      expect(html.text).not.toContain("<script>")
      for (const text of [JSON.stringify(report), html.text]) expect(text).not.toContain(privateSecret)
    })

    it("audit pack: verify passes as generated, and fails for an edited row, a removed row and a changed file", async () => {
      const pack = path.join(dir, "pack.zip")
      const made = await cli(["report", "audit-pack", "--url", server.url, "--since", "1h", "--output", pack], { env: { RELEASEPASSPORT_TOKEN: reportsToken } })
      expect(made.code, made.stderr).toBe(0)
      const ok = await cli(["report", "verify", pack])
      expect(ok.code, ok.stderr).toBe(0)
      expect(ok.stdout).toContain("OK")

      const files = await readZip(readFileSync(pack))
      const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8"))
      expect(manifest).toMatchObject({ workspace: "alpha", decisions: { rows: decided.length } })
      expect(manifest.generatedBy).toMatch(/^token auditor \(tok_\w+\)$/)
      const releases = new Set(decided.map((d) => d.passportId))
      expect([...files.keys()].filter((n) => n.startsWith("passports/")).sort()).toEqual([...releases].map((id) => `passports/${id}.json`).sort())
      for (const entry of manifest.entries) {
        expect(createHash("sha256").update(files.get(entry.name)!).digest("hex")).toBe(entry.sha256)
      }
      expect(files.get("summary.html")!.toString()).toContain("Shadow mode")

      /** A tampered copy whose manifest is made to agree, so only the chain can tell. */
      const tampered = async (name: string, edit: (lines: Array<string>) => Array<string>, fixManifest: boolean) => {
        const copy = new Map(files)
        const lines = files.get("decisions.csv")!.toString("utf8").split("\r\n")
        const changed = edit(lines).join("\r\n")
        expect(changed, "the tampering changed nothing").not.toBe(lines.join("\r\n"))
        copy.set(name, Buffer.from(changed))
        if (fixManifest) {
          const m = JSON.parse(files.get("manifest.json")!.toString("utf8"))
          for (const entry of m.entries) {
            if (entry.name === name) {
              entry.sha256 = createHash("sha256").update(copy.get(name)!).digest("hex")
              entry.size = copy.get(name)!.byteLength
            }
          }
          copy.set("manifest.json", Buffer.from(JSON.stringify(m)))
        }
        const file = path.join(dir, `tampered-${Math.random().toString(36).slice(2)}.zip`)
        writeFileSync(file, await writeZip(copy))
        return cli(["report", "verify", file])
      }
      const edited = await tampered("decisions.csv", (lines) => lines.map((line, i) => (i === 2 ? line.replace(",fail,", ",pass,").replace(",shadow,", ",enforce,") : line)), true)
      expect(edited.code).toBe(1)
      expect(edited.stderr).toContain("hash chain is broken")
      const removed = await tampered("decisions.csv", (lines) => lines.filter((_, i) => i !== 3), true)
      expect(removed.code).toBe(1)
      expect(removed.stderr).toContain("decisions.csv")
      const [someReport] = [...files.keys()].filter((n) => n.startsWith("passports/"))
      const changed = new Map(files)
      changed.set(someReport!, Buffer.from(files.get(someReport!)!.toString().replace("\"pass\"", "\"fail\"").replace("\"fail\"", "\"pass\"") + " "))
      const changedFile = path.join(dir, "changed.zip")
      writeFileSync(changedFile, await writeZip(changed))
      const changedRun = await cli(["report", "verify", changedFile])
      expect(changedRun.code).toBe(1)
      expect(changedRun.stderr).toContain(someReport!)
    })

    it("auth: no credential 401, a token without reports:read 403, another workspace 404, audit pack for admins", async () => {
      const noAuth = await call(server.url, "GET", "/reports/impact?workspace=alpha")
      expect(noAuth.status).toBe(401)
      expect((await call(server.url, "GET", `/passports/${reported.passportId}/report?workspace=alpha`)).status).toBe(401)
      expect((await call(server.url, "GET", "/reports/decisions?workspace=alpha")).status).toBe(401)
      const wrongScope = await bearer(licenseToken, "/reports/impact")
      expect(wrongScope.status).toBe(403)
      expect((await wrongScope.json()).code).toBe("auth.scope_missing")
      expect((await bearer(gateToken.value, "/reports/decisions")).status).toBe(403)
      expect((await call(server.url, "GET", "/reports/impact?workspace=alpha", { session: sessions.outsider })).status).toBe(404)
      const otherPassport = await bearer(betaReportsToken, `/passports/${reported.passportId}/report?format=json`)
      expect(otherPassport.status).toBe(404)
      expect((await otherPassport.json()).code).toBe("passport.not_found")
      // Beta's own export holds none of alpha's decisions.
      const betaRows = (await (await bearer(betaReportsToken, `/reports/decisions?format=jsonl&${window()}`)).text()).trimEnd().split("\n")
      expect(betaRows).toHaveLength(1)
      expect(betaRows[0]).toContain("\"workspace\":\"beta\"")
      expect((await call(server.url, "GET", "/reports/audit-pack?workspace=alpha", { session: sessions.viewer })).status).toBe(403)
      const admin = await fetch(`${server.url}/releasepassport/v1/reports/audit-pack?workspace=alpha`, {
        headers: { cookie: `releasepassport_session=${sessions.admin.cookie}` }
      })
      expect(admin.status).toBe(200)
      expect(admin.headers.get("content-type")).toBe("application/zip")
      const manifest = JSON.parse((await readZip(new Uint8Array(await admin.arrayBuffer()))).get("manifest.json")!.toString())
      expect(manifest.generatedBy).toBe("user admin@alpha.example.com")
      // A window that is not one: 422 with a stable code, nothing read.
      const bad = await bearer(reportsToken, "/reports/impact?since=2026-12-01T00:00:00Z&until=2026-11-01T00:00:00Z")
      expect(bad.status).toBe(422)
      expect((await bad.json()).code).toBe("report.window_invalid")
    })

    it("the OpenAPI document lists every report route with the session and the token as alternatives", async () => {
      const document = await (await fetch(`${server.url}/releasepassport/v1/openapi.json`)).json()
      for (const route of ["/reports/impact", "/reports/decisions", "/passports/{id}/report", "/reports/audit-pack"]) {
        const operation = document.paths[`/releasepassport/v1${route}`]?.get
        expect(operation, route).toBeDefined()
        expect(operation.security).toEqual([{ session: [] }, { bearer: [] }])
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["200", "401", "403", "404"]))
      }
      expect(Object.keys(document.paths["/releasepassport/v1/reports/decisions"].get.responses["200"].content)).toEqual(
        expect.arrayContaining(["text/csv", "application/x-ndjson"])
      )
    })

    it("the CLI prints the impact and writes the exports", async () => {
      const env = { RELEASEPASSPORT_TOKEN: reportsToken }
      const impact = await cli(["report", "impact", "--url", server.url, "--since", "1h", "--format", "json"], { env })
      expect(impact.code, impact.stderr).toBe(0)
      expect(observedImpact(JSON.parse(impact.stdout))).toEqual(expectedImpact(decided))
      const out = path.join(dir, "decisions.jsonl")
      const exported = await cli(["report", "decisions", "--url", server.url, "--since", "1h", "--format", "jsonl", "--output", out], { env })
      expect(exported.code, exported.stderr).toBe(0)
      expect(readFileSync(out, "utf8").trimEnd().split("\n")).toHaveLength(decided.length)
      const html = await cli(["report", "passport", reported.passportId, "--url", server.url], { env })
      expect(html.code, html.stderr).toBe(0)
      expect(html.stdout).toContain("<!doctype html>")
      const refused = await cli(["report", "impact", "--url", server.url, "--since", "yesterday"], { env })
      expect(refused.code).not.toBe(0)
      expect(refused.stderr).toContain("--since yesterday")
      const denied = await cli(["report", "impact", "--url", server.url], { env: { RELEASEPASSPORT_TOKEN: licenseToken } })
      expect(denied.code).not.toBe(0)
      expect(denied.stderr).toContain("auth.scope_missing")
    })
  })
}
