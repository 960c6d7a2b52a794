import type { GateRequest } from "@releasepassport/core"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createToken, rawPost, REPO, startServer } from "@releasepassport/testing"
import type { RunningServer } from "@releasepassport/testing"

/**
 * policies/cases through the running server: the passport and the evidence a case describes
 * are made the way pipelines make them (a first gate request, evidence batches observed
 * `ageSeconds` ago), then the case's request must get exactly the case's codes.
 *
 * Known differences, each for a reason the server cannot reproduce on a live clock:
 * - cases with a `data` override need another bundle (they run through core and opa);
 * - a stale or silent connector needs time to pass without evidence from it (core, opa, and
 *   test/integrations.test.ts with a 1 s interval cover connector.stale);
 * - "exactly at the maximum age" needs the age to the second, which a live clock can overstep.
 */
interface PolicyCase {
  readonly name: string
  readonly data?: unknown
  readonly input: {
    readonly request: GateRequest
    readonly passport: { readonly artifactDigest: string; readonly sourceSha: string }
    readonly evidence?: ReadonlyArray<{
      readonly source: string
      readonly type: string
      readonly status: string
      readonly summary: string
      readonly artifactDigest: string
      readonly sourceSha: string
      readonly ageSeconds: number
    }>
    readonly connectors?: ReadonlyArray<{ readonly freshness: string }>
  }
  readonly expect: { readonly deny: ReadonlyArray<string>; readonly warn: ReadonlyArray<string> }
}

const cases = JSON.parse(readFileSync(path.join(REPO, "policies/cases/gate-cases.json"), "utf8")) as Array<PolicyCase>
const needsOtherBundle = (c: PolicyCase) => c.data !== undefined
const needsQuietConnector = (c: PolicyCase) => (c.input.connectors ?? []).some((k) => k.freshness === "stale" || k.freshness === "silent")
const needsExactAge = (c: PolicyCase) => /exactly at the maximum age/.test(c.name)
const runnable = cases.filter((c) => !needsOtherBundle(c) && !needsQuietConnector(c) && !needsExactAge(c))

describe("policies/cases through the server", () => {
  let dir: string
  let server: RunningServer
  let token: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rp-cases-"))
    const database = `sqlite:${path.join(dir, "rp.db")}`
    token = (await createToken(database, "--scope", "gate:evaluate", "--scope", "evidence:ingest")).value
    server = await startServer({ database })
  })
  afterAll(async () => {
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it("leaves out only the cases written down above", () => {
    // 4 with data overrides, 4 with a stale or silent connector (one of them "everything wrong
    // at once"), 1 at the exact maximum age: a new case lands in the server run unless it is one of these.
    expect(cases.length - runnable.length).toBe(9)
    expect(runnable.length).toBe(cases.length - 9)
  })

  it.each(runnable.map((c, i) => [c.name, c, i] as const))("%s", async (_name, c, i) => {
    const post = (route: string, body: unknown) =>
      rawPost(`${server.url}/releasepassport/v1/${route}`, JSON.stringify(body), { authorization: `Bearer ${token}` })
    // Every case is its own release.
    const releaseId = `${c.input.request.release.releaseId}-case-${i}`
    const request = { ...c.input.request, release: { ...c.input.request.release, releaseId } }
    // The passport is what the release was first seen with.
    const first = await post("gate/evaluate", {
      ...request,
      mode: "shadow",
      artifact: { digest: c.input.passport.artifactDigest },
      release: { ...request.release, sourceSha: c.input.passport.sourceSha }
    })
    expect(first.status, first.text).toBe(200)
    for (const [n, item] of (c.input.evidence ?? []).entries()) {
      const stored = await post("evidence/ingest", {
        source: item.source,
        externalId: `case-${i}-${n}`,
        service: { name: request.service.name, namespace: request.service.namespace },
        release: { releaseId, sourceSha: item.sourceSha },
        artifact: { digest: item.artifactDigest },
        evidence: [{
          type: item.type,
          status: item.status,
          summary: item.summary,
          observedAt: new Date(Date.now() - item.ageSeconds * 1000).toISOString()
        }]
      })
      expect(stored.status, stored.text).toBe(200)
    }
    const answer = await post("gate/evaluate", request)
    expect(answer.status, answer.text).toBe(200)
    expect(answer.json.blockers.map((b: { code: string }) => b.code).sort()).toEqual([...c.expect.deny].sort())
    expect(answer.json.warnings.map((w: { code: string }) => w.code).sort()).toEqual([...c.expect.warn].sort())
  })
})
