import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SqlDatabase, Stores, Tables } from "../src/index.ts"
import { adapterChoices, closeMigratedStores, openMigratedStores } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

/**
 * Conformance of the policy bundle store (bundles per workspace, the active and candidate
 * pointers, the history of every change), run against every adapter.
 */
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const NOW = new Date("2026-12-01T12:00:00.000Z")
const later = (ms: number) => new Date(NOW.getTime() + ms)

// Every byte value, so a dialect that mangled binary (text encoding, escaping) would show.
const bytesOf = (seed: number) => Uint8Array.from({ length: 1024 }, (_, i) => (i * 7 + seed) % 256)

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`policy bundle store on ${choice.adapter}`, () => {
    let testDb: TestDatabase
    let database: SqlDatabase<Tables>
    let stores: Stores
    let a: string
    let b: string

    beforeAll(async () => {
      ;({ testDb, database, stores } = await openMigratedStores(choice))
      a = (await run(stores.workspaces.create({ slug: "policy-a", name: "A", now: NOW }))).id
      b = (await run(stores.workspaces.create({ slug: "policy-b", name: "B", now: NOW }))).id
    })
    afterAll(() => closeMigratedStores({ testDb, database }))

    const save = (workspaceId: string, n: number, now: Date) =>
      run(stores.policyBundles.save({
        workspaceId,
        digest: `sha256:${String(n).padStart(64, "0")}`,
        revision: `rev-${n}`,
        bytes: bytesOf(n),
        uploadedBy: "user:usr_1",
        now
      }))

    it("a workspace without bundles has no pointers, no bundles, no history", async () => {
      expect(await run(stores.policyBundles.pointers(a))).toEqual({ workspaceId: a, activeDigest: undefined, candidateDigest: undefined })
      expect(await run(stores.policyBundles.list(a))).toEqual([])
      expect(await run(stores.policyBundles.history({ workspaceId: a, limit: 10 }))).toEqual([])
      expect(await run(stores.policyBundles.allPointers)).toEqual([])
    })

    it("keeps the bytes exactly; the same digest again keeps the first upload", async () => {
      const first = await save(a, 1, NOW)
      expect(first).toEqual({
        created: true,
        bundle: {
          workspaceId: a,
          digest: `sha256:${"0".repeat(63)}1`,
          revision: "rev-1",
          sizeBytes: 1024,
          uploadedBy: "user:usr_1",
          uploadedAt: NOW.toISOString()
        }
      })
      const again = await save(a, 1, later(1000))
      expect(again).toEqual({ created: false, bundle: first.bundle })
      const bytes = await run(stores.policyBundles.bytes({ workspaceId: a, digest: first.bundle.digest }))
      expect(bytes).toBeInstanceOf(Uint8Array)
      expect(Array.from(bytes!)).toEqual(Array.from(bytesOf(1)))
    })

    it("another workspace sees neither the bundle nor its bytes, and cannot point at it", async () => {
      const digest = `sha256:${"0".repeat(63)}1`
      expect(await run(stores.policyBundles.list(b))).toEqual([])
      expect(await run(stores.policyBundles.bytes({ workspaceId: b, digest }))).toBeUndefined()
      expect(await run(stores.policyBundles.point({ workspaceId: b, kind: "active", digest, changedBy: "user:x", now: NOW })))
        .toEqual({ _tag: "Missing" })
      expect(await run(stores.policyBundles.pointers(b))).toEqual({ workspaceId: b, activeDigest: undefined, candidateDigest: undefined })
    })

    it("moves the pointers, records each change with who, when, from and to, newest first", async () => {
      const one = `sha256:${"0".repeat(63)}1`
      const two = (await save(a, 2, later(2000))).bundle.digest
      expect((await run(stores.policyBundles.list(a))).map((bundle) => bundle.digest)).toEqual([two, one])

      const activated = await run(stores.policyBundles.point({ workspaceId: a, kind: "active", digest: one, changedBy: "user:usr_1", now: later(3000) }))
      expect(activated).toEqual({
        _tag: "Changed",
        change: { kind: "active", fromDigest: null, toDigest: one, changedBy: "user:usr_1", changedAt: later(3000).toISOString() }
      })
      expect(await run(stores.policyBundles.point({ workspaceId: a, kind: "active", digest: one, changedBy: "user:usr_1", now: later(3500) })))
        .toEqual({ _tag: "Unchanged" })
      await run(stores.policyBundles.point({ workspaceId: a, kind: "candidate", digest: two, changedBy: "token:tok_9", now: later(4000) }))
      await run(stores.policyBundles.point({ workspaceId: a, kind: "active", digest: two, changedBy: "token:tok_9", now: later(5000) }))
      expect(await run(stores.policyBundles.pointers(a))).toEqual({ workspaceId: a, activeDigest: two, candidateDigest: two })
      expect(await run(stores.policyBundles.allPointers)).toEqual([{ workspaceId: a, activeDigest: two, candidateDigest: two }])

      const history = await run(stores.policyBundles.history({ workspaceId: a, limit: 10 }))
      expect(history).toEqual([
        { kind: "active", fromDigest: one, toDigest: two, changedBy: "token:tok_9", changedAt: later(5000).toISOString() },
        { kind: "candidate", fromDigest: null, toDigest: two, changedBy: "token:tok_9", changedAt: later(4000).toISOString() },
        activated._tag === "Changed" ? activated.change : undefined
      ])
      expect(await run(stores.policyBundles.history({ workspaceId: a, limit: 1 }))).toEqual([history[0]])

      // Back to none: the candidate pointer cleared, recorded like any change.
      await run(stores.policyBundles.point({ workspaceId: a, kind: "candidate", digest: null, changedBy: "user:usr_1", now: later(6000) }))
      expect(await run(stores.policyBundles.pointers(a))).toEqual({ workspaceId: a, activeDigest: two, candidateDigest: undefined })
      expect((await run(stores.policyBundles.history({ workspaceId: a, limit: 1 })))[0])
        .toMatchObject({ kind: "candidate", fromDigest: two, toDigest: null })
    })

    it("finds a passport's newest evaluation that kept its input, in its own workspace only", async () => {
      const identity = { workspaceId: a, service: { namespace: "apps", name: "replayed" }, releaseId: "r-1", artifactDigest: "sha256:aa", sourceSha: "abc" }
      const record = (i: number, policyInput: unknown) =>
        run(Effect.gen(function*() {
          const now = later(10_000 + i * 1000)
          for (;;) {
            const facts = yield* stores.passports.gateFacts({ ...identity, now })
            const result = yield* stores.passports.recordGateEvaluation({
              identity: { ...identity, now },
              decidedOn: facts,
              environment: "staging",
              verdict: {
                mode: "enforce",
                verdict: i === 1 ? "fail" : "pass",
                allowed: i !== 1,
                wouldBlock: i === 1,
                blockers: i === 1 ? [{ code: "smoke.missing", policy: "gate/smoke", message: "no smoke" }] : [],
                warnings: [],
                policy: { revision: `rev-${i}`, bundleDigest: "sha256:bb", entrypoint: "releasepassport/gate/decision" },
                evaluatedAt: now.toISOString(),
                durationMs: 1
              },
              request: {},
              tokenId: null,
              evidenceIds: [],
              ...(policyInput === undefined ? {} : { policyInput: policyInput as never }),
              now
            })
            if (result._tag === "Recorded") return result
          }
        }))
      const first = await record(0, { request: { mode: "enforce" }, now: "first", nested: { n: 0 } })
      const passportId = first.passport.id
      expect(await run(stores.policyBundles.latestReplayable({ workspaceId: a, passportId }))).toMatchObject({
        evaluationId: first.evaluation.id,
        policyInput: { request: { mode: "enforce" }, now: "first", nested: { n: 0 } }
      })
      const second = await record(1, { request: { mode: "enforce" }, now: "second" })
      // A newer evaluation without an input (recorded before inputs were kept) is passed over.
      await record(2, undefined)
      expect(await run(stores.policyBundles.latestReplayable({ workspaceId: a, passportId }))).toEqual({
        evaluationId: second.evaluation.id,
        passportId,
        environment: "staging",
        evaluatedAt: later(11_000).toISOString(),
        verdict: "fail",
        blockers: [{ code: "smoke.missing", policy: "gate/smoke", message: "no smoke" }],
        revision: "rev-1",
        policyInput: { request: { mode: "enforce" }, now: "second" }
      })
      expect(await run(stores.policyBundles.latestReplayable({ workspaceId: b, passportId }))).toBeUndefined()

      // The same window page by page: counted without the one that kept no input, read from an offset.
      const window = { workspaceId: a, since: later(10_000), until: later(20_000) }
      expect(await run(stores.policyBundles.countReplayable(window))).toBe(2)
      expect(await run(stores.policyBundles.countReplayable({ ...window, environment: "production" }))).toBe(0)
      expect(await run(stores.policyBundles.countReplayable({ ...window, workspaceId: b }))).toBe(0)
      const page = (offset: number) => run(stores.policyBundles.replayableEvaluations({ ...window, limit: 1, offset }))
      expect((await page(0)).map((e) => e.evaluationId)).toEqual([first.evaluation.id])
      expect((await page(1)).map((e) => e.evaluationId)).toEqual([second.evaluation.id])
      expect(await page(2)).toEqual([])
      expect(await run(stores.policyBundles.latestReplayable({ workspaceId: a, passportId: "pp_none" }))).toBeUndefined()
    })

    it("switches made at once each record the digest they replaced (no lost change)", async () => {
      const digests = await Promise.all([10, 11, 12, 13].map(async (n) => (await save(b, n, NOW)).bundle.digest))
      await Promise.all(digests.map((digest, i) =>
        run(stores.policyBundles.point({ workspaceId: b, kind: "active", digest, changedBy: `user:${i}`, now: later(i) }))
      ))
      const history = await run(stores.policyBundles.history({ workspaceId: b, limit: 10 }))
      expect(history).toHaveLength(4)
      // The changes form one chain from none to the digest now active, whatever order they ran in.
      const froms = new Set(history.map((change) => change.fromDigest))
      const tos = new Set(history.map((change) => change.toDigest))
      expect(froms.has(null)).toBe(true)
      const active = (await run(stores.policyBundles.pointers(b))).activeDigest
      expect([...tos].filter((digest) => !froms.has(digest))).toEqual([active])
    })
  })
}
