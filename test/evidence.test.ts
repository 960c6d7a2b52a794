import { openDatabase } from "@releasepassport/adapters"
import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import { generateApiToken } from "@releasepassport/app"
import type { EvidenceBatch, GateRequest } from "@releasepassport/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, apiClient, cli, createToken, documentedGateRequest, input as corpusInput, passingGateRequest, positives, rawPost, rowCounts, startServer, VALID_DIGEST } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"

/** The evidence example exactly as documented in the API reference. */
const documentedEvidence = {
  source: "github_actions",
  externalId: "run-123456",
  service: { name: "checkout-api", namespace: "apps-checkout" },
  release: { releaseId: "gh-123456", sourceSha: "9f3c8b7" },
  artifact: { digest: "sha256:abc123..." },
  evidence: [{ type: "smoke", status: "passed", summary: "render and health smoke passed" }]
}

let unique = 0
/** A production release and the evidence batch that would let it pass. */
const release = () => {
  const gate = passingGateRequest({
    service: { name: "payments-api", namespace: "apps-payments", environment: "production" }
  })
  const batch = (items: EvidenceBatch["evidence"], overrides: Partial<EvidenceBatch> = {}): EvidenceBatch => ({
    source: "github_actions",
    externalId: `run-${Date.now()}-${unique++}`,
    service: { name: gate.service.name, namespace: gate.service.namespace },
    release: { releaseId: gate.release.releaseId, sourceSha: gate.release.sourceSha },
    artifact: { digest: gate.artifact.digest },
    evidence: items,
    ...overrides
  })
  return { gate, batch }
}
/**
 * A refused write leaves no trace but the refusal: an authenticated request refused for its
 * content is counted against its source's connector (one refusal row; the github_actions
 * connector exists from the first test on), and nothing else moves.
 */
const withRejection = (counts: Record<string, number>) => ({
  ...counts,
  connector_rejections: counts["connector_rejections"]! + 1
})
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString()

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`evidence ingestion over HTTP (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let database: SqlDatabase<Tables>
    let token: string
    let client: Awaited<ReturnType<typeof apiClient>>

    beforeAll(async () => {
      testDb = await choice.create()
      token = (await createToken(testDb.url, "--scope", "gate:evaluate", "--scope", "evidence:ingest", "--name", "ci")).value
      server = await startServer({ database: testDb.url })
      database = await openDatabase(testDb.url)
      client = await apiClient(server.url, token)
    })
    afterAll(async () => {
      await server?.stop()
      await database?.close()
      await testDb?.drop()
    })

    const ingestUrl = () => `${server.url}/releasepassport/v1/evidence/ingest`
    const ingest = (batch: EvidenceBatch, key?: string) =>
      Effect.runPromise(client.evidence.ingest({ payload: batch, headers: key === undefined ? {} : { "idempotency-key": key } }))
    const gate = (request: GateRequest) => Effect.runPromise(client.gate.evaluate({ payload: request, headers: {} }))
    const codes = (findings: ReadonlyArray<{ code: string }>) => findings.map((f) => f.code).sort()

    it("the documented evidence example works as written, and the documented gate example then reflects it", async () => {
      const before = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify({ ...documentedGateRequest, release: { ...documentedGateRequest.release, releaseId: "gh-before" } }), { authorization: `Bearer ${token}` })
      expect(codes(before.json.blockers)).toContain("evidence.required_missing")

      const stored = await rawPost(ingestUrl(), JSON.stringify(documentedEvidence), { authorization: `Bearer ${token}` })
      expect(stored.status).toBe(200)
      expect(stored.json).toMatchObject({ source: "github_actions", externalId: "run-123456", redactions: 0 })
      expect(stored.json.items).toEqual([expect.objectContaining({ type: "smoke", version: 1, outcome: "created" })])

      const verdict = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(documentedGateRequest), { authorization: `Bearer ${token}` })
      expect(verdict.status).toBe(200)
      expect(verdict.json.passportId).toBe(stored.json.passportId)
      expect(codes(verdict.json.blockers)).toEqual(["artifact.digest_invalid"])
    })

    it("required evidence present: the production gate passes", async () => {
      const { gate: request, batch } = release()
      await ingest(batch([{ type: "smoke", status: "passed", summary: "smoke ok" }]))
      const verdict = await gate(request)
      expect(verdict).toMatchObject({ verdict: "pass", allowed: true, blockers: [] })
    })

    it("a failed smoke blocks under enforce, naming the evidence; re-sent as passed it flips to pass", async () => {
      const { gate: request, batch } = release()
      const failing = batch([{ type: "smoke", status: "failed", summary: "smoke: 3 of 40 checks failed" }])
      const first = await ingest(failing)
      const blocked = await gate(request)
      expect(blocked).toMatchObject({ verdict: "fail", allowed: false })
      const failed = blocked.blockers.find((b) => b.code === "evidence.failed")
      expect(failed?.evidence).toEqual([first.items[0]!.id])

      const rerun = await ingest({ ...failing, evidence: [{ type: "smoke", status: "passed", summary: "smoke ok on re-run" }] })
      expect(rerun.items[0]).toMatchObject({ outcome: "updated", version: 2 })
      expect(rerun.items[0]!.id).not.toBe(first.items[0]!.id)
      expect(await gate(request)).toMatchObject({ verdict: "pass", allowed: true })
      const versions = await database.db.selectFrom("evidence").select(["version", "is_latest", "status"])
        .where("external_id", "=", failing.externalId).orderBy("version").execute()
      expect(versions).toEqual([{ version: 1, is_latest: 0, status: "failed" }, { version: 2, is_latest: 1, status: "passed" }])
    })

    it("stale required evidence blocks; fresh evidence for the same release clears it", async () => {
      const { gate: request, batch } = release()
      await ingest(batch([{ type: "smoke", status: "passed", summary: "old smoke", observedAt: hoursAgo(25) }]))
      const stale = await gate(request)
      expect(stale.verdict).toBe("fail")
      expect(codes(stale.blockers)).toEqual(["evidence.stale"])
      await ingest(batch([{ type: "smoke", status: "passed", summary: "new smoke", observedAt: hoursAgo(1) }]))
      expect((await gate(request)).verdict).toBe("pass")
    })

    it("re-sending identical content changes nothing and answers the same ids", async () => {
      const { batch } = release()
      const sent = batch([{ type: "smoke", status: "passed", summary: "ok" }, { type: "unit", status: "passed", summary: "ok" }])
      const first = await ingest(sent)
      const before = await rowCounts(database)
      const again = await ingest(sent)
      expect(again.items.map((i) => i.id)).toEqual(first.items.map((i) => i.id))
      expect(again.items.map((i) => i.outcome)).toEqual(["unchanged", "unchanged"])
      expect(await rowCounts(database)).toEqual(before)
    })

    it("Idempotency-Key: a replay gets the first answer; the same key with another body is 409 and writes nothing", async () => {
      const { batch } = release()
      const sent = batch([{ type: "smoke", status: "passed", summary: "ok" }])
      const key = `key-${Date.now()}`
      const first = await ingest(sent, key)
      const before = await rowCounts(database)
      expect(await ingest(sent, key)).toEqual(first)
      expect(await rowCounts(database)).toEqual(before)
      const conflict = await rawPost(ingestUrl(), JSON.stringify({ ...sent, evidence: [{ type: "smoke", status: "failed", summary: "x" }] }), {
        authorization: `Bearer ${token}`,
        "idempotency-key": key
      })
      expect(conflict).toMatchObject({ status: 409, json: { code: "idempotency.key_reused" } })
      expect(await rowCounts(database)).toEqual(withRejection(before))
    })

    it("50 concurrent identical requests store exactly one item", async () => {
      const { batch } = release()
      const sent = batch([{ type: "smoke", status: "passed", summary: "ok" }])
      const answers = await Promise.all(Array.from({ length: 50 }, () =>
        rawPost(ingestUrl(), JSON.stringify(sent), { authorization: `Bearer ${token}` })))
      expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200))
      expect(new Set(answers.map((a) => a.json.items[0].id)).size).toBe(1)
      expect(answers.filter((a) => a.json.items[0].outcome === "created")).toHaveLength(1)
      const rows = await database.db.selectFrom("evidence").select("id").where("external_id", "=", sent.externalId).execute()
      expect(rows).toHaveLength(1)
      const passports = await database.db.selectFrom("passports").select("id").where("release_id", "=", sent.release.releaseId).execute()
      expect(passports).toHaveLength(1)
    })

    it("evidence naming another digest is stored and flagged, never overwrites the passport, and blocks", async () => {
      const { gate: request, batch } = release()
      await gate(request)
      const other = `sha256:${"ab".repeat(32)}`
      const answer = await ingest(batch([{ type: "smoke", status: "passed", summary: "ok" }], { artifact: { digest: other } }))
      expect(answer.items[0]).toMatchObject({ digestMismatch: true, sourceShaMismatch: false })
      const passport = await database.db.selectFrom("passports").select("artifact_digest").where("id", "=", answer.passportId).executeTakeFirstOrThrow()
      expect(passport.artifact_digest).toBe(VALID_DIGEST)
      const verdict = await gate(request)
      const mismatch = verdict.blockers.find((b) => b.code === "artifact.digest_mismatch")
      expect(mismatch?.evidence).toEqual([answer.items[0]!.id])
    })

    it("an item identity already used by another release is a 409, not a silent move", async () => {
      const first = release()
      const sent = first.batch([{ type: "smoke", status: "passed", summary: "ok" }])
      await ingest(sent)
      const second = release()
      const before = await rowCounts(database)
      const moved = await rawPost(ingestUrl(), JSON.stringify({ ...sent, release: second.batch([]).release }), { authorization: `Bearer ${token}` })
      expect(moved).toMatchObject({ status: 409, json: { code: "evidence.identity_conflict" } })
      expect(await rowCounts(database)).toEqual(withRejection(before))
    })

    describe("limits: a clear 413/422 and nothing stored", () => {
      const item = { type: "smoke", status: "passed" as const, summary: "ok" }
      const cases: Array<[string, () => unknown, number, string, string?]> = [
        ["101 items", () => release().batch(Array.from({ length: 101 }, (_, i) => ({ ...item, type: `t${i}` }))), 422, "request.invalid", "payload.evidence"],
        ["a summary over 2 KiB", () => release().batch([{ ...item, summary: "é".repeat(1025) }]), 422, "request.invalid", "payload.evidence.0.summary"],
        ["details over 64 KiB", () => release().batch([{ ...item, details: { log: "x".repeat(65 * 1024) } }]), 422, "request.invalid", "payload.evidence.0.details"],
        ["an unknown status", () => release().batch([{ ...item, status: "green" as never }]), 422, "request.invalid", "payload.evidence.0.status"],
        ["the same type twice", () => release().batch([item, item]), 422, "request.invalid", "payload.evidence"],
        ["observedAt in the future", () => release().batch([{ ...item, observedAt: new Date(Date.now() + 3_600_000).toISOString() }]), 422, "evidence.observed_in_future"],
        ["a body over 1 MiB", () => ({ ...release().batch([item]), padding: "x".repeat(1024 * 1024) }), 413, "request.too_large"],
        ["a token in an identifier", () => release().batch([item], { externalId: `run-ghp_${"a1B2".repeat(9)}` }), 422, "request.secret_in_identifier", "payload.externalId"]
      ]
      it.each(cases)("%s", async (_name, body, status, code, path) => {
        const before = await rowCounts(database)
        const answer = await rawPost(ingestUrl(), JSON.stringify(body()), { authorization: `Bearer ${token}` })
        expect(answer.status).toBe(status)
        expect(answer.json.code).toBe(code)
        if (path !== undefined) {
          expect(answer.json.errors.map((e: { path: Array<string | number> }) => e.path.join("."))).toContain(path)
        }
        // A 413 is refused before the body is read, so not even the refusal is attributed.
        expect(await rowCounts(database)).toEqual(status === 413 ? before : withRejection(before))
      })
    })

    describe("fails closed: a refused request stores nothing", () => {
      const matrix: Array<[string, () => Promise<Record<string, string>>, number, string]> = [
        ["no Authorization header", async () => ({}), 401, "auth.missing"],
        ["another scheme", async () => ({ authorization: "Token abc" }), 401, "auth.malformed"],
        ["a token nobody issued", async () => ({ authorization: `Bearer ${generateApiToken()}` }), 401, "auth.invalid"],
        ["a revoked token", async () => {
          const revoked = await createToken(testDb.url, "--scope", "evidence:ingest")
          expect((await cli(["token", "revoke", revoked.id, "--database", testDb.url])).code).toBe(0)
          return { authorization: `Bearer ${revoked.value}` }
        }, 401, "auth.revoked"],
        ["an expired token", async () => {
          const expired = await createToken(testDb.url, "--scope", "evidence:ingest", "--expires-in", "1s")
          await new Promise((resolve) => setTimeout(resolve, 1100))
          return { authorization: `Bearer ${expired.value}` }
        }, 401, "auth.expired"],
        ["a gate-only token", async () => ({ authorization: `Bearer ${(await createToken(testDb.url, "--scope", "gate:evaluate")).value}` }), 403, "auth.scope_missing"]
      ]
      it.each(matrix)("%s", async (_name, headers, status, code) => {
        const prepared = await headers()
        const before = await rowCounts(database)
        const answer = await rawPost(ingestUrl(), JSON.stringify(release().batch([{ type: "smoke", status: "passed", summary: "ok" }])), prepared)
        expect(answer).toMatchObject({ status, json: { code } })
        expect(await rowCounts(database)).toEqual(before)
      })
    })

    it("the redaction corpus: no raw secret reaches the database or the answer", async () => {
      const { batch } = release()
      const items = positives.map((positive, i) => {
        const text = corpusInput(positive)
        return {
          type: `leak-${i}`,
          status: "warning" as const,
          summary: new TextEncoder().encode(text).byteLength <= 2048 ? text : positive.name,
          details: { log: text, nested: { env: [text] } },
          url: `https://ci.example.com/runs/${i}?note=${encodeURIComponent(text.slice(0, 100))}`
        }
      })
      const answers = []
      for (let i = 0; i < items.length; i += 50) {
        const sent = batch(items.slice(i, i + 50), { externalId: `leaky-run-${i}` })
        const answer = await rawPost(ingestUrl(), JSON.stringify(sent), { authorization: `Bearer ${token}`, "idempotency-key": `leaky-${Date.now()}-${i}` })
        expect(answer.status, answer.text).toBe(200)
        answers.push(answer)
      }
      const secrets = positives.flatMap((p) => p.secrets.map(([, secret]) => secret))
      const stored = JSON.stringify(await database.db.selectFrom("evidence").selectAll().execute()) +
        JSON.stringify(await database.db.selectFrom("idempotency_keys").selectAll().execute())
      for (const secret of secrets) {
        expect(stored.includes(secret), `a secret reached the database: ${secret.slice(0, 6)}…`).toBe(false)
        for (const answer of answers) expect(answer.text.includes(secret)).toBe(false)
      }
      expect(answers.reduce((sum, a) => sum + a.json.redactions, 0)).toBeGreaterThanOrEqual(secrets.length)
      expect(stored).toContain("[REDACTED:")
    })

    it("the CLI ingests one item from flags (exit 0) and refuses a bad token (exit 2)", async () => {
      const { gate: request } = release()
      const args = [
        "evidence", "ingest", "--url", server.url,
        "--source", "jenkins", "--external-id", `build-${Date.now()}`, "--type", "smoke", "--status", "passed",
        "--summary", "smoke ok", "--service", request.service.name, "--namespace", request.service.namespace,
        "--release-id", request.release.releaseId, "--source-sha", request.release.sourceSha, "--digest", request.artifact.digest
      ]
      const ok = await cli(args, { env: { RELEASEPASSPORT_TOKEN: token } })
      expect(ok.code, ok.stderr).toBe(0)
      expect(ok.stdout).toMatch(/smoke: created evd_\w+ \(version 1\)/)
      expect((await gate(request)).verdict).toBe("pass")
      const refused = await cli(args, { env: { RELEASEPASSPORT_TOKEN: generateApiToken() } })
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain("auth.invalid")
    })
  })
}
