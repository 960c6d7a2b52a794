import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SqlDatabase, Stores, Tables } from "../src/index.ts"
import { adapterChoices, closeMigratedStores, openMigratedStores } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

/**
 * Conformance of the license store (installations, the one in force, history, and the
 * service count that `maxServices` is measured against), run against every adapter.
 */
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const NOW = new Date("2026-11-28T12:00:00.000Z")
const later = (ms: number) => new Date(NOW.getTime() + ms)
const YEAR = 365 * 86_400_000

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`license store on ${choice.adapter}`, () => {
    let testDb: TestDatabase
    let database: SqlDatabase<Tables>
    let stores: Stores

    beforeAll(async () => {
      ;({ testDb, database, stores } = await openMigratedStores(choice))
    })
    afterAll(() => closeMigratedStores({ testDb, database }))

    const install = (n: number, now: Date) =>
      run(stores.licenses.install({
        licenseId: `license-${n}`,
        customer: `Customer ${n}`,
        plan: n % 2 === 0 ? "enterprise" : "team",
        expiresAt: new Date(now.getTime() + YEAR),
        document: `header.payload-${n}.signature`,
        now
      }))

    it("has nothing in force before the first installation", async () => {
      expect(await run(stores.licenses.current)).toBeUndefined()
      expect(await run(stores.licenses.history)).toEqual([])
    })

    it("the latest installation wins, with its document; every one is kept, newest first, without documents", async () => {
      const first = await install(1, NOW)
      expect(first).toEqual({
        id: expect.stringMatching(/^lic_/),
        licenseId: "license-1",
        customer: "Customer 1",
        plan: "team",
        expiresAt: later(YEAR).toISOString(),
        installedAt: NOW.toISOString()
      })
      expect(await run(stores.licenses.current)).toEqual({ license: first, document: "header.payload-1.signature" })

      const second = await install(2, later(1000))
      // Installed within the same millisecond as the second: the later installation still wins.
      const third = await install(3, later(1000))
      expect(await run(stores.licenses.current)).toEqual({ license: third, document: "header.payload-3.signature" })
      const history = await run(stores.licenses.history)
      expect(history).toEqual([third, second, first])
      expect(JSON.stringify(history)).not.toContain("signature")
    })

    it("a later installation of an older license is still the one in force (latest installed, not latest issued)", async () => {
      const reinstalled = await install(1, later(5000))
      expect((await run(stores.licenses.current))?.license).toEqual(reinstalled)
      expect((await run(stores.licenses.history)).length).toBe(4)
    })

    it("counts distinct services (namespace + name) per workspace, and across the installation", async () => {
      const ws = await run(stores.workspaces.create({ slug: "licensed-a", name: "A", now: NOW }))
      const other = await run(stores.workspaces.create({ slug: "licensed-b", name: "B", now: NOW }))
      const before = await run(stores.licenses.countServices({}))
      const gate = (workspaceId: string, namespace: string, name: string, releaseId: string) =>
        run(Effect.gen(function*() {
          const identity = { workspaceId, service: { namespace, name }, releaseId, artifactDigest: "sha256:00", sourceSha: "abc", now: NOW }
          const facts = yield* stores.passports.gateFacts(identity)
          return yield* stores.passports.recordGateEvaluation({
            identity,
            decidedOn: facts,
            environment: "staging",
            verdict: {
              mode: "shadow" as const,
              verdict: "pass" as const,
              allowed: true,
              wouldBlock: false,
              blockers: [],
              warnings: [],
              policy: { revision: "r", bundleDigest: "sha256:00", entrypoint: "releasepassport/gate/decision" },
              evaluatedAt: NOW.toISOString(),
              durationMs: 1
            },
            request: {},
            tokenId: null,
            evidenceIds: [],
            now: NOW
          })
        }))
      // Two releases of one service are one service; the same name in another namespace is another.
      await gate(ws.id, "apps", "checkout", "r1")
      await gate(ws.id, "apps", "checkout", "r2")
      await gate(ws.id, "apps", "search", "r1")
      await gate(ws.id, "other-ns", "checkout", "r1")
      // The same (namespace, name) in another workspace is another workspace's service.
      await gate(other.id, "apps", "checkout", "r1")

      expect(await run(stores.licenses.countServices({ workspaceId: ws.id }))).toBe(3)
      expect(await run(stores.licenses.countServices({ workspaceId: other.id }))).toBe(1)
      expect(await run(stores.licenses.countServices({ workspaceId: "ws_nope" }))).toBe(0)
      expect(await run(stores.licenses.countServices({}))).toBe(before + 4)
    })
  })
}
