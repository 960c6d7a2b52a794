import type { EvidenceBatch, GateRequest } from "@releasepassport/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, call, createToken, evidenceBatchFor, gateWith, ingestWith, passingGateRequest, seedTwoWorkspaces, signInSeeded, startServer } from "@releasepassport/testing"
import type { RunningServer, Session, TestDatabase } from "@releasepassport/testing"

/**
 * The console's passport reads and comments, black-box: data goes in through the pipeline
 * routes with a token, and comes out through session routes as each role.
 */
const ROLES = ["owner", "admin", "member", "viewer"] as const
type Role = (typeof ROLES)[number]

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`passports in the console (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let alphaToken: string
    let betaToken: string
    const sessions = {} as Record<Role | "outsider", Session>
    const releases: Array<{ request: GateRequest; passportId: string }> = []
    let betaPassportId: string
    let detailed: { passportId: string; failedId: string; passedId: string; privateId: string; secret: string }

    const gate = (token: string, request: GateRequest) => gateWith(server.url, token, request)
    const ingest = (token: string, batch: EvidenceBatch) => ingestWith(server.url, token, batch)
    const batchFor = evidenceBatchFor

    beforeAll(async () => {
      testDb = await choice.create()
      await seedTwoWorkspaces(testDb.url, ROLES)
      alphaToken = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "gate:evaluate", "--scope", "evidence:ingest")).value
      betaToken = (await createToken(testDb.url, "--workspace", "beta", "--scope", "gate:evaluate")).value
      server = await startServer({ database: testDb.url })
      Object.assign(sessions, await signInSeeded(server.url, ROLES))

      // Six passports in alpha: two services, staging and production, shadow and enforce.
      for (let i = 0; i < 6; i++) {
        const request = passingGateRequest({
          mode: i % 2 === 0 ? "enforce" : "shadow",
          service: { name: i < 3 ? "checkout-api" : "search-api", namespace: "apps", environment: i % 3 === 0 ? "production" : "staging" }
        })
        const answer = await gate(alphaToken, request)
        releases.push({ request, passportId: answer.passportId })
      }
      betaPassportId = (await gate(betaToken, passingGateRequest())).passportId

      // One passport with a history: a failed then passed smoke, a private scan, two evaluations.
      const request = passingGateRequest({ service: { name: "payments-api", namespace: "apps", environment: "production" } })
      const failed = await ingest(alphaToken, batchFor(request, "run-1", [{ type: "smoke", status: "failed", summary: "smoke failed" }]))
      await gate(alphaToken, request)
      const passed = await ingest(alphaToken, batchFor(request, "run-1", [{ type: "smoke", status: "passed", summary: "smoke ok" }]))
      const secret = "internal-scan-note-7f3a"
      const scan = await ingest(alphaToken, batchFor(request, "scan-1", [
        { type: "vuln-scan", status: "warning", summary: "2 medium", details: { note: secret, cves: ["CVE-2026-0001"] }, private: true }
      ]))
      await gate(alphaToken, { ...request, service: { ...request.service, environment: "staging" } })
      const final = await gate(alphaToken, request)
      detailed = { passportId: final.passportId, failedId: failed.items[0].id, passedId: passed.items[0].id, privateId: scan.items[0].id, secret }
    })
    afterAll(async () => {
      await server?.stop()
      await testDb?.drop()
    })

    const get = (session: Session | undefined, path: string) => call(server.url, "GET", path, { session })

    it("401 without a session", async () => {
      expect((await get(undefined, "/passports?workspace=alpha")).status).toBe(401)
      expect((await get(undefined, `/passports/${detailed.passportId}?workspace=alpha`)).status).toBe(401)
    })

    it("lists the workspace's passports newest first, with the latest verdict per environment", async () => {
      const page = await get(sessions.viewer, "/passports?workspace=alpha&limit=200")
      expect(page.status, page.text).toBe(200)
      const ids = page.json.items.map((item: { id: string }) => item.id)
      expect(ids).toHaveLength(7)
      expect(ids).not.toContain(betaPassportId)
      const times = page.json.items.map((item: { updatedAt: string }) => item.updatedAt)
      expect([...times].sort().reverse()).toEqual(times)
      const payments = page.json.items.find((item: { id: string }) => item.id === detailed.passportId)
      expect(payments.environments.map((e: { environment: string }) => e.environment)).toEqual(["production", "staging"])
      expect(payments).toMatchObject({ service: { name: "payments-api", namespace: "apps" }, blockerCount: 0 })
      expect(page.json.nextCursor).toBeNull()
    })

    it("filters by service, namespace, environment, verdict, mode and since", async () => {
      const count = async (query: string) => {
        const page = await get(sessions.viewer, `/passports?workspace=alpha&${query}`)
        expect(page.status, page.text).toBe(200)
        return page.json.items.length
      }
      expect(await count("service=checkout-api")).toBe(3)
      expect(await count("namespace=apps")).toBe(7)
      expect(await count("namespace=other")).toBe(0)
      expect(await count("environment=production")).toBe(3)
      expect(await count("environment=production&mode=shadow")).toBe(1)
      // Production needs a passed smoke: the two production gates without evidence fail.
      expect(await count("verdict=pass")).toBe(4)
      expect(await count("verdict=fail")).toBe(2)
      expect(await count("verdict=warn")).toBe(1)
      expect(await count("environment=staging&verdict=fail")).toBe(0)
      expect(await count(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toBe(0)
      expect(await count(`since=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`)).toBe(7)
    })

    it("walks every page with a cursor, without repeats or gaps", async () => {
      const seen: Array<string> = []
      let cursor: string | null = null
      for (let pages = 0; pages < 10; pages++) {
        const page = await get(sessions.viewer, `/passports?workspace=alpha&limit=2${cursor === null ? "" : `&cursor=${cursor}`}`)
        expect(page.status, page.text).toBe(200)
        seen.push(...page.json.items.map((item: { id: string }) => item.id))
        cursor = page.json.nextCursor
        if (cursor === null) break
      }
      expect(seen).toHaveLength(7)
      expect(new Set(seen).size).toBe(7)
    })

    it("refuses a page over 200 and a cursor it did not make", async () => {
      expect((await get(sessions.viewer, "/passports?workspace=alpha&limit=201")).status).toBe(422)
      const bad = await get(sessions.viewer, "/passports?workspace=alpha&cursor=bm90LWEtY3Vyc29y")
      expect(bad).toMatchObject({ status: 422, json: { code: "request.invalid_cursor" } })
    })

    it("shows one passport: verdicts, latest blockers, every evidence version, policies, evaluations", async () => {
      const detail = await get(sessions.admin, `/passports/${detailed.passportId}?workspace=alpha`)
      expect(detail.status, detail.text).toBe(200)
      const body = detail.json
      // The private scan reported a warning: every gate after it warns.
      expect(body).toMatchObject({ id: detailed.passportId, verdict: "warn", service: { name: "payments-api" } })
      expect(body.environments.map((e: { environment: string; verdict: string }) => [e.environment, e.verdict])).toEqual([
        ["production", "warn"],
        ["staging", "warn"]
      ])
      expect(body.latest).toMatchObject({ environment: "production", verdict: "warn", blockers: [] })
      expect(body.latest.warnings.map((w: { code: string; evidence: Array<string> }) => [w.code, w.evidence])).toEqual([
        ["evidence.warning", [detailed.privateId]]
      ])
      expect(body.evidence.map((e: { id: string }) => e.id)).toEqual([detailed.privateId, detailed.passedId, detailed.failedId])
      expect(body.evidence.map((e: { version: number; latest: boolean }) => [e.version, e.latest])).toEqual([[1, true], [2, true], [1, false]])
      expect(body.evidenceTotal).toBe(3)
      expect(body.evaluationsTotal).toBe(3)
      expect(body.evaluations.map((e: { verdict: string }) => e.verdict)).toEqual(["warn", "warn", "fail"])
      expect(body.policies).toHaveLength(1)
      expect(body.policies[0].revision).toMatch(/^src-/)
      expect(body.policies[0].rulesFired).toEqual([
        { code: "evidence.failed", policy: "gate/evidence", severity: "deny", times: 1 },
        { code: "evidence.required_missing", policy: "gate/evidence", severity: "deny", times: 1 },
        { code: "evidence.warning", policy: "gate/evidence", severity: "warn", times: 2 }
      ])
    })

    it.each([
      ["viewer", false],
      ["member", false],
      ["admin", true],
      ["owner", true]
    ] as const)("private evidence details as %s: visible %s", async (role, visible) => {
      const detail = await get(sessions[role], `/passports/${detailed.passportId}?workspace=alpha`)
      expect(detail.status).toBe(200)
      const item = detail.json.evidence.find((e: { id: string }) => e.id === detailed.privateId)
      expect(item).toMatchObject({ private: true, detailsHidden: !visible, summary: "2 medium" })
      expect(detail.text.includes(detailed.secret)).toBe(visible)
      if (visible) expect(item.details).toEqual({ note: detailed.secret, cves: ["CVE-2026-0001"] })
    })

    it("another workspace's passport answers exactly like one that does not exist", async () => {
      const foreign = await get(sessions.owner, `/passports/${betaPassportId}?workspace=alpha`)
      const missing = await get(sessions.owner, "/passports/pp_01NOSUCHPASSPORT00000000000?workspace=alpha")
      expect(foreign.status).toBe(404)
      expect(foreign.json).toEqual(missing.json)
      // Naming the other workspace does not help either: the user is not a member there.
      expect((await get(sessions.owner, `/passports/${betaPassportId}?workspace=beta`)).status).toBe(404)
      expect((await get(sessions.outsider, `/passports/${detailed.passportId}?workspace=beta`)).status).toBe(404)
    })

    describe("comments", () => {
      const comment = (session: Session, passportId: string, body: string, workspace = "alpha") =>
        call(server.url, "POST", `/passports/${passportId}/comments?workspace=${workspace}`, { session, body: { body } })
      const remove = (session: Session, passportId: string, id: string) =>
        call(server.url, "DELETE", `/passports/${passportId}/comments/${id}?workspace=alpha`, { session })

      it("viewers may not comment; members and up may, sanitized, shown with the author's name", async () => {
        expect((await comment(sessions.viewer, detailed.passportId, "hello")).status).toBe(403)
        const token = `ghp_${"Qw3rTy".repeat(6)}`
        const made = await comment(sessions.member, detailed.passportId, `deploy blocked, see log (GH_TOKEN=${token})`)
        expect(made.status, made.text).toBe(201)
        expect(made.json.body).toMatch(/^deploy blocked, see log \(GH_TOKEN=\[REDACTED:\w+\]/)
        expect(made.json.body.includes(token)).toBe(false)
        expect(made.json.author.displayName).toBeTruthy()
        const detail = await get(sessions.viewer, `/passports/${detailed.passportId}?workspace=alpha`)
        expect(detail.json.comments.map((c: { id: string }) => c.id)).toContain(made.json.id)
        expect(detail.text.includes(token)).toBe(false)
      })

      it("authors delete their own; others' only as admin", async () => {
        const mine = (await comment(sessions.member, detailed.passportId, "mine")).json
        const theirs = (await comment(sessions.admin, detailed.passportId, "theirs")).json
        expect((await remove(sessions.member, detailed.passportId, theirs.id)).status).toBe(403)
        expect((await remove(sessions.member, detailed.passportId, mine.id)).status).toBe(204)
        expect((await remove(sessions.member, detailed.passportId, mine.id)).status).toBe(404)
        const another = (await comment(sessions.member, detailed.passportId, "another")).json
        expect((await remove(sessions.admin, detailed.passportId, another.id)).status).toBe(204)
        const detail = await get(sessions.viewer, `/passports/${detailed.passportId}?workspace=alpha`)
        const ids = detail.json.comments.map((c: { id: string }) => c.id)
        expect(ids).not.toContain(mine.id)
        expect(ids).not.toContain(another.id)
        expect(ids).toContain(theirs.id)
      })

      it("cannot comment across workspaces, and a write without the CSRF header is refused", async () => {
        expect((await comment(sessions.owner, betaPassportId, "x")).status).toBe(404)
        expect((await comment(sessions.owner, betaPassportId, "x", "beta")).status).toBe(404)
        const noCsrf = await call(server.url, "POST", `/passports/${detailed.passportId}/comments?workspace=alpha`, {
          session: sessions.member,
          csrf: null,
          body: { body: "x" }
        })
        expect(noCsrf.status).toBe(403)
        expect((await comment(sessions.member, detailed.passportId, "")).status).toBe(422)
      })
    })

    it("no answer carries a token value, session id or password hash", async () => {
      const texts = [
        (await get(sessions.owner, "/passports?workspace=alpha")).text,
        (await get(sessions.owner, `/passports/${detailed.passportId}?workspace=alpha`)).text
      ].join("\n")
      expect(texts.includes(alphaToken)).toBe(false)
      for (const session of Object.values(sessions)) expect(texts.includes(session.cookie)).toBe(false)
      expect(texts).not.toMatch(/scrypt|\$s0\$|password/i)
    })

    // Last: it adds a passport, which the counts above do not expect.
    it("measures every evidence version's age against the policy's maximum age and marks the older ones stale", async () => {
      const DAY = 86_400
      const request = passingGateRequest({ service: { name: "ledger-api", namespace: "apps", environment: "production" } })
      const old = new Date(Date.now() - 3 * DAY * 1000).toISOString()
      const stale = await ingest(alphaToken, batchFor(request, "run-old", [{ type: "smoke", status: "passed", summary: "old smoke", observedAt: old }]))
      const passportId = stale.passportId as string
      const read = async () => {
        const detail = await get(sessions.viewer, `/passports/${passportId}?workspace=alpha`)
        expect(detail.status, detail.text).toBe(200)
        return detail.json
      }
      // Before any gate: the bundle's default maximum (policies/src/data.json: one day).
      const before = await read()
      expect(before.evidenceMaxAge).toEqual({ seconds: DAY, environment: null })
      expect(before.evidence).toHaveLength(1)
      expect(before.evidence[0].stale).toBe(true)
      expect(Math.abs(before.evidence[0].ageSeconds - 3 * DAY)).toBeLessThan(120)

      // The only passed smoke is stale: production's gate refuses it, as the page says.
      const answer = await gate(alphaToken, request)
      expect(answer.blockers.map((b: { code: string }) => b.code)).toContain("evidence.stale")
      const fresh = await ingest(alphaToken, batchFor(request, "run-new", [{ type: "smoke", status: "passed", summary: "new smoke" }]))
      const after = await read()
      expect(after.evidenceMaxAge).toEqual({ seconds: DAY, environment: "production" })
      const byId = new Map(after.evidence.map((e: { id: string; stale: boolean; ageSeconds: number }) => [e.id, e]))
      expect(byId.get(stale.items[0].id)).toMatchObject({ stale: true })
      expect(byId.get(fresh.items[0].id)).toMatchObject({ stale: false })
      expect((byId.get(fresh.items[0].id) as { ageSeconds: number }).ageSeconds).toBeLessThan(120)
      const gated = await gate(alphaToken, request)
      expect(gated.blockers.map((b: { code: string }) => b.code)).not.toContain("evidence.stale")
    })
  })
}
