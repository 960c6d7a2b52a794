import { StoreUnavailable } from "@releasepassport/core"
import type { Stores } from "../src/index.ts"
import type { CandidateOutcome, GateFacts, IdempotencyClaim, Verdict } from "@releasepassport/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeStores, migrateToLatest, openDatabase } from "../src/index.ts"
import type { SqlDatabase, Tables } from "../src/index.ts"
import { adapterChoices, closeMigratedStores, openMigratedStores, rowCounts } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

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

    /** What the gate use case does, step by step: read the facts, decide (here: the test), record. */
    const record = (releaseId: string, overrides: {
      readonly workspaceId?: string
      readonly artifactDigest?: string
      readonly sourceSha?: string
      readonly environment?: string
      readonly now?: Date
      readonly decide?: (facts: GateFacts) => Verdict
      readonly idempotency?: IdempotencyClaim
      readonly candidate?: CandidateOutcome
    } = {}) =>
      Effect.gen(function*() {
        const now = overrides.now ?? NOW
        const identity = {
          workspaceId: overrides.workspaceId ?? workspaceId,
          service: { namespace: "apps", name: "checkout" },
          releaseId,
          artifactDigest: overrides.artifactDigest ?? "sha256:first",
          sourceSha: overrides.sourceSha ?? "abc",
          now
        }
        for (;;) {
          const facts = yield* stores.passports.gateFacts(identity)
          const recorded = yield* stores.passports.recordGateEvaluation({
            identity,
            decidedOn: facts,
            environment: overrides.environment ?? "production",
            verdict: overrides.decide?.(facts) ?? verdict(),
            request: { any: "thing" },
            tokenId: null,
            evidenceIds: facts.evidence.map((item) => item.id),
            ...(overrides.idempotency !== undefined ? { idempotency: overrides.idempotency } : {}),
            ...(overrides.candidate !== undefined ? { candidate: overrides.candidate } : {}),
            now
          })
          if (recorded._tag === "Recorded") return recorded
        }
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
      it("the gate's facts: the passport as stored and the newest version of each item, sorted, of that release only", async () => {
        const service = { namespace: "apps", name: "facts" }
        const ingest = (releaseId: string, externalId: string, items: ReadonlyArray<{ type: string; status?: "passed" | "failed"; hash: string }>, at: number) =>
          run(stores.evidence.ingest({
            workspaceId,
            tokenId: null,
            source: externalId.startsWith("b") ? "b-ci" : "a-ci",
            externalId,
            service,
            releaseId,
            sourceSha: "sha-stored",
            artifactDigest: "sha256:stored",
            items: items.map(({ type, status, hash }) => ({
              type,
              status: status ?? "passed",
              summary: `${type} ${status ?? "passed"}`,
              url: "https://ci.example.com/run/1",
              details: { n: 1 },
              private: false,
              observedAt: later(at - 1000).toISOString(),
              contentHash: hash,
              redactions: 0
            })),
            redactions: 0,
            now: later(at)
          }))
        await ingest("rel-facts", "a-run", [{ type: "unit", hash: "u1" }, { type: "smoke", status: "failed", hash: "s1" }], 1000)
        await ingest("rel-facts", "a-run", [{ type: "smoke", hash: "s2" }], 2000) // a newer version of smoke
        await ingest("rel-facts", "b-run", [{ type: "smoke", hash: "b1" }], 3000) // same type, another source
        await ingest("rel-other", "a-run-other", [{ type: "lint", hash: "l1" }], 3000) // another release of the service
        const facts = await run(stores.passports.gateFacts({
          workspaceId,
          service,
          releaseId: "rel-facts",
          artifactDigest: "sha256:asked", // the request's digest and sha: the passport keeps its own
          sourceSha: "sha-asked",
          now: later(5000)
        }))
        expect(facts.exists).toBe(true)
        expect(facts.passport).toEqual({
          id: expect.stringMatching(/^pp_/),
          releaseId: "rel-facts",
          artifactDigest: "sha256:stored",
          sourceSha: "sha-stored",
          service
        })
        expect(facts.evidence.map((e) => [e.type, e.source, e.status])).toEqual([
          ["smoke", "a-ci", "passed"],
          ["smoke", "b-ci", "passed"],
          ["unit", "a-ci", "passed"]
        ])
        expect(facts.evidence[0]).toEqual({
          id: expect.stringMatching(/^evd_/),
          source: "a-ci",
          type: "smoke",
          status: "passed",
          summary: "smoke passed",
          artifactDigest: "sha256:stored",
          sourceSha: "sha-stored",
          observedAt: later(1000).toISOString(),
          receivedAt: later(2000).toISOString()
        })

        // A passport without evidence (created by a verdict): known, with no items.
        await run(record("rel-facts-bare"))
        const bare = await run(stores.passports.gateFacts({
          workspaceId,
          service: { namespace: "apps", name: "checkout" },
          releaseId: "rel-facts-bare",
          artifactDigest: "sha256:first",
          sourceSha: "abc",
          now: later(5000)
        }))
        expect(bare).toMatchObject({ exists: true, evidence: [], passport: { releaseId: "rel-facts-bare", artifactDigest: "sha256:first" } })

        // A release never seen: the passport it would get, named by the request.
        const unseen = await run(stores.passports.gateFacts({
          workspaceId,
          service,
          releaseId: "rel-facts-never",
          artifactDigest: "sha256:asked",
          sourceSha: "sha-asked",
          now: later(5000)
        }))
        expect(unseen).toMatchObject({
          exists: false,
          evidence: [],
          passport: { releaseId: "rel-facts-never", artifactDigest: "sha256:asked", sourceSha: "sha-asked", service }
        })

        // The workspace's connectors come with every answer, exactly as ConnectorStore reads them
        // (read in the same statement): sorted by source, every field, timestamps as ISO text.
        await run(stores.connectors.declare({
          workspaceId, source: "0-declared", displayName: "Declared \"first\"", expectedIntervalSeconds: 90,
          environments: ["staging", "production"], now: later(4000)
        }))
        await run(stores.connectors.recordRejection({ workspaceId, source: "b-ci", code: "request.invalid", now: later(4500) }))
        const connectors = await run(stores.connectors.connectors(workspaceId))
        expect(connectors.map((c) => c.source)).toEqual(expect.arrayContaining(["0-declared", "a-ci", "b-ci"]))
        expect(connectors.find((c) => c.source === "b-ci")).toMatchObject({
          lastSeenAt: later(3000).toISOString(), lastBatch: { at: later(4500).toISOString(), outcome: "rejected", detail: "request.invalid" }
        })
        for (const releaseId of ["rel-facts", "rel-facts-bare", "rel-facts-never"]) {
          const answer = await run(stores.passports.gateFacts({
            workspaceId, service, releaseId, artifactDigest: "sha256:asked", sourceSha: "sha-asked", now: later(5000)
          }))
          expect(answer.connectors).toEqual(connectors)
        }
        const elsewhere = (await run(stores.workspaces.create({ slug: "facts-no-connectors", name: "None", now: NOW }))).id
        const none = await run(stores.passports.gateFacts({
          workspaceId: elsewhere, service, releaseId: "rel-facts", artifactDigest: "sha256:asked", sourceSha: "sha-asked", now: later(5000)
        }))
        expect(none).toMatchObject({ exists: false, evidence: [], connectors: [] })
      })

      it("prunes old evaluations in batches, never the one a stamp points at", async () => {
        const old = new Date(NOW.getTime() - 500 * 86_400_000)
        const at = (i: number) => new Date(old.getTime() + i * 1000)
        // Three old verdicts for one environment, one old for another; the last of each is a stamp.
        const recorded = []
        for (let i = 0; i < 3; i++) recorded.push(await run(record("rel-prune", { now: at(i), decide: () => verdict({ evaluatedAt: at(i).toISOString() }) })))
        const staging = await run(record("rel-prune", { environment: "staging", now: at(3), decide: () => verdict({ evaluatedAt: at(3).toISOString() }) }))
        const before = new Date(old.getTime() + 86_400_000)
        expect(await run(stores.passports.pruneEvaluations({ before, limit: 1 }))).toBe(1)
        expect(await run(stores.passports.pruneEvaluations({ before, limit: 10 }))).toBe(1)
        expect(await run(stores.passports.pruneEvaluations({ before, limit: 10 }))).toBe(0)
        const left = await database.db.selectFrom("gate_evaluations").select("id").where("passport_id", "=", staging.passport.id).execute()
        expect(left.map((r) => r.id).sort()).toEqual([recorded[2]!.evaluation.id, staging.evaluation.id].sort())
        // The passport still reads, with its latest verdicts.
        const detail = await run(stores.passports.findDetail({ workspaceId, id: staging.passport.id, limits: { evaluations: 10, evidence: 10 } }))
        expect(detail?.stamps.map((s) => s.environment).sort()).toEqual(["production", "staging"])
      })

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
          decide: (facts) => {
            seen.push(facts)
            return verdict({ evaluatedAt: later(1000).toISOString() })
          }
        }))
        expect(second.passport.id).toBe(first.passport.id)
        expect(second.passport.artifactDigest).toBe("sha256:first")
        expect(seen).toMatchObject([{
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
        await run(record("rel-2", { decide: () => (verdict({ verdict: "fail", blockers: [{ code: "x.y", policy: "gate", message: "m" }] })) }))
        await run(record("rel-2", {
          now: later(2000),
          decide: () => (verdict({ evaluatedAt: later(2000).toISOString() }))
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
        await run(record("rel-3", { now: later(5000), decide: () => (verdict({ evaluatedAt: later(5000).toISOString() })) }))
        await run(record("rel-3", { decide: () => (verdict({ verdict: "fail", evaluatedAt: NOW.toISOString() })) }))
        const stamp = await database.db.selectFrom("passport_stamps").innerJoin("passports", "passports.id", "passport_stamps.passport_id")
          .where("passports.release_id", "=", "rel-3").select(["passport_stamps.verdict"]).executeTakeFirstOrThrow()
        expect(stamp.verdict).toBe("pass")
      })

      it("reading the facts of a known release writes nothing; a record that fails writes nothing either", async () => {
        await run(record("rel-rollback"))
        const before = await rowCounts(database)
        await run(stores.passports.gateFacts({
          workspaceId,
          service: { namespace: "apps", name: "checkout" },
          releaseId: "rel-rollback",
          artifactDigest: "sha256:first",
          sourceSha: "abc",
          now: later(10)
        }))
        expect(await rowCounts(database)).toEqual(before)
        const defect = await run(Effect.exit(stores.passports.recordGateEvaluation({
          identity: {
            workspaceId,
            service: { namespace: "apps", name: "checkout" },
            releaseId: "rel-rollback",
            artifactDigest: "sha256:first",
            sourceSha: "abc",
            now: later(20)
          },
          decidedOn: {
            exists: true,
            passport: { id: "pp_nobody", releaseId: "rel-rollback", artifactDigest: "sha256:first", sourceSha: "abc", service: { namespace: "apps", name: "checkout" } }
          },
          environment: "production",
          verdict: verdict(),
          request: {},
          tokenId: null,
          evidenceIds: [],
          now: later(20)
        })))
        expect(defect._tag).toBe("Failure")
        expect(await rowCounts(database)).toEqual(before)
      })

      it("a new release's facts write nothing; of two decided on them, the second record is Stale and writes nothing", async () => {
        const identity = {
          workspaceId,
          service: { namespace: "apps", name: "checkout" },
          releaseId: "rel-stale",
          artifactDigest: "sha256:first",
          sourceSha: "abc",
          now: later(30)
        }
        const before = await rowCounts(database)
        const [a, b] = await Promise.all([run(stores.passports.gateFacts(identity)), run(stores.passports.gateFacts(identity))])
        expect(a.exists).toBe(false)
        expect(await rowCounts(database)).toEqual(before)
        const write = (facts: GateFacts) =>
          run(stores.passports.recordGateEvaluation({
            identity,
            decidedOn: facts,
            environment: "production",
            verdict: verdict(),
            request: {},
            tokenId: null,
            evidenceIds: [],
            now: later(31)
          }))
        const first = await write(a)
        expect(first._tag).toBe("Recorded")
        const afterFirst = await rowCounts(database)
        expect(await write(b)).toEqual({ _tag: "Stale" })
        expect(await rowCounts(database)).toEqual(afterFirst)
        const again = await run(stores.passports.gateFacts(identity))
        expect(again.exists).toBe(true)
        expect(first._tag === "Recorded" && again.passport.id).toBe(first._tag === "Recorded" ? first.passport.id : "")
      })

      it("records which evidence versions the verdict saw; evidence written between reading and recording stays visible", async () => {
        const identity = {
          workspaceId,
          service: { namespace: "apps", name: "checkout" },
          releaseId: "rel-interleaved",
          artifactDigest: "sha256:first",
          sourceSha: "abc"
        }
        const ingest = (type: string, now: Date) =>
          stores.evidence.ingest({
            workspaceId,
            tokenId: null,
            source: "ci",
            externalId: "run-interleaved",
            service: identity.service,
            releaseId: identity.releaseId,
            sourceSha: identity.sourceSha,
            artifactDigest: identity.artifactDigest,
            items: [{
              type,
              status: "passed",
              summary: type,
              url: null,
              details: undefined,
              private: false,
              observedAt: undefined,
              contentHash: `hash-${type}`,
              redactions: 0
            }],
            redactions: 0,
            now
          })
        const seenBefore = await run(ingest("smoke", later(1)))
        const facts = await run(stores.passports.gateFacts({ ...identity, now: later(2) }))
        expect(facts.evidence.map((e) => e.id)).toEqual([seenBefore.result.items[0]!.id])
        // Lands while the policy would be running.
        const landedBetween = await run(ingest("tests", later(3)))
        const recorded = await run(stores.passports.recordGateEvaluation({
          identity: { ...identity, now: later(4) },
          decidedOn: facts,
          environment: "production",
          verdict: verdict({ evaluatedAt: later(4).toISOString() }),
          request: {},
          tokenId: null,
          evidenceIds: facts.evidence.map((e) => e.id),
          now: later(4)
        }))
        expect(recorded._tag === "Recorded" && recorded.evaluation.evidenceIds).toEqual([seenBefore.result.items[0]!.id])
        const detail = await run(stores.passports.findDetail({
          workspaceId,
          id: facts.passport.id,
          limits: { evaluations: 10, evidence: 10 }
        }))
        expect(detail?.evaluations[0]?.evidenceIds).toEqual([seenBefore.result.items[0]!.id])
        expect(detail?.evidence.map((e) => e.id)).toContain(landedBetween.result.items[0]!.id)
        // The next evaluation sees it.
        const next = await run(stores.passports.gateFacts({ ...identity, now: later(5) }))
        expect(next.evidence.map((e) => e.id).sort()).toEqual(
          [seenBefore.result.items[0]!.id, landedBetween.result.items[0]!.id].sort()
        )
      })

      it("concurrent evaluations of one new release make exactly one passport", async () => {
        const results = await Promise.all(Array.from({ length: 25 }, (_, i) =>
          run(record("rel-race", { now: later(i), decide: () => (verdict({ evaluatedAt: later(i).toISOString() })) }))
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

    describe("gate evaluations with an Idempotency-Key", () => {
      const claim = (key: string, requestHash = "hash-a"): IdempotencyClaim => ({ key, requestHash, route: "gate/evaluate", windowMs: 86_400_000 })
      const evaluationsOf = (passportId: string) =>
        database.db.selectFrom("gate_evaluations").select("id").where("passport_id", "=", passportId).execute()
      const candidate: CandidateOutcome = { verdict: "fail", blockers: [{ code: "c.d", policy: "gate", message: "m" }], warnings: [], revision: "cand", bundleDigest: "sha256:11" }

      it("a replay answers the first record exactly and writes nothing: one evaluation", async () => {
        const first = await run(record("rel-idem-1", { idempotency: claim("gate-key-1"), candidate }))
        expect(first.replayed).toBe(false)
        const before = await rowCounts(database)
        // What the retry decided differs (a later clock, another verdict): the first answer stands.
        const again = await run(record("rel-idem-1", {
          idempotency: claim("gate-key-1"),
          now: later(60_000),
          decide: () => verdict({ verdict: "fail", allowed: false, evaluatedAt: later(60_000).toISOString() })
        }))
        const { _tag, replayed, ...answer } = again
        const { _tag: _firstTag, replayed: _firstReplayed, ...firstAnswer } = first
        expect(replayed).toBe(true)
        expect(answer).toEqual(firstAnswer)
        expect(answer.candidate).toEqual(candidate)
        expect(answer.policy).toEqual(verdict().policy)
        expect(await rowCounts(database)).toEqual(before)
        expect(await evaluationsOf(first.passport.id)).toEqual([{ id: first.evaluation.id }])
        // The read-only check answers the same, before any policy runs.
        expect(await run(stores.passports.gateReplay({ workspaceId, idempotency: claim("gate-key-1"), now: later(60_000) }))).toEqual(firstAnswer)
        expect(await run(stores.passports.gateReplay({ workspaceId, idempotency: claim("gate-key-unknown"), now: later(60_000) }))).toBeUndefined()
      })

      it("the key with another request is IdempotencyKeyReused and writes nothing", async () => {
        const first = await run(record("rel-idem-2", { idempotency: claim("gate-key-2") }))
        const before = await rowCounts(database)
        const reused = await run(Effect.flip(record("rel-idem-2", { idempotency: claim("gate-key-2", "hash-b"), now: later(1) })))
        expect(reused).toMatchObject({ _tag: "IdempotencyKeyReused", key: "gate-key-2" })
        const checked = await run(Effect.flip(stores.passports.gateReplay({ workspaceId, idempotency: claim("gate-key-2", "hash-b"), now: later(1) })))
        expect(checked._tag).toBe("IdempotencyKeyReused")
        expect(await rowCounts(database)).toEqual(before)
        expect(await evaluationsOf(first.passport.id)).toHaveLength(1)
      })

      it("keys of the evidence route never answer the gate's", async () => {
        const gate = await run(record("rel-idem-route", { idempotency: { ...claim("shared-key"), route: "evidence/ingest" } }))
        const other = await run(record("rel-idem-route", { idempotency: claim("shared-key", "hash-other"), now: later(1) }))
        expect(other.replayed).toBe(false)
        expect(other.evaluation.id).not.toBe(gate.evaluation.id)
      })

      it("concurrent identical requests for a new release record one evaluation, and all answer it", async () => {
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
          run(record("rel-idem-race", { idempotency: claim("gate-key-race"), now: later(i), decide: () => verdict({ evaluatedAt: later(i).toISOString() }) }))
        ))
        expect(new Set(results.map((r) => r.evaluation.id)).size).toBe(1)
        expect(results.filter((r) => !r.replayed)).toHaveLength(1)
        const passports = await database.db.selectFrom("passports").where("release_id", "=", "rel-idem-race").selectAll().execute()
        expect(passports).toHaveLength(1)
        expect(await evaluationsOf(passports[0]!.id)).toHaveLength(1)
      })

      it("a Stale record gives its claim back, so the retry that decides again records", async () => {
        const identity = {
          workspaceId,
          service: { namespace: "apps", name: "checkout" },
          releaseId: "rel-idem-stale",
          artifactDigest: "sha256:first",
          sourceSha: "abc",
          now: later(40)
        }
        // Two requests read the facts of the new release: each decides on a passport of its own.
        const [facts, keyed] = await Promise.all([run(stores.passports.gateFacts(identity)), run(stores.passports.gateFacts(identity))])
        const write = (decidedOn: GateFacts, idempotency?: IdempotencyClaim) =>
          run(stores.passports.recordGateEvaluation({
            identity,
            decidedOn,
            environment: "production",
            verdict: verdict(),
            request: {},
            tokenId: null,
            evidenceIds: [],
            ...(idempotency !== undefined ? { idempotency } : {}),
            now: later(41)
          }))
        // Someone without a key creates the passport after both read the facts.
        expect((await write(facts))._tag).toBe("Recorded")
        const before = await rowCounts(database)
        expect(await write(keyed, claim("gate-key-stale"))).toEqual({ _tag: "Stale" })
        expect(await rowCounts(database)).toEqual(before)
        const retried = await write(await run(stores.passports.gateFacts(identity)), claim("gate-key-stale"))
        expect(retried).toMatchObject({ _tag: "Recorded", replayed: false })
      })

      it("keys are per workspace: another workspace's same key is its own", async () => {
        const other = await run(stores.workspaces.create({ slug: "idem-ws", name: "Idem", now: NOW }))
        const mine = await run(record("rel-idem-ws", { idempotency: claim("gate-key-ws") }))
        const theirs = await run(record("rel-idem-ws", { workspaceId: other.id, idempotency: claim("gate-key-ws", "hash-b") }))
        expect(theirs.replayed).toBe(false)
        expect(theirs.passport.id).not.toBe(mine.passport.id)
        expect(await run(stores.passports.gateReplay({ workspaceId: other.id, idempotency: claim("gate-key-ws", "hash-b"), now: NOW })))
          .toMatchObject({ evaluation: { id: theirs.evaluation.id } })
        // Workspace A's key still answers A's first record.
        const again = await run(record("rel-idem-ws", { idempotency: claim("gate-key-ws") }))
        expect(again).toMatchObject({ replayed: true, evaluation: { id: mine.evaluation.id } })
      })

      it("a key is remembered for its window only: after it, the same key records again", async () => {
        const ws = await run(stores.workspaces.create({ slug: "idem-window", name: "Window", now: NOW }))
        const first = await run(record("rel-idem-window", { workspaceId: ws.id, idempotency: claim("gate-key-window") }))
        const pastWindow = later(86_400_000 + 1)
        expect(await run(stores.passports.gateReplay({ workspaceId: ws.id, idempotency: claim("gate-key-window"), now: pastWindow }))).toBeUndefined()
        const second = await run(record("rel-idem-window", {
          workspaceId: ws.id,
          idempotency: claim("gate-key-window"),
          now: pastWindow,
          decide: () => verdict({ evaluatedAt: pastWindow.toISOString() })
        }))
        expect(second.replayed).toBe(false)
        expect(second.evaluation.id).not.toBe(first.evaluation.id)
      })
    })

    describe("overview", () => {
      it("counts latest verdicts per environment, evaluations per UTC day, the newest and the failing, in one workspace", async () => {
        const ws = await run(stores.workspaces.create({ slug: "overview-ws", name: "Overview", now: NOW }))
        const other = await run(stores.workspaces.create({ slug: "overview-other", name: "Other", now: NOW }))
        const DAY = 86_400_000
        const at = (days: number, hours = 0) => new Date(Date.parse("2026-11-20T00:00:00.000Z") + days * DAY + hours * 3_600_000)
        const decide = (kind: Verdict["verdict"], mode: Verdict["mode"], when: Date) => () =>
          verdict({ verdict: kind, mode, allowed: kind !== "fail" && kind !== "error", evaluatedAt: when.toISOString() })
        // rel-a: production pass then fail (latest fail, enforce) — 23:30 and 00:30 fall on two UTC days.
        await run(record("ov-a", { workspaceId: ws.id, now: at(0, 23.5), decide: decide("pass", "enforce", at(0, 23.5)) }))
        await run(record("ov-a", { workspaceId: ws.id, now: at(1, 0.5), decide: decide("fail", "enforce", at(1, 0.5)) }))
        // rel-b: production warn, staging error under shadow.
        await run(record("ov-b", { workspaceId: ws.id, now: at(1, 2), decide: decide("warn", "shadow", at(1, 2)) }))
        await run(record("ov-b", { workspaceId: ws.id, environment: "staging", now: at(2, 1), decide: decide("error", "shadow", at(2, 1)) }))
        // Too old to count per day, but still the latest verdict of its environment.
        await run(record("ov-c", { workspaceId: ws.id, environment: "staging", now: at(-10), decide: decide("pass", "shadow", at(-10)) }))
        // Another workspace never shows.
        await run(record("ov-a", { workspaceId: other.id, now: at(1), decide: decide("fail", "enforce", at(1)) }))

        const overview = await run(stores.passports.overview({ workspaceId: ws.id, since: at(-1), limit: 2 }))
        const stamps = [...overview.stamps].sort((x, y) => `${x.environment}${x.verdict}`.localeCompare(`${y.environment}${y.verdict}`))
        expect(stamps).toEqual([
          { environment: "production", mode: "enforce", verdict: "fail", count: 1 },
          { environment: "production", mode: "shadow", verdict: "warn", count: 1 },
          { environment: "staging", mode: "shadow", verdict: "error", count: 1 },
          { environment: "staging", mode: "shadow", verdict: "pass", count: 1 }
        ])
        const days = [...overview.days].sort((x, y) => `${x.day}${x.verdict}`.localeCompare(`${y.day}${y.verdict}`))
        expect(days).toEqual([
          { day: "2026-11-20", verdict: "pass", count: 1 },
          { day: "2026-11-21", verdict: "fail", count: 1 },
          { day: "2026-11-21", verdict: "warn", count: 1 },
          { day: "2026-11-22", verdict: "error", count: 1 }
        ])
        // Newest first, bounded by the limit, each with its passport.
        expect(overview.recent.map((r) => [r.passport.releaseId, r.evaluation.verdict])).toEqual([["ov-b", "error"], ["ov-b", "warn"]])
        expect(overview.failing.map((f) => [f.passport.releaseId, f.stamp.environment, f.stamp.verdict])).toEqual([
          ["ov-b", "staging", "error"],
          ["ov-a", "production", "fail"]
        ])
        expect(overview.recent.every((r) => r.passport.workspaceId === ws.id)).toBe(true)

        const empty = await run(stores.passports.overview({ workspaceId: (await run(stores.workspaces.create({ slug: "overview-empty", name: "Empty", now: NOW }))).id, since: at(-1), limit: 5 }))
        expect(empty).toEqual({ stamps: [], days: [], recent: [], failing: [] })
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
