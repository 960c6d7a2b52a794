import { openDatabase } from "@releasepassport/adapters"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, BASE, cli, createToken, passingGateRequest, rawPost, rowCounts, startServer } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

/**
 * `serve --retain-evaluations`: old gate evaluations go, each passport's latest verdict per
 * environment stays (its stamp), and the passport still reads. A short retention stands in
 * for 400 days; the server prunes at start.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`retention (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let token: string
    beforeAll(async () => {
      testDb = await choice.create()
      expect((await cli(["migrate", "--database", testDb.url])).code).toBe(0)
      token = (await createToken(testDb.url, "--workspace", "default", "--scope", "gate:evaluate")).value
    })
    afterAll(async () => {
      await testDb?.drop()
    })

    it("prunes old evaluations but never a passport's latest per environment", async () => {
      const keeper = await startServer({ database: testDb.url })
      const request = passingGateRequest()
      const gate = (url: string, environment: string) =>
        rawPost(`${url}${BASE}/gate/evaluate`, JSON.stringify({ ...request, service: { ...request.service, environment } }), { authorization: `Bearer ${token}` })
      try {
        for (const environment of ["staging", "staging", "staging", "dev", "dev"]) expect((await gate(keeper.url, environment)).status).toBe(200)
      } finally {
        await keeper.stop()
      }
      const database = await openDatabase(testDb.url)
      try {
        expect((await rowCounts(database))["gate_evaluations"]).toBe(5)
        await sleep(2_500)
        const pruner = await startServer({ database: testDb.url, args: ["--retain-evaluations", "2s"] })
        try {
          let counts = await rowCounts(database)
          for (let i = 0; i < 50 && counts["gate_evaluations"] !== 2; i++) {
            await sleep(100)
            counts = await rowCounts(database)
          }
          expect(counts["gate_evaluations"]).toBe(2)
          expect(counts["passport_stamps"]).toBe(2)
          // The gate still works on the pruned passport.
          expect((await gate(pruner.url, "staging")).status).toBe(200)
        } finally {
          await pruner.stop()
        }
      } finally {
        await database.close()
      }
    }, 60_000)

    it("refuses a retention that is not a duration", async () => {
      const result = await cli(["serve", "--database", testDb.url, "--port", "0", "--retain-evaluations", "forever"])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("--retain-evaluations must look like")
    })
  })
}
