import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { cli, passingGateRequest, REPO } from "@releasepassport/testing"

/** `releasepassport policy eval`: the verdict the server would give, without a server. */
describe("releasepassport policy eval", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "rp-policy-eval-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const file = (name: string, content: unknown) => {
    const target = path.join(dir, name)
    writeFileSync(target, JSON.stringify(content))
    return target
  }
  const production = passingGateRequest({ service: { name: "api", namespace: "apps", environment: "production" } })

  it("blocks a production release without a passed smoke (exit 1), naming the blocker", async () => {
    const result = await cli(["policy", "eval", "--request", file("prod.json", production)])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^BLOCKED\s+verdict=fail/)
    expect(result.stdout).toContain("evidence.required_missing [gate/evidence]")
  })

  it("lets it through with fresh smoke evidence (exit 0), and stale evidence blocks again", async () => {
    const now = "2026-11-28T12:00:00Z"
    const fresh = file("fresh.json", [{ type: "smoke", status: "passed", observedAt: "2026-11-28T11:00:00Z" }])
    const stale = file("stale.json", [{ type: "smoke", status: "passed", observedAt: "2026-11-27T10:00:00Z" }])
    const request = file("prod2.json", production)
    const passed = await cli(["policy", "eval", "--request", request, "--evidence", fresh, "--now", now, "--json"])
    expect(passed.code, passed.stderr).toBe(0)
    expect(JSON.parse(passed.stdout)).toMatchObject({ verdict: "pass", allowed: true, blockers: [] })
    const blocked = await cli(["policy", "eval", "--request", request, "--evidence", stale, "--now", now])
    expect(blocked.code).toBe(1)
    expect(blocked.stdout).toContain("evidence.stale")
  })

  it("a broken bundle is an error verdict, blocked under enforce; bad input is exit 2", async () => {
    const broken = await cli([
      "policy", "eval", "--request", file("ok.json", passingGateRequest()),
      "--bundle", path.join(REPO, "packages/core/test/fixtures/policies/undefined.tar.gz")
    ])
    expect(broken.code).toBe(1)
    expect(broken.stdout).toMatch(/verdict=error/)
    const notARequest = await cli(["policy", "eval", "--request", file("bad.json", { mode: "yolo" })])
    expect(notARequest.code).toBe(2)
    expect(notARequest.stderr).toContain("is not a gate request")
    const missing = await cli(["policy", "eval", "--request", path.join(dir, "nope.json")])
    expect(missing.code).toBe(2)
  })
})
