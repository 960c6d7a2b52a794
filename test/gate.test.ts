import { openDatabase } from "@releasepassport/adapters"
import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import { generateApiToken } from "@releasepassport/app"
import { Effect } from "effect"
import { writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, apiClient, cli, createToken, documentedGateRequest, passingGateRequest, rawPost, rowCounts, startServer } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`gate evaluation over HTTP (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let database: SqlDatabase<Tables>
    let gateToken: string

    beforeAll(async () => {
      testDb = await choice.create()
      const migrated = await cli(["migrate", "--database", testDb.url])
      expect(migrated.code, migrated.stderr).toBe(0)
      gateToken = (await createToken(testDb.url, "--scope", "gate:evaluate", "--name", "ci")).value
      server = await startServer({ database: testDb.url })
      database = await openDatabase(testDb.url)
    })
    afterAll(async () => {
      await server?.stop()
      await database?.close()
      await testDb?.drop()
    })

    const gateUrl = () => `${server.url}/releasepassport/v1/gate/evaluate`

    it("answers the documented example exactly as sent with a verdict carrying artifact.digest_invalid", async () => {
      const response = await rawPost(gateUrl(), JSON.stringify(documentedGateRequest), { authorization: `Bearer ${gateToken}` })
      expect(response.status).toBe(200)
      expect(response.json).toMatchObject({ mode: "shadow", verdict: "fail", allowed: true, wouldBlock: true })
      expect(response.json.blockers.map((b: { code: string }) => b.code)).toContain("artifact.digest_invalid")
      expect(response.json.passportId).toMatch(/^pp_/)
      expect(response.json.evaluationId).toMatch(/^ge_/)
      expect(response.json.policy.bundleDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
    })

    it("shadow and enforce on the same failing request: same verdict, only enforce blocks", async () => {
      const client = await apiClient(server.url, gateToken)
      const failing = passingGateRequest({ artifact: { digest: "sha256:abc123..." } })
      const shadow = await Effect.runPromise(client.gate.evaluate({ payload: { ...failing, mode: "shadow" }, headers: {} }))
      const enforce = await Effect.runPromise(client.gate.evaluate({ payload: { ...failing, mode: "enforce" }, headers: {} }))
      expect(shadow).toMatchObject({ verdict: "fail", allowed: true, wouldBlock: true })
      expect(enforce).toMatchObject({ verdict: "fail", allowed: false, wouldBlock: true })
      expect(enforce.blockers).toEqual(shadow.blockers)
      expect(enforce.passportId).toBe(shadow.passportId)
      expect(enforce.evaluationId).not.toBe(shadow.evaluationId)
    })

    it("a passing request passes and is allowed under enforce", async () => {
      const client = await apiClient(server.url, gateToken)
      const answer = await Effect.runPromise(client.gate.evaluate({ payload: passingGateRequest(), headers: {} }))
      expect(answer).toMatchObject({ verdict: "pass", allowed: true, wouldBlock: false, blockers: [], warnings: [] })
    })

    it("stores the passport, the evaluation and the stamp", async () => {
      const client = await apiClient(server.url, gateToken)
      const request = passingGateRequest()
      const answer = await Effect.runPromise(client.gate.evaluate({ payload: request, headers: {} }))
      const passport = await database.db.selectFrom("passports").selectAll().where("id", "=", answer.passportId).executeTakeFirstOrThrow()
      expect(passport).toMatchObject({ release_id: request.release.releaseId, artifact_digest: request.artifact.digest })
      const evaluation = await database.db.selectFrom("gate_evaluations").selectAll().where("id", "=", answer.evaluationId).executeTakeFirstOrThrow()
      expect(evaluation).toMatchObject({ verdict: "pass", environment: "staging", mode: "enforce" })
      const stamp = await database.db.selectFrom("passport_stamps").selectAll().where("passport_id", "=", answer.passportId).executeTakeFirstOrThrow()
      expect(stamp).toMatchObject({ evaluation_id: answer.evaluationId, verdict: "pass" })
    })

    it("the same release with another digest or source sha is a blocker, not an overwrite", async () => {
      const client = await apiClient(server.url, gateToken)
      const request = passingGateRequest()
      const first = await Effect.runPromise(client.gate.evaluate({ payload: request, headers: {} }))
      const changed = await Effect.runPromise(client.gate.evaluate({
        payload: { ...request, artifact: { digest: `sha256:${"ab".repeat(32)}` }, release: { ...request.release, sourceSha: "other" } },
        headers: {}
      }))
      expect(changed.passportId).toBe(first.passportId)
      expect(changed.blockers.map((b) => b.code).sort()).toEqual(["artifact.digest_mismatch", "release.source_sha_mismatch"])
      const passport = await database.db.selectFrom("passports").select(["artifact_digest", "source_sha"]).where("id", "=", first.passportId).executeTakeFirstOrThrow()
      expect(passport).toEqual({ artifact_digest: request.artifact.digest, source_sha: request.release.sourceSha })
    })

    describe("with an Idempotency-Key", () => {
      const keyed = (key: string) => ({ authorization: `Bearer ${gateToken}`, "idempotency-key": key })
      const evaluationsOf = (passportId: string) =>
        database.db.selectFrom("gate_evaluations").select("id").where("passport_id", "=", passportId).execute()

      it("a retry records no second evaluation and gets exactly the first answer", async () => {
        const body = JSON.stringify(passingGateRequest())
        const first = await rawPost(gateUrl(), body, keyed("retry-key-1"))
        expect(first.status, first.text).toBe(200)
        const before = await rowCounts(database)
        const retried = await rawPost(gateUrl(), body, keyed("retry-key-1"))
        expect(retried.status).toBe(200)
        expect(retried.json).toEqual(first.json)
        expect(await rowCounts(database)).toEqual(before)
        expect(await evaluationsOf(first.json.passportId)).toEqual([{ id: first.json.evaluationId }])
        // The same body without the key is a new request: a second evaluation.
        const unkeyed = await rawPost(gateUrl(), body, { authorization: `Bearer ${gateToken}` })
        expect(unkeyed.json.evaluationId).not.toBe(first.json.evaluationId)
        expect(await evaluationsOf(first.json.passportId)).toHaveLength(2)
      })

      it("the same key and body sent twice at once: one evaluation, both answered with it", async () => {
        const body = JSON.stringify(passingGateRequest())
        const answers = await Promise.all([1, 2, 3].map(() => rawPost(gateUrl(), body, keyed("retry-key-race"))))
        for (const answer of answers) expect(answer.status, answer.text).toBe(200)
        expect(answers[1]!.json).toEqual(answers[0]!.json)
        expect(answers[2]!.json).toEqual(answers[0]!.json)
        expect(await evaluationsOf(answers[0]!.json.passportId)).toHaveLength(1)
      })

      it("409 idempotency.key_reused for the key with another body, and nothing is recorded", async () => {
        const request = passingGateRequest()
        const first = await rawPost(gateUrl(), JSON.stringify(request), keyed("retry-key-2"))
        expect(first.status).toBe(200)
        const before = await rowCounts(database)
        const other = await rawPost(gateUrl(), JSON.stringify({ ...request, mode: "shadow" }), keyed("retry-key-2"))
        expect(other.status).toBe(409)
        expect(other.headers.get("content-type")).toContain("application/problem+json")
        expect(other.json).toMatchObject({ status: 409, code: "idempotency.key_reused" })
        expect(await rowCounts(database)).toEqual(before)
      })

      it("a key that is not 1-200 visible ASCII characters is refused before anything is read", async () => {
        const before = await rowCounts(database)
        for (const key of ["has space", "x".repeat(201)]) {
          const response = await rawPost(gateUrl(), JSON.stringify(passingGateRequest()), keyed(key))
          expect(response.status, key).toBe(422)
          expect(response.json.code, key).toBe("request.invalid")
        }
        expect(await rowCounts(database)).toEqual(before)
      })
    })

    describe("fails closed: a refused request writes nothing", () => {
      const matrix: Array<[string, () => Promise<Record<string, string>>, number, string]> = [
        ["no Authorization header", async () => ({}), 401, "auth.missing"],
        ["another scheme", async () => ({ authorization: "Basic Zm9vOmJhcg==" }), 401, "auth.malformed"],
        ["an empty bearer", async () => ({ authorization: "Bearer " }), 401, "auth.malformed"],
        ["a token with a bad checksum", async () => {
          const last = gateToken.at(-1) === "A" ? "B" : "A"
          return { authorization: `Bearer ${gateToken.slice(0, -1)}${last}` }
        }, 401, "auth.invalid"],
        ["a well-formed token nobody issued", async () => ({ authorization: `Bearer ${generateApiToken()}` }), 401, "auth.invalid"],
        ["a revoked token", async () => {
          const token = await createToken(testDb.url, "--scope", "gate:evaluate")
          expect((await cli(["token", "revoke", token.id, "--database", testDb.url])).code).toBe(0)
          return { authorization: `Bearer ${token.value}` }
        }, 401, "auth.revoked"],
        ["an expired token", async () => {
          const token = await createToken(testDb.url, "--scope", "gate:evaluate", "--expires-in", "1s")
          await new Promise((resolve) => setTimeout(resolve, 1100))
          return { authorization: `Bearer ${token.value}` }
        }, 401, "auth.expired"],
        ["a token without the gate:evaluate scope", async () => {
          const token = await createToken(testDb.url, "--scope", "evidence:ingest")
          return { authorization: `Bearer ${token.value}` }
        }, 403, "auth.scope_missing"]
      ]

      it.each(matrix)("%s", async (_name, headers, status, code) => {
        const prepared = await headers()
        const before = await rowCounts(database)
        const response = await rawPost(gateUrl(), JSON.stringify(passingGateRequest()), prepared)
        expect(response.status).toBe(status)
        expect(response.headers.get("content-type")).toContain("application/problem+json")
        expect(response.json).toMatchObject({ status, code })
        if (status === 401) expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="releasepassport"/)
        expect(await rowCounts(database)).toEqual(before)
      })
    })

    describe("bad input gets a clear problem and changes nothing", () => {
      const auth = () => ({ authorization: `Bearer ${gateToken}` })

      it("422 listing every structural problem", async () => {
        const before = await rowCounts(database)
        const response = await rawPost(gateUrl(), JSON.stringify({ mode: "yolo", service: { name: 42 }, health: { ready: "yes" } }), auth())
        expect(response.status).toBe(422)
        expect(response.json.code).toBe("request.invalid")
        const paths = response.json.errors.map((e: { path: Array<string> }) => e.path.join("."))
        expect(paths).toEqual(expect.arrayContaining([
          "payload.mode",
          "payload.service.name",
          "payload.service.namespace",
          "payload.service.environment",
          "payload.artifact",
          "payload.release",
          "payload.health.ready",
          "payload.rollback"
        ]))
        expect(await rowCounts(database)).toEqual(before)
      })

      it("400 for a body that is not JSON", async () => {
        const before = await rowCounts(database)
        const response = await rawPost(gateUrl(), "{not json", auth())
        expect(response).toMatchObject({ status: 400, json: { code: "request.malformed" } })
        expect(await rowCounts(database)).toEqual(before)
      })

      it("413 for a body over 1 MiB", async () => {
        const before = await rowCounts(database)
        const huge = JSON.stringify({ ...passingGateRequest(), padding: "x".repeat(1024 * 1024) })
        const response = await rawPost(gateUrl(), huge, auth())
        expect(response).toMatchObject({ status: 413, json: { code: "request.too_large" } })
        expect(await rowCounts(database)).toEqual(before)
      })

      it("415 for a body that is not application/json", async () => {
        const response = await rawPost(gateUrl(), JSON.stringify(passingGateRequest()), { ...auth(), "content-type": "text/plain" })
        expect(response).toMatchObject({ status: 415, json: { code: "request.unsupported_media_type" } })
      })

      it("404 problem for an unknown route, never a stack trace", async () => {
        const response = await fetch(`${server.url}/releasepassport/v1/nope`)
        expect(response.status).toBe(404)
        expect(await response.json()).toMatchObject({ code: "route.not_found" })
      })
    })

    it("serves health, readiness and the OpenAPI document derived from the API definition", async () => {
      const client = await apiClient(server.url)
      expect(await Effect.runPromise(client.system.healthz())).toEqual({ status: "ok" })
      const ready = await Effect.runPromise(client.system.readyz())
      expect(ready).toMatchObject({ status: "ready", database: "ok" })
      const openapi = await (await fetch(`${server.url}/releasepassport/v1/openapi.json`)).json()
      expect(Object.keys(openapi.paths)).toContain("/releasepassport/v1/gate/evaluate")
      expect(openapi.paths["/releasepassport/v1/gate/evaluate"].post.security).toBeDefined()
    })

    describe("the gate evaluate CLI for pipelines", () => {
      const requestFile = (request: unknown) => {
        const file = path.join(tmpdir(), `rp-gate-${Date.now()}-${Math.random()}.json`)
        writeFileSync(file, JSON.stringify(request))
        return file
      }
      const gate = (file: string, env: Record<string, string> = {}) =>
        cli(["gate", "evaluate", "--url", server.url, "--file", file], { env: { RELEASEPASSPORT_TOKEN: gateToken, ...env } })

      it("exit 0 when allowed", async () => {
        const result = await gate(requestFile(passingGateRequest()))
        expect(result.code, result.stderr).toBe(0)
        expect(result.stdout).toMatch(/^ALLOWED\s+verdict=pass/)
      })

      it("exit 1 when blocked, with the blockers printed readably", async () => {
        const result = await gate(requestFile(passingGateRequest({ health: { ready: false, requireHealthyTarget: true } })))
        expect(result.code).toBe(1)
        expect(result.stdout).toMatch(/^BLOCKED\s+verdict=fail/)
        expect(result.stdout).toContain("health.target_not_ready [gate/health]")
        expect(result.stdout).toContain("fix: ")
      })

      it("exit 0 in shadow mode for the same failing request, saying enforce would block", async () => {
        const result = await gate(requestFile(passingGateRequest({ mode: "shadow", health: { ready: false, requireHealthyTarget: true } })))
        expect(result.code).toBe(0)
        expect(result.stdout).toContain("enforce would block")
      })

      it("exit 2 on a refused token, an unreachable server or a bad file", async () => {
        const file = requestFile(passingGateRequest())
        const refused = await gate(file, { RELEASEPASSPORT_TOKEN: generateApiToken() })
        expect(refused.code).toBe(2)
        expect(refused.stderr).toContain("auth.invalid")
        const unreachable = await cli(["gate", "evaluate", "--url", "http://127.0.0.1:1", "--file", file], {
          env: { RELEASEPASSPORT_TOKEN: gateToken }
        })
        expect(unreachable.code).toBe(2)
        expect(unreachable.stderr).toContain("cannot reach")
        const missing = await gate("/nonexistent/request.json")
        expect(missing.code).toBe(2)
        expect(`${refused.stdout}${refused.stderr}${unreachable.stderr}`).not.toContain(gateToken)
      })
    })
  })
}
