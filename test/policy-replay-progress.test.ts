import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cli, createToken, passingGateRequest, rawPost, REPO, startServer } from "@releasepassport/testing"
import type { RunningServer } from "@releasepassport/testing"

/**
 * `policy replay --progress`: the window replayed page by page, "replayed n of m" on stderr after
 * each page, and on stdout the same report one request gives. The bundle is the shipped policies
 * plus `freeze.rego` (releases named `frozen-*` are blocked), so which past gates flip is known.
 */
const FREEZE = path.join(REPO, "test/fixtures/policies/freeze.tar.gz")

describe("policy replay progress", () => {
  let dir: string
  let server: RunningServer
  let env: Record<string, string>
  const frozen = [true, false, true, true, false, false, true]

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rp-replay-progress-"))
    const database = `sqlite:${path.join(dir, "rp.db")}`
    const gateToken = (await createToken(database, "--scope", "gate:evaluate")).value
    const policyToken = (await createToken(database, "--scope", "policy:write")).value
    server = await startServer({ database })
    env = { RELEASEPASSPORT_URL: server.url, RELEASEPASSPORT_TOKEN: policyToken }
    for (const [i, isFrozen] of frozen.entries()) {
      const answer = await rawPost(
        `${server.url}/releasepassport/v1/gate/evaluate`,
        JSON.stringify(passingGateRequest({ release: { releaseId: `${isFrozen ? "frozen" : "rel"}-${i}`, sourceSha: "9f3c8b7", renderedManifestPath: "r.yaml" } })),
        { authorization: `Bearer ${gateToken}` }
      )
      expect(answer.json.verdict, answer.text).toBe("pass")
    }
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it("prints replayed n of m per page on stderr; stdout is the report one request gives", async () => {
    const paged = await cli(["policy", "replay", "--bundle", FREEZE, "--since", "1h", "--progress", "--page-size", "3", "--json"], { env, timeoutMs: 120_000 })
    expect(paged.code, paged.stderr).toBe(0)
    const lines = paged.stderr.split("\n").filter((line) => line.startsWith("replayed "))
    expect(lines).toEqual(["replayed 3 of 7", "replayed 6 of 7", "replayed 7 of 7"])

    const whole = await cli(["policy", "replay", "--bundle", FREEZE, "--since", "1h", "--json"], { env, timeoutMs: 120_000 })
    expect(whole.code, whole.stderr).toBe(0)
    // Not a terminal and no --progress: one request, no progress lines.
    expect(whole.stderr).not.toMatch(/^replayed \d+ of \d+$/m)

    const fromPages = JSON.parse(paged.stdout)
    const fromOne = JSON.parse(whole.stdout)
    const blocked = frozen.filter(Boolean).length
    expect(fromOne).toMatchObject({
      replayed: 7,
      inWindow: 7,
      truncated: false,
      disagreements: blocked,
      verdictFlips: [{ from: "pass", to: "fail", evaluations: blocked }],
      newBlockers: [{ code: "release.frozen", evaluations: blocked }]
    })
    const { until: _u1, since: _s1, ...pages } = fromPages
    const { until: _u2, since: _s2, ...one } = fromOne
    expect(pages).toEqual(one)
  }, 300_000)
})
