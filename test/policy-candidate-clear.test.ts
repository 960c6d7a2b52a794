import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cli, createToken, passingGateRequest, rawPost, readAnswer, REPO, startServer } from "@releasepassport/testing"
import type { CliResult, RunningServer } from "@releasepassport/testing"

/**
 * Clearing a workspace's candidate: `DELETE /policies/candidate` (through
 * `releasepassport policy candidate --clear`) stops the shadow evaluation at once and is
 * recorded in the history like every change. The candidate is the shipped policies plus
 * `freeze.rego`, so a `frozen-*` release shows whether it still runs.
 */
const FREEZE = path.join(REPO, "test/fixtures/policies/freeze.tar.gz")

const ok = (result: CliResult, what: string) => {
  expect(result.code, `${what}:\n${result.stdout}\n${result.stderr}`).toBe(0)
  return result
}

describe("policy candidate --clear", () => {
  let dir: string
  let server: RunningServer
  let env: Record<string, string>
  let gateToken: string
  let n = 0

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rp-candidate-clear-"))
    const database = `sqlite:${path.join(dir, "rp.db")}`
    gateToken = (await createToken(database, "--scope", "gate:evaluate")).value
    const policyToken = (await createToken(database, "--scope", "policy:write")).value
    server = await startServer({ database })
    env = { RELEASEPASSPORT_URL: server.url, RELEASEPASSPORT_TOKEN: policyToken }
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const gate = () =>
    rawPost(
      `${server.url}/releasepassport/v1/gate/evaluate`,
      JSON.stringify(passingGateRequest({ release: { releaseId: `frozen-${n++}`, sourceSha: "9f3c8b7", renderedManifestPath: "r.yaml" } })),
      { authorization: `Bearer ${gateToken}` }
    )

  it("clears the candidate: gates stop shadowing it, the change is recorded, clearing again changes nothing", async () => {
    const digest = ok(await cli(["policy", "push", FREEZE], { env }), "policy push").stdout.trim()
    ok(await cli(["policy", "candidate", digest], { env }), "policy candidate")
    expect((await gate()).json.candidate).toMatchObject({ verdict: "fail", bundleDigest: digest })

    const cleared = ok(await cli(["policy", "candidate", "--clear"], { env }), "policy candidate --clear")
    expect(cleared.stdout).toContain(`candidate: ${digest.slice(0, 19)} -> none`)
    const after = await gate()
    expect(after.json.verdict).toBe("pass")
    expect(after.json.candidate).toBeUndefined()

    const listed = ok(await cli(["policy", "list"], { env }), "policy list")
    expect(listed.stdout).toContain("candidate: none")
    expect(listed.stdout).toMatch(/candidate: sha256:[0-9a-f]{12} -> none {2}by token:tok_/)
    const overview = await readAnswer(await fetch(`${server.url}/releasepassport/v1/policies`, { headers: { authorization: `Bearer ${env.RELEASEPASSPORT_TOKEN}` } }))
    expect(overview.json.candidate).toBeNull()
    expect(overview.json.history[0]).toMatchObject({ kind: "candidate", fromDigest: digest, toDigest: null, changedBy: expect.stringMatching(/^token:tok_/) })
    expect(overview.json.history).toHaveLength(2)

    const again = ok(await cli(["policy", "candidate", "--clear"], { env }), "policy candidate --clear again")
    expect(again.stdout).toContain("there was no candidate")
    const unchanged = await readAnswer(await fetch(`${server.url}/releasepassport/v1/policies`, { headers: { authorization: `Bearer ${env.RELEASEPASSPORT_TOKEN}` } }))
    expect(unchanged.json.history).toHaveLength(2)
  }, 180_000)

  it("needs policy:write: a gate token is refused (403) and nothing changes", async () => {
    const refused = await readAnswer(await fetch(`${server.url}/releasepassport/v1/policies/candidate`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${gateToken}` }
    }))
    expect(refused.status).toBe(403)
    expect(refused.json.code).toBe("auth.scope_missing")
    const neither = await cli(["policy", "candidate"], { env })
    expect(neither.code).toBe(2)
    expect(neither.stderr).toContain("--clear")
  }, 60_000)
})
