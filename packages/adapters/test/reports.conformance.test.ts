import type { DecisionRecord, Verdict } from "@releasepassport/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SqlDatabase, Stores, Tables } from "../src/index.ts"
import { adapterChoices, closeMigratedStores, openMigratedStores } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

/**
 * The report store on every adapter: a window of decisions, oldest first, walked in keyset
 * pages that neither skip nor repeat a row, with the passport, workspace and token joined in.
 */
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const T0 = Date.parse("2026-10-01T00:00:00.000Z")
const at = (minutes: number) => new Date(T0 + minutes * 60_000)

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`report store on ${choice.adapter}`, () => {
    let testDb: TestDatabase
    let database: SqlDatabase<Tables>
    let stores: Stores
    let workspaceId: string
    let otherId: string
    let tokenId: string
    const recorded: Array<{ id: string; passportId: string; evaluatedAt: string; service: string; environment: string; mode: string }> = []

    const record = (wsId: string, i: number, token: string | null) =>
      Effect.gen(function*() {
        const now = at(i)
        const service = { namespace: "apps", name: i % 3 === 0 ? "search" : "checkout" }
        const identity = { workspaceId: wsId, service, releaseId: `r-${i % 7}`, artifactDigest: "sha256:aa", sourceSha: "abc", now }
        const mode = i % 2 === 0 ? "shadow" as const : "enforce" as const
        const verdict: Verdict = {
          mode,
          verdict: i % 4 === 0 ? "fail" : "pass",
          allowed: mode === "shadow" || i % 4 !== 0,
          wouldBlock: i % 4 === 0,
          blockers: i % 4 === 0 ? [{ code: "smoke.missing", policy: "gate/smoke", message: "no smoke" }] : [],
          warnings: [],
          policy: { revision: "rev-1", bundleDigest: "sha256:bb", entrypoint: "releasepassport/gate/decision" },
          // Several evaluations share a timestamp, so the keyset must break ties by id.
          evaluatedAt: at(Math.floor(i / 3)).toISOString(),
          durationMs: 1
        }
        for (;;) {
          const facts = yield* stores.passports.gateFacts(identity)
          const result = yield* stores.passports.recordGateEvaluation({
            identity,
            decidedOn: facts,
            environment: i % 5 === 0 ? "production" : "staging",
            verdict,
            request: { secret: "never-in-a-report" },
            tokenId: token,
            evidenceIds: [],
            now
          })
          if (result._tag === "Recorded") return { result, service: service.name, environment: i % 5 === 0 ? "production" : "staging", mode }
        }
      })

    beforeAll(async () => {
      ;({ testDb, database, stores } = await openMigratedStores(choice))
      workspaceId = (await run(stores.workspaces.findBySlug("default")))!.id
      otherId = (await run(stores.workspaces.create({ slug: "other", name: "Other", now: at(0) }))).id
      tokenId = (await run(stores.tokens.create({
        workspaceId,
        name: "ci-pipeline",
        scopes: ["gate:evaluate"],
        digest: "f".repeat(64),
        now: at(0),
        expiresAt: at(100_000)
      }))).id
      for (let i = 0; i < 40; i++) {
        const { result, service, environment, mode } = await run(record(workspaceId, i, i % 2 === 0 ? tokenId : null))
        recorded.push({ id: result.evaluation.id, passportId: result.passport.id, evaluatedAt: result.evaluation.evaluatedAt, service, environment, mode })
      }
      await run(record(otherId, 1, null))
    })
    afterAll(() => closeMigratedStores({ testDb, database }))

    const walk = async (query: Omit<Parameters<Stores["reports"]["decisions"]>[0], "limit" | "after">, limit: number) => {
      const all: Array<DecisionRecord> = []
      let after: { evaluatedAt: string; id: string } | undefined
      for (;;) {
        const page = await run(stores.reports.decisions({ ...query, limit, ...(after ? { after } : {}) }))
        all.push(...page)
        const last = page.at(-1)
        if (page.length < limit || last === undefined) return all
        after = { evaluatedAt: last.evaluatedAt, id: last.evaluationId }
      }
    }
    const byTimeThenId = (a: { evaluatedAt: string; id: string }, b: { evaluatedAt: string; id: string }) =>
      a.evaluatedAt < b.evaluatedAt ? -1 : a.evaluatedAt > b.evaluatedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

    it("walks the window oldest first in pages, without skipping or repeating, and only this workspace's", async () => {
      const window = { workspaceId, since: at(0).toISOString(), until: at(1000).toISOString() }
      const expected = [...recorded].sort(byTimeThenId).map((r) => r.id)
      for (const limit of [1, 4, 7, 100]) expect((await walk(window, limit)).map((d) => d.evaluationId)).toEqual(expected)
    })

    it("keeps [since, until) and every filter", async () => {
      const since = at(3).toISOString()
      const until = at(8).toISOString()
      const inWindow = recorded.filter((r) => r.evaluatedAt >= since && r.evaluatedAt < until)
      expect(inWindow.length).toBeGreaterThan(0)
      expect((await walk({ workspaceId, since, until }, 5)).map((d) => d.evaluationId).sort()).toEqual(inWindow.map((r) => r.id).sort())
      const all = { workspaceId, since: at(0).toISOString(), until: at(1000).toISOString() }
      const ids = async (extra: object) => (await walk({ ...all, ...extra }, 6)).map((d) => d.evaluationId).sort()
      expect(await ids({ service: "search" })).toEqual(recorded.filter((r) => r.service === "search").map((r) => r.id).sort())
      expect(await ids({ environment: "production" })).toEqual(recorded.filter((r) => r.environment === "production").map((r) => r.id).sort())
      expect(await ids({ mode: "enforce", verdict: "fail" })).toEqual([])
      expect(await ids({ mode: "shadow", verdict: "fail" })).toHaveLength(10)
      expect(await ids({ namespace: "other" })).toEqual([])
    })

    it("carries the release, workspace slug and token (id and name), never the stored request", async () => {
      const [first] = await walk({ workspaceId, since: at(0).toISOString(), until: at(1).toISOString(), mode: "shadow" }, 10)
      expect(first).toEqual({
        evaluationId: recorded[0]!.id,
        passportId: recorded[0]!.passportId,
        workspaceSlug: "default",
        service: "search",
        namespace: "apps",
        environment: "production",
        releaseId: "r-0",
        artifactDigest: "sha256:aa",
        sourceSha: "abc",
        mode: "shadow",
        verdict: "fail",
        allowed: true,
        wouldBlock: true,
        blockers: [{ code: "smoke.missing", policy: "gate/smoke", message: "no smoke" }],
        warnings: [],
        policyRevision: "rev-1",
        bundleDigest: "sha256:bb",
        evaluatedAt: at(0).toISOString(),
        token: { id: tokenId, name: "ci-pipeline" }
      })
      const untokened = await walk({ workspaceId, since: at(0).toISOString(), until: at(1).toISOString(), mode: "enforce" }, 10)
      expect(untokened.map((d) => d.token)).toEqual([null])
      expect(JSON.stringify(await walk({ workspaceId, since: at(0).toISOString(), until: at(1000).toISOString() }, 50))).not.toContain("never-in-a-report")
    })
  })
}
