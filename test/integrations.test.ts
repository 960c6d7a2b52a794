import type { EvidenceBatch } from "@releasepassport/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, call, cliOk, createToken, passingGateRequest, rawPost, signIn, startServer } from "@releasepassport/testing"
import type { RunningServer, Session, TestDatabase } from "@releasepassport/testing"

/** Connector health, black-box: evidence goes in with a token, health comes out over a session. */
const PASSWORD = "correct horse battery staple"
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`connector health (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let token: string
    let betaToken: string
    let admin: Session
    let viewer: Session
    let outsider: Session

    beforeAll(async () => {
      testDb = await choice.create()
      const run = (args: Array<string>, input?: string) => cliOk([...args, "--database", testDb.url], input)
      await run(["migrate"])
      await run(["workspace", "create", "--slug", "alpha", "--name", "Alpha"])
      await run(["workspace", "create", "--slug", "beta", "--name", "Beta"])
      await run(["user", "create", "--email", "admin@alpha.example.com", "--workspace", "alpha", "--role", "admin"], `${PASSWORD}\n`)
      await run(["user", "create", "--email", "viewer@alpha.example.com", "--workspace", "alpha", "--role", "viewer"], `${PASSWORD}\n`)
      await run(["user", "create", "--email", "owner@beta.example.com", "--workspace", "beta", "--role", "owner"], `${PASSWORD}\n`)
      token = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "gate:evaluate", "--scope", "evidence:ingest")).value
      betaToken = (await createToken(testDb.url, "--workspace", "beta", "--scope", "evidence:ingest")).value
      server = await startServer({ database: testDb.url })
      admin = await signIn(server.url, "admin@alpha.example.com", PASSWORD)
      viewer = await signIn(server.url, "viewer@alpha.example.com", PASSWORD)
      outsider = await signIn(server.url, "owner@beta.example.com", PASSWORD)
    })
    afterAll(async () => {
      await server?.stop()
      await testDb?.drop()
    })

    let run = 0
    const batch = (source: string, type = "smoke", status: string = "passed", releaseId = `rel-${run}`): EvidenceBatch => ({
      source,
      externalId: `run-${Date.now()}-${run++}`,
      service: { name: "checkout-api", namespace: "apps" },
      release: { releaseId, sourceSha: "9f3c8b7" },
      artifact: { digest: passingGateRequest().artifact.digest },
      evidence: [{ type, status: status as "passed", summary: "ok" }]
    })
    const ingest = (body: unknown, bearer = token) =>
      rawPost(`${server.url}/releasepassport/v1/evidence/ingest`, JSON.stringify(body), { authorization: `Bearer ${bearer}` })
    const integrations = async (session: Session = viewer, workspace = "alpha") => {
      const answer = await call(server.url, "GET", `/integrations?workspace=${workspace}`, { session })
      expect(answer.status, answer.text).toBe(200)
      return answer.json.connectors as Array<Record<string, any>>
    }
    const connector = async (source: string) => (await integrations()).find((c) => c.source === source)
    const declare = (source: string, body: unknown, session: Session = admin) =>
      call(server.url, "PUT", `/integrations/${source}?workspace=alpha`, { session, body })

    it("a declared connector shows before it ever reports", async () => {
      const declared = await declare("trivy", { displayName: "Trivy scans", expectedIntervalSeconds: 3600, environments: ["production"] })
      expect(declared.status, declared.text).toBe(200)
      expect(await connector("trivy")).toMatchObject({
        declared: true,
        displayName: "Trivy scans",
        expectedIntervalSeconds: 3600,
        freshness: "never_seen",
        lastSeenAt: null,
        lastBatch: null,
        itemsLast24h: 0,
        environments: ["production"]
      })
    })

    it("a source seen in evidence becomes a connector, fresh, with its last batch and 24-hour counts", async () => {
      expect((await ingest(batch("github_actions"))).status).toBe(200)
      expect((await ingest({ ...batch("github_actions"), evidence: [{ type: "unit", status: "passed", summary: "ok" }, { type: "lint", status: "passed", summary: "ok" }] })).status).toBe(200)
      expect(await connector("github_actions")).toMatchObject({
        declared: false,
        expectedIntervalSeconds: 86_400,
        freshness: "fresh",
        itemsLast24h: 3,
        lastBatch: { outcome: "accepted", detail: "2 created" },
        rejectedLast24h: 0
      })
    })

    it("freshness moves fresh → stale → silent as time passes without a batch", async () => {
      expect((await declare("heartbeat", { expectedIntervalSeconds: 1 })).status).toBe(200)
      expect((await connector("heartbeat"))!.freshness).toBe("never_seen")
      expect((await ingest(batch("heartbeat"))).status).toBe(200)
      expect((await connector("heartbeat"))!.freshness).toBe("fresh")
      await sleep(1300)
      expect((await connector("heartbeat"))!.freshness).toBe("stale")
      await sleep(2000)
      expect((await connector("heartbeat"))!.freshness).toBe("silent")
      expect((await ingest(batch("heartbeat"))).status).toBe(200)
      expect((await connector("heartbeat"))!.freshness).toBe("fresh")
    })

    it("refused requests from a known source are attributed to it; unauthenticated ones are not", async () => {
      const refused = await ingest({ ...batch("flaky_ci"), evidence: [{ type: "smoke", status: "green", summary: "?" }] })
      expect(refused.status).toBe(422)
      expect(await connector("flaky_ci")).toMatchObject({
        rejectedLast24h: 1,
        rejectedTotal: 1,
        lastSeenAt: null,
        freshness: "never_seen",
        lastBatch: { outcome: "rejected", detail: "request.invalid" }
      })
      const anonymous = await rawPost(`${server.url}/releasepassport/v1/evidence/ingest`, JSON.stringify({ ...batch("anonymous_ci"), evidence: [] }), {})
      expect(anonymous.status).toBe(401)
      expect(await connector("anonymous_ci")).toBeUndefined()
      expect((await ingest(batch("flaky_ci"))).status).toBe(200)
      expect(await connector("flaky_ci")).toMatchObject({ freshness: "fresh", rejectedLast24h: 1, lastBatch: { outcome: "accepted" } })
    })

    it("the policy warns (connector.stale) when required evidence comes from a stale connector", async () => {
      const request = passingGateRequest({ service: { name: "checkout-api", namespace: "apps", environment: "production" } })
      expect((await declare("smoke_runner", { expectedIntervalSeconds: 1, environments: ["production"] })).status).toBe(200)
      expect((await ingest(batch("smoke_runner", "smoke", "passed", request.release.releaseId))).status).toBe(200)
      const gate = () => rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(request), { authorization: `Bearer ${token}` })
      const fresh = await gate()
      expect(fresh.json.warnings.map((w: { code: string }) => w.code)).not.toContain("connector.stale")
      await sleep(1300)
      const stale = await gate()
      expect(stale.json.verdict).toBe("warn")
      expect(stale.json.warnings.map((w: { code: string }) => w.code)).toContain("connector.stale")
      expect(stale.json.allowed).toBe(true)
    })

    it("viewers read, admins declare; no session is 401; workspaces do not see each other's connectors", async () => {
      expect((await declare("nope", { expectedIntervalSeconds: 60 }, viewer)).status).toBe(403)
      expect((await call(server.url, "GET", "/integrations?workspace=alpha")).status).toBe(401)
      expect((await call(server.url, "GET", "/integrations?workspace=alpha", { session: outsider })).status).toBe(404)
      expect((await ingest(batch("beta_ci"), betaToken)).status).toBe(200)
      expect((await integrations(outsider, "beta")).map((c) => c.source)).toEqual(["beta_ci"])
      expect((await integrations()).map((c) => c.source)).not.toContain("beta_ci")
      const text = (await call(server.url, "GET", "/integrations?workspace=alpha", { session: admin })).text
      expect(text.includes(token)).toBe(false)
    })
  })
}
