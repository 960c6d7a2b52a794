import type { IngestEvidence, SanitizedEvidenceItem } from "@releasepassport/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SqlDatabase, Stores, Tables } from "../src/index.ts"
import { adapterChoices, closeMigratedStores, openMigratedStores, rowCounts } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

/**
 * Evidence, passport reads, comments and connectors: the same promises checked on every
 * adapter (versioning and idempotency under concurrency, keyset pages, counts).
 */
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const NOW = new Date("2026-11-28T12:00:00.000Z")
const later = (ms: number) => new Date(NOW.getTime() + ms)

const item = (type: string, contentHash: string, overrides: Partial<SanitizedEvidenceItem> = {}): SanitizedEvidenceItem => ({
  type,
  status: "passed",
  summary: `${type} ok`,
  url: null,
  details: { n: 1 },
  private: false,
  observedAt: undefined,
  contentHash,
  redactions: 0,
  ...overrides
})

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`evidence, reads and connectors on ${choice.adapter}`, () => {
    let testDb: TestDatabase
    let database: SqlDatabase<Tables>
    let stores: Stores
    let workspaceId: string
    let userId: string

    beforeAll(async () => {
      ;({ testDb, database, stores } = await openMigratedStores(choice))
      workspaceId = (await run(stores.workspaces.findBySlug("default")))!.id
      const user = await run(stores.users.create({
        email: "c@example.com",
        displayName: "Commenter",
        passwordHash: "not-a-real-hash",
        membership: { workspaceId, role: "member" },
        now: NOW
      }))
      userId = user.id
    })
    afterAll(() => closeMigratedStores({ testDb, database }))

    let n = 0
    const batch = (items: ReadonlyArray<SanitizedEvidenceItem>, overrides: Partial<IngestEvidence> = {}): IngestEvidence => ({
      workspaceId,
      tokenId: null,
      source: "ci",
      externalId: `run-${n}`,
      service: { namespace: "apps", name: "api" },
      releaseId: `rel-${n++}`,
      sourceSha: "abc",
      artifactDigest: "sha256:one",
      items,
      redactions: 0,
      now: NOW,
      ...overrides
    })

    describe("evidence", () => {
      it("creates, keeps unchanged content, versions changed content; the newest is latest", async () => {
        const first = batch([item("smoke", "h1"), item("unit", "u1")])
        const created = await run(stores.evidence.ingest(first))
        expect(created.result.items.map((i) => [i.type, i.outcome, i.version])).toEqual([["smoke", "created", 1], ["unit", "created", 1]])
        const same = await run(stores.evidence.ingest({ ...first, now: later(1000) }))
        expect(same.result.items.map((i) => i.outcome)).toEqual(["unchanged", "unchanged"])
        expect(same.result.items.map((i) => i.id)).toEqual(created.result.items.map((i) => i.id))
        const changed = await run(stores.evidence.ingest({ ...first, items: [item("smoke", "h2", { status: "failed" })], now: later(2000) }))
        expect(changed.result.items[0]).toMatchObject({ outcome: "updated", version: 2 })
        const latest = await database.db.selectFrom("evidence").select(["version", "is_latest"]).where("external_id", "=", first.externalId)
          .where("type", "=", "smoke").orderBy("version").execute()
        expect(latest).toEqual([{ version: 1, is_latest: 0 }, { version: 2, is_latest: 1 }])
      })

      it("a batch that changes something moves the passport's updated time; every batch is recorded on its connector", async () => {
        const source = "touch-ci"
        const first = batch([item("smoke", "t1")], { source })
        const created = await run(stores.evidence.ingest(first))
        const passport = () => run(stores.passports.find({ workspaceId, id: created.result.passportId }))
        const connector = async () => (await run(stores.connectors.connectors(workspaceId))).find((c) => c.source === source)
        expect((await passport())?.updatedAt).toBe(NOW.toISOString())
        // Nothing changed: the passport stays, the connector still hears from its source.
        await run(stores.evidence.ingest({ ...first, now: later(1000) }))
        expect((await passport())?.updatedAt).toBe(NOW.toISOString())
        expect(await connector()).toMatchObject({
          lastSeenAt: later(1000).toISOString(),
          lastBatch: { at: later(1000).toISOString(), outcome: "accepted", detail: expect.stringContaining("unchanged") }
        })
        // A new version: both move (one statement on PostgreSQL, two on SQLite).
        await run(stores.evidence.ingest({ ...first, items: [item("smoke", "t2")], now: later(2000) }))
        expect((await passport())?.updatedAt).toBe(later(2000).toISOString())
        expect(await connector()).toMatchObject({
          lastSeenAt: later(2000).toISOString(),
          lastBatch: { at: later(2000).toISOString(), outcome: "accepted", detail: expect.stringContaining("updated") }
        })
        // An older batch arriving late never moves the passport back.
        await run(stores.evidence.ingest({ ...first, items: [item("smoke", "t3")], now: later(1500) }))
        expect((await passport())?.updatedAt).toBe(later(2000).toISOString())
      })

      it("a batch waits for a transaction holding its run's lock, then stores", async () => {
        const b = batch([item("smoke", "l1")], { source: "lock-ci" })
        // The key EvidenceStoreSql takes for a run (source + externalId); on SQLite any open write
        // transaction already holds the one writer's turn.
        const key = `evidence\n${workspaceId}\n${b.source}\n${b.externalId}`
        let release!: () => void
        const released = new Promise<void>((resolve) => (release = resolve))
        let holding!: () => void
        const held = new Promise<void>((resolve) => (holding = resolve))
        const holder = database.db.transaction().execute(async (trx) => {
          await database.traits.lockForTransaction(trx, key)
          holding()
          await released
        })
        await held
        let stored = false
        const ingesting = run(stores.evidence.ingest(b)).then((answer) => {
          stored = true
          return answer
        })
        await new Promise((resolve) => setTimeout(resolve, 300))
        expect(stored).toBe(false)
        release()
        await holder
        expect((await ingesting).result.items.map((i) => i.outcome)).toEqual(["created"])
      })

      it("concurrent ingests of the same new item store it once", async () => {
        const sent = batch([item("smoke", "race")])
        const results = await Promise.all(Array.from({ length: 20 }, () => run(stores.evidence.ingest(sent))))
        expect(new Set(results.map((r) => r.result.items[0]!.id)).size).toBe(1)
        expect(results.filter((r) => r.result.items[0]!.outcome === "created")).toHaveLength(1)
      })

      it("concurrent different contents for one item become consecutive versions, none lost", async () => {
        const base = batch([])
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
          run(stores.evidence.ingest({ ...base, items: [item("smoke", `content-${i}`)] }))))
        expect(results.map((r) => r.result.items[0]!.version).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
        const latest = await database.db.selectFrom("evidence").select("version").where("external_id", "=", base.externalId)
          .where("is_latest", "=", 1).execute()
        expect(latest).toEqual([{ version: 8 }])
      })

      it("concurrent batches naming the same items in opposite orders all succeed, answered in their own order", async () => {
        // PostgreSQL aborted one of two such batches as a deadlock when each locked the items
        // in its own order (found by test/replicas-load.test.ts).
        const base = batch([])
        const types = ["a", "b", "c", "d", "e", "f"]
        const orderOf = (i: number) => (i % 2 === 0 ? types : [...types].reverse())
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
          run(stores.evidence.ingest({ ...base, items: orderOf(i).map((type) => item(type, `${type}-${i}`)) }))))
        for (const [i, result] of results.entries()) expect(result.result.items.map((x) => x.type)).toEqual(orderOf(i))
        const rows = await database.db.selectFrom("evidence").select(["type", "version", "is_latest"])
          .where("external_id", "=", base.externalId).execute()
        for (const type of types) {
          const versions = rows.filter((row) => row.type === type)
          expect(versions.map((row) => row.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
          expect(versions.filter((row) => row.is_latest === 1).map((row) => row.version)).toEqual([12])
        }
      })

      it("concurrent batches over overlapping subsets of one run's items, with changing contents, all succeed", async () => {
        // A batch that inserted some versions and then retried one a concurrent batch had taken
        // could wait on that batch while it waited on ours (PostgreSQL deadlocks, found by the
        // replica load test). Deterministic "random" subsets, so a failure reproduces.
        const base = batch([])
        const types = ["a", "b", "c", "d", "e", "f"]
        let seed = 7
        const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
        const batches = Array.from({ length: 24 }, (_, i) => {
          const subset = types.filter(() => next() < 0.6)
          return { ...base, items: (subset.length > 0 ? subset : ["a"]).map((type) => item(type, `${type}-${i}-${Math.floor(next() * 3)}`)) }
        })
        const results = await Promise.all(batches.map((b) => run(stores.evidence.ingest(b))))
        expect(results).toHaveLength(24)
        const rows = await database.db.selectFrom("evidence").select(["type", "version", "is_latest"])
          .where("external_id", "=", base.externalId).execute()
        for (const type of types) {
          const versions = rows.filter((row) => row.type === type).map((row) => row.version).sort((a, b) => a - b)
          expect(versions).toEqual(versions.map((_, i) => i + 1))
          expect(rows.filter((row) => row.type === type && row.is_latest === 1)).toHaveLength(versions.length > 0 ? 1 : 0)
        }
      })

      it("an idempotency key replays the first answer, refuses another body, and writes nothing on replay", async () => {
        const sent = batch([item("smoke", "k1")], { idempotency: { key: "key-1", requestHash: "hash-a", route: "evidence/ingest", windowMs: 86_400_000 } })
        const first = await run(stores.evidence.ingest(sent))
        expect(first.replayed).toBe(false)
        const before = await rowCounts(database)
        const again = await run(stores.evidence.ingest({ ...sent, items: [item("smoke", "other")] }))
        expect(again).toEqual({ result: first.result, replayed: true })
        const reused = await run(Effect.flip(stores.evidence.ingest({ ...sent, idempotency: { key: "key-1", requestHash: "hash-b", route: "evidence/ingest", windowMs: 86_400_000 } })))
        expect(reused._tag).toBe("IdempotencyKeyReused")
        expect(await rowCounts(database)).toEqual(before)
      })

      it("flags a mismatching digest without touching the passport, and refuses an identity of another release", async () => {
        const first = batch([item("smoke", "m1")])
        await run(stores.evidence.ingest(first))
        const other = await run(stores.evidence.ingest({ ...first, artifactDigest: "sha256:two", items: [item("lint", "l1")] }))
        expect(other.result.items[0]).toMatchObject({ digestMismatch: true, sourceShaMismatch: false })
        const passport = await run(stores.passports.find({ workspaceId, id: other.result.passportId }))
        expect(passport?.artifactDigest).toBe("sha256:one")
        const conflict = await run(Effect.flip(stores.evidence.ingest({ ...first, releaseId: "someone-else" })))
        expect(conflict._tag).toBe("EvidenceIdentityConflict")
      })

      it("the gate sees the newest version of each item", async () => {
        const sent = batch([item("smoke", "g1", { status: "failed" })])
        await run(stores.evidence.ingest(sent))
        await run(stores.evidence.ingest({ ...sent, items: [item("smoke", "g2", { status: "passed" })] }))
        const facts = await run(stores.passports.gateFacts({
          workspaceId,
          service: sent.service,
          releaseId: sent.releaseId,
          artifactDigest: sent.artifactDigest,
          sourceSha: sent.sourceSha,
          now: NOW
        }))
        const seen = facts.evidence
        expect(seen.map((e) => e.status)).toEqual(["passed"])
      })
    })

    describe("passport reads", () => {
      it("pages newest first with a keyset cursor, without repeats or gaps, filtered", async () => {
        for (let i = 0; i < 7; i++) {
          await run(stores.evidence.ingest(batch([item("smoke", `p${i}`)], {
            service: { namespace: "paged", name: i % 2 === 0 ? "even" : "odd" },
            now: later(10_000 + i)
          })))
        }
        const seen: Array<string> = []
        let after: { updatedAt: string; id: string } | undefined
        for (let page = 0; page < 10; page++) {
          const result = await run(stores.passports.list({ workspaceId, namespace: "paged", limit: 3, ...(after ? { after } : {}) }))
          seen.push(...result.items.map((i) => i.passport.id))
          after = result.next
          if (after === undefined) break
        }
        expect(seen).toHaveLength(7)
        expect(new Set(seen).size).toBe(7)
        const evens = await run(stores.passports.list({ workspaceId, namespace: "paged", service: "even", limit: 50 }))
        expect(evens.items).toHaveLength(4)
        expect(evens.next).toBeUndefined()
      })

      it("the detail holds every evidence version newest first, and counts", async () => {
        const sent = batch([item("smoke", "d1")])
        await run(stores.evidence.ingest(sent))
        const updated = await run(stores.evidence.ingest({ ...sent, items: [item("smoke", "d2")], now: later(5) }))
        const detail = await run(stores.passports.findDetail({ workspaceId, id: updated.result.passportId, limits: { evaluations: 10, evidence: 10 } }))
        expect(detail?.evidence.map((e) => [e.version, e.latest])).toEqual([[2, true], [1, false]])
        expect(detail?.evidenceTotal).toBe(2)
        expect(await run(stores.passports.findDetail({ workspaceId: "ws_other", id: updated.result.passportId, limits: { evaluations: 1, evidence: 1 } })))
          .toBeUndefined()
      })
    })

    describe("comments", () => {
      it("adds with the author's name, lists oldest first, and hides deleted ones", async () => {
        const { result } = await run(stores.evidence.ingest(batch([item("smoke", "c1")])))
        const passportId = result.passportId
        const first = await run(stores.comments.add({ workspaceId, passportId, authorId: userId, body: "one", now: NOW }))
        const second = await run(stores.comments.add({ workspaceId, passportId, authorId: userId, body: "two", now: later(1) }))
        expect(first.author.displayName).toBe("Commenter")
        expect((await run(stores.comments.list({ workspaceId, passportId }))).map((c) => c.body)).toEqual(["one", "two"])
        expect(await run(stores.comments.remove({ workspaceId, passportId, id: first.id, now: later(2) }))).toBe(true)
        expect(await run(stores.comments.remove({ workspaceId, passportId, id: first.id, now: later(3) }))).toBe(false)
        expect((await run(stores.comments.list({ workspaceId, passportId }))).map((c) => c.id)).toEqual([second.id])
        expect(await run(stores.comments.find({ workspaceId: "ws_other", passportId, id: second.id }))).toBeUndefined()
      })
    })

    describe("connectors", () => {
      it("records accepted batches and refusals, counts the last 24 hours, and keeps declarations", async () => {
        await run(stores.connectors.declare({ workspaceId, source: "scanner", displayName: "Scanner", expectedIntervalSeconds: 60, environments: ["production", "production"], now: NOW }))
        await run(stores.evidence.ingest(batch([item("scan", "s1"), item("sbom", "s2")], { source: "scanner", now: later(1000) })))
        await run(stores.connectors.recordRejection({ workspaceId, source: "scanner", code: "request.invalid", now: later(2000) }))
        const listed = await run(stores.connectors.list({ workspaceId, now: later(3000) }))
        const scanner = listed.find((a) => a.connector.source === "scanner")!
        expect(scanner).toMatchObject({ itemsLast24h: 2, rejectedLast24h: 1, rejectedTotal: 1 })
        expect(scanner.connector).toMatchObject({
          declared: true,
          displayName: "Scanner",
          expectedIntervalSeconds: 60,
          environments: ["production"],
          lastSeenAt: later(1000).toISOString(),
          lastBatch: { outcome: "rejected", detail: "request.invalid", at: later(2000).toISOString() }
        })
        const dayLater = await run(stores.connectors.list({ workspaceId, now: later(2000 + 86_400_001) }))
        expect(dayLater.find((a) => a.connector.source === "scanner")).toMatchObject({ itemsLast24h: 0, rejectedLast24h: 0, rejectedTotal: 1 })
      })
    })
  })
}
