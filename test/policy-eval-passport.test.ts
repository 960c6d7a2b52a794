import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cli, createToken, passingGateRequest, rawPost, readAnswer, REPO, startServer } from "@releasepassport/testing"
import type { RunningServer } from "@releasepassport/testing"

/**
 * `releasepassport policy eval --passport ID`: a stored passport's latest evaluation input, read
 * from the server with a reports:read token, re-run through a local bundle (or the workspace's
 * active one, downloaded), with what differs from the verdict stored then. The bundle is the
 * shipped policies plus `freeze.rego` (releases named `frozen-*` are blocked).
 */
const FREEZE = path.join(REPO, "test/fixtures/policies/freeze.tar.gz")

describe("releasepassport policy eval --passport", () => {
  let dir: string
  let server: RunningServer
  let env: Record<string, string>
  let policyToken: string
  let gateToken: string
  let passportId: string
  let evaluationId: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rp-eval-passport-"))
    const database = `sqlite:${path.join(dir, "rp.db")}`
    gateToken = (await createToken(database, "--scope", "gate:evaluate")).value
    policyToken = (await createToken(database, "--scope", "policy:write")).value
    const readerToken = (await createToken(database, "--scope", "reports:read")).value
    server = await startServer({ database })
    env = { RELEASEPASSPORT_URL: server.url, RELEASEPASSPORT_TOKEN: readerToken }
    const answer = await rawPost(
      `${server.url}/releasepassport/v1/gate/evaluate`,
      JSON.stringify(passingGateRequest({ mode: "enforce", release: { releaseId: "frozen-7", sourceSha: "9f3c8b7", renderedManifestPath: "r.yaml" } })),
      { authorization: `Bearer ${gateToken}` }
    )
    expect(answer.json, answer.text).toMatchObject({ verdict: "pass", allowed: true })
    passportId = answer.json.passportId
    evaluationId = answer.json.evaluationId
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it("through a local bundle: the new verdict, its blockers, and what differs from the stored one (exit 1: blocked)", async () => {
    const result = await cli(["policy", "eval", "--passport", passportId, "--bundle", FREEZE], { env })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stdout).toContain(`passport ${passportId}, evaluation ${evaluationId}`)
    expect(result.stdout).toMatch(/BLOCKED\s+verdict=fail\s+mode=enforce\s+policy freeze-/)
    expect(result.stdout).toContain("release.frozen [gate/release]: release frozen-7 is frozen")
    expect(result.stdout).toMatch(/stored: verdict=pass {2}policy src-/)
    expect(result.stdout).toContain("differs from the stored verdict:\n  verdict pass -> fail\n  + release.frozen")

    const json = await cli(["policy", "eval", "--passport", passportId, "--bundle", FREEZE, "--json"], { env })
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({
      passportId,
      evaluationId,
      stored: { verdict: "pass", blockers: [] },
      verdict: { verdict: "fail", blockers: [{ code: "release.frozen" }] },
      differences: { verdict: { from: "pass", to: "fail" }, addedBlockers: ["release.frozen"], removedBlockers: [] }
    })
  })

  it("without --bundle: the workspace's bundle (the default while none is active, then the active one, downloaded)", async () => {
    const before = await cli(["policy", "eval", "--passport", passportId], { env })
    expect(before.code, before.stderr).toBe(0)
    expect(before.stdout).toContain("no difference from the stored verdict")
    expect(before.stdout).toContain("the workspace has no active bundle of its own")

    const uploaded = await readAnswer(await fetch(`${server.url}/releasepassport/v1/policies/bundles`, {
      method: "PUT",
      body: new Uint8Array(readFileSync(FREEZE)),
      headers: { authorization: `Bearer ${policyToken}`, "content-type": "application/gzip" }
    }))
    expect(uploaded.status, uploaded.text).toBe(200)
    const digest: string = uploaded.json.bundle.digest
    const activated = await rawPost(`${server.url}/releasepassport/v1/policies/bundles/${encodeURIComponent(digest)}/activate`, "", { authorization: `Bearer ${policyToken}` })
    expect(activated.status, activated.text).toBe(200)

    const after = await cli(["policy", "eval", "--passport", passportId], { env })
    expect(after.code, after.stderr).toBe(1)
    expect(after.stdout).toContain(`re-run with the workspace's active bundle ${digest}`)
    expect(after.stdout).toContain(`(${digest})`)
    expect(after.stdout).toContain("+ release.frozen")
  })

  it("an unknown passport is 404 policy.input_not_found; a token without reports:read or policy:write is refused (exit 2)", async () => {
    const unknown = await cli(["policy", "eval", "--passport", "pp_does_not_exist"], { env })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("policy.input_not_found")
    const refused = await cli(["policy", "eval", "--passport", passportId], { env: { ...env, RELEASEPASSPORT_TOKEN: gateToken } })
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("auth.scope_missing")
    const neither = await cli(["policy", "eval"], { env })
    expect(neither.code).toBe(2)
    expect(neither.stderr).toContain("--request FILE")
  })
})
