import { StoreUnavailable } from "@releasepassport/core"
import type { Stores } from "../src/index.ts"
import type { Verdict } from "@releasepassport/core"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeStores, migrateToLatest, openDatabase } from "../src/index.ts"
import type { SqlDatabase, Tables } from "../src/index.ts"
import { rowCounts } from "./support/rowCounts.ts"
import { closeMigratedStores, openMigratedStores } from "./support/migratedStores.ts"
import { adapterChoices } from "./support/testDatabases.ts"
import type { TestDatabase } from "./support/testDatabases.ts"

/**
 * One conformance suite for the stores, run against every adapter. Anything a store
 * promises (identity, idempotency, transactions, ordering) is checked here once.
 */
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const NOW = new Date("2026-11-28T12:00:00.000Z")
const later = (ms: number) => new Date(NOW.getTime() + ms)

const verdict = (overrides: Partial<Verdict> = {}): Verdict => ({
  mode: "enforce",
  verdict: "pass",
  allowed: true,
  wouldBlock: false,
  blockers: [],
  warnings: [],
  policy: { revision: "src-test", bundleDigest: "sha256:00", entrypoint: "releasepassport/gate/decision" },
  evaluatedAt: NOW.toISOString(),
  durationMs: 0.5,
  ...overrides
})

class DecideFailed extends Schema.TaggedError<DecideFailed>()("DecideFailed", {}) {}

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`stores on ${choice.adapter}`, () => {
    let testDb: TestDatabase
    let database: SqlDatabase<Tables>
    let stores: Stores
    let workspaceId: string

    beforeAll(async () => {
      ;({ testDb, database, stores } = await openMigratedStores(choice))
      workspaceId = (await run(stores.workspaces.findBySlug("default")))!.id
    })
    afterAll(() => closeMigratedStores({ testDb, database }))

    const record = (releaseId: string, overrides: Record<string, unknown> = {}) =>
      stores.passports.recordGateEvaluation({
        workspaceId,
        service: { namespace: "apps", name: "checkout" },
        releaseId,
        artifactDigest: "sha256:first",
        sourceSha: "abc",
        environment: "production",
        request: { any: "thing" },
        tokenId: null,
        now: NOW,
        decide: () => Effect.succeed(verdict()),
        ...overrides
      })

    describe("migrations", () => {
      it("create a default workspace and are idempotent", async () => {
        const again = await migrateToLatest(database)
        expect(again).toEqual({ applied: [] })
        expect(await run(stores.workspaces.findBySlug("default"))).toMatchObject({ slug: "default", name: "Default" })
      })
    })

    describe("workspaces", () => {
      it("creates, finds and lists; a taken slug is refused", async () => {
        const created = await run(stores.workspaces.create({ slug: "team-a", name: "Team A", now: NOW }))
        expect(created).toMatchObject({ slug: "team-a", name: "Team A", createdAt: NOW.toISOString() })
        expect(created.id).toMatch(/^ws_/)
        expect(await run(stores.workspaces.findBySlug("team-a"))).toEqual(created)
        expect(await run(stores.workspaces.findById(created.id))).toEqual(created)
        expect(await run(stores.workspaces.findBySlug("nope"))).toBeUndefined()
        const taken = await run(Effect.flip(stores.workspaces.create({ slug: "team-a", name: "Again", now: NOW })))
        expect(taken._tag).toBe("WorkspaceSlugTaken")
        expect((await run(stores.workspaces.list)).map((w) => w.slug)).toEqual(expect.arrayContaining(["default", "team-a"]))
      })
    })

    describe("tokens", () => {
      it("stores only the digest and finds a token by it", async () => {
        const token = await run(stores.tokens.create({
          workspaceId,
          name: "ci",
          scopes: ["gate:evaluate", "evidence:ingest"],
          digest: "d".repeat(64),
          now: NOW,
          expiresAt: later(86_400_000)
        }))
        expect(token).toMatchObject({ name: "ci", revokedAt: null, lastUsedAt: null, expiresAt: later(86_400_000).toISOString() })
        expect(token.scopes).toEqual(["evidence:ingest", "gate:evaluate"])
        const found = await run(stores.tokens.findByDigest("d".repeat(64)))
        expect(found).toEqual({ token, digest: "d".repeat(64) })
        expect(await run(stores.tokens.findByDigest("e".repeat(64)))).toBeUndefined()
      })

      it("revokes only within the token's own workspace, and only once", async () => {
        const other = await run(stores.workspaces.create({ slug: "other-ws", name: "Other", now: NOW }))
        const token = await run(stores.tokens.create({
          workspaceId,
          name: "to-revoke",
          scopes: ["gate:evaluate"],
          digest: "f".repeat(64),
          now: NOW,
          expiresAt: later(1000)
        }))
        expect(await run(stores.tokens.revoke({ workspaceId: other.id, id: token.id, now: NOW }))).toBe(false)
        expect(await run(stores.tokens.revoke({ workspaceId, id: token.id, now: later(5) }))).toBe(true)
        expect(await run(stores.tokens.revoke({ workspaceId, id: token.id, now: later(6) }))).toBe(false)
        expect((await run(stores.tokens.findByDigest("f".repeat(64))))?.token.revokedAt).toBe(later(5).toISOString())
      })

      it("records last use at most once a minute", async () => {
        const token = await run(stores.tokens.create({
          workspaceId,
          name: "touchy",
          scopes: ["gate:evaluate"],
          digest: "a".repeat(64),
          now: NOW,
          expiresAt: later(86_400_000)
        }))
        const lastUsed = async () => (await run(stores.tokens.findByDigest("a".repeat(64))))?.token.lastUsedAt
        await run(stores.tokens.touch(token.id, later(1000)))
        expect(await lastUsed()).toBe(later(1000).toISOString())
        await run(stores.tokens.touch(token.id, later(30_000)))
        expect(await lastUsed()).toBe(later(1000).toISOString())
        await run(stores.tokens.touch(token.id, later(62_000)))
        expect(await lastUsed()).toBe(later(62_000).toISOString())
      })

      it("lists a workspace's tokens newest first", async () => {
        const listed = await run(stores.tokens.list(workspaceId))
        expect(listed.length).toBeGreaterThanOrEqual(3)
        const times = listed.map((t) => t.createdAt)
        expect([...times].sort().reverse()).toEqual(times)
        expect(JSON.stringify(listed)).not.toContain("d".repeat(64))
      })
    })

    describe("passports and gate evaluations", () => {
      it("creates the passport on first sight and keeps what it was first seen with", async () => {
        const first = await run(record("rel-1"))
        expect(first.passport).toMatchObject({ releaseId: "rel-1", artifactDigest: "sha256:first", sourceSha: "abc" })
        expect(first.passport.id).toMatch(/^pp_/)
        expect(first.evaluation.id).toMatch(/^ge_/)
        const seen: Array<unknown> = []
        const second = await run(record("rel-1", {
          artifactDigest: "sha256:other",
          sourceSha: "def",
          now: later(1000),
          decide: (facts: unknown) => Effect.sync(() => seen.push(facts)).pipe(Effect.as(verdict({ evaluatedAt: later(1000).toISOString() })))
        }))
        expect(second.passport.id).toBe(first.passport.id)
        expect(second.passport.artifactDigest).toBe("sha256:first")
        expect(seen).toEqual([{
          passport: {
            id: first.passport.id,
            releaseId: "rel-1",
            artifactDigest: "sha256:first",
            sourceSha: "abc",
            service: { namespace: "apps", name: "checkout" }
          },
          evidence: []
        }])
        expect(second.passport.updatedAt).toBe(later(1000).toISOString())
      })

      it("keeps every evaluation and one stamp per environment, the latest", async () => {
        await run(record("rel-2", { decide: () => Effect.succeed(verdict({ verdict: "fail", blockers: [{ code: "x.y", policy: "gate", message: "m" }] })) }))
        await run(record("rel-2", {
          now: later(2000),
          decide: () => Effect.succeed(verdict({ evaluatedAt: later(2000).toISOString() }))
        }))
        await run(record("rel-2", { environment: "staging" }))
        const rows = await database.db.selectFrom("gate_evaluations").innerJoin("passports", "passports.id", "gate_evaluations.passport_id")
          .where("passports.release_id", "=", "rel-2").select(["gate_evaluations.verdict", "gate_evaluations.environment"]).execute()
        expect(rows).toHaveLength(3)
        const stamps = await database.db.selectFrom("passport_stamps").innerJoin("passports", "passports.id", "passport_stamps.passport_id")
          .where("passports.release_id", "=", "rel-2").select(["passport_stamps.environment", "passport_stamps.verdict", "passport_stamps.blocker_count"])
          .orderBy("passport_stamps.environment").execute()
        expect(stamps).toEqual([
          { environment: "production", verdict: "pass", blocker_count: 0 },
          { environment: "staging", verdict: "pass", blocker_count: 0 }
        ])
      })

      it("an older evaluation arriving late does not move the stamp back", async () => {
        await run(record("rel-3", { now: later(5000), decide: () => Effect.succeed(verdict({ evaluatedAt: later(5000).toISOString() })) }))
        await run(record("rel-3", { decide: () => Effect.succeed(verdict({ verdict: "fail", evaluatedAt: NOW.toISOString() })) }))
        const stamp = await database.db.selectFrom("passport_stamps").innerJoin("passports", "passports.id", "passport_stamps.passport_id")
          .where("passports.release_id", "=", "rel-3").select(["passport_stamps.verdict"]).executeTakeFirstOrThrow()
        expect(stamp.verdict).toBe("pass")
      })

      it("writes nothing when the decision fails: the transaction rolls back", async () => {
        const before = await rowCounts(database)
        const failure = await run(Effect.flip(record("rel-rollback", { decide: () => Effect.fail(new DecideFailed()) })))
        expect(failure._tag).toBe("DecideFailed")
        const defect = await run(Effect.exit(record("rel-rollback", { decide: () => Effect.die(new Error("boom")) })))
        expect(defect._tag).toBe("Failure")
        expect(await rowCounts(database)).toEqual(before)
      })

      it("concurrent evaluations of one new release make exactly one passport", async () => {
        const results = await Promise.all(Array.from({ length: 25 }, (_, i) =>
          run(record("rel-race", { now: later(i), decide: () => Effect.succeed(verdict({ evaluatedAt: later(i).toISOString() })) }))
        ))
        expect(new Set(results.map((r) => r.passport.id)).size).toBe(1)
        const passports = await database.db.selectFrom("passports").where("release_id", "=", "rel-race").selectAll().execute()
        expect(passports).toHaveLength(1)
        const evaluations = await database.db.selectFrom("gate_evaluations").where("passport_id", "=", passports[0]!.id).selectAll().execute()
        expect(evaluations).toHaveLength(25)
      })

      it("a passport belongs to its workspace: the same release elsewhere is another passport", async () => {
        const other = await run(stores.workspaces.create({ slug: "iso-ws", name: "Iso", now: NOW }))
        const mine = await run(record("rel-iso"))
        const theirs = await run(record("rel-iso", { workspaceId: other.id }))
        expect(theirs.passport.id).not.toBe(mine.passport.id)
      })
    })

  })
}

describe("an unreachable database is StoreUnavailable, not a crash", () => {
  it("postgres on a closed port", async () => {
    const database = await openDatabase("postgres://postgres@127.0.0.1:1/nothing")
    try {
      const stores = makeStores(database)
      const failure = await run(Effect.flip(stores.workspaces.findBySlug("default")))
      expect(failure).toBeInstanceOf(StoreUnavailable)
    } finally {
      await database.close()
    }
  })
})
