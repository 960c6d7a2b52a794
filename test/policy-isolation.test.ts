import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { cli, createToken, passingGateRequest, rawPost, REPO, startServer } from "@releasepassport/testing"
import type { RunningServer } from "@releasepassport/testing"

/**
 * A policy that would run for hours: with policy threads (the default) the gate answers
 * verdict `error` once the deadline passes, the thread is replaced, and the server keeps
 * answering everything else meanwhile. SQLite is enough: this is about the policy engine.
 */
describe("a runaway policy is stopped, not waited for", () => {
  let dir: string
  let server: RunningServer
  let token: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rp-runaway-"))
    const database = `sqlite:${path.join(dir, "rp.db")}`
    token = (await createToken(database, "--scope", "gate:evaluate")).value
    server = await startServer({
      database,
      args: ["--policy-bundle", path.join(REPO, "packages/core/test/fixtures/policies/runaway.tar.gz"), "--policy-budget-ms", "200"]
    })
  })
  afterAll(async () => {
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const gate = () => rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(passingGateRequest()), { authorization: `Bearer ${token}` })

  it("answers verdict error (blocked under enforce) soon after the deadline, and the server stays responsive", async () => {
    const started = Date.now()
    const pending = gate()
    // While the policy spins (for hours, if nothing stopped it), the request loop is free. The
    // bounds are loose on purpose: a blocked loop would miss them by hours, a busy CI machine
    // by nothing.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const health = await fetch(`${server.url}/releasepassport/v1/healthz`, { signal: AbortSignal.timeout(5000) })
    expect(health.status).toBe(200)
    const answer = await pending
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(answer.status, answer.text).toBe(200)
    expect(answer.json).toMatchObject({ verdict: "error", allowed: false, wouldBlock: true })
    expect(answer.json.blockers).toEqual([expect.objectContaining({ code: "policy.evaluation_failed", policy: "host" })])
    expect(answer.json.blockers[0].message).toMatch(/did not finish within 250 ms/)
  })

  it("`gate evaluate` exits 2 on verdict error, in shadow as in enforce: a broken policy is not a block", async () => {
    for (const mode of ["shadow", "enforce"] as const) {
      const file = path.join(dir, `gate-${mode}.json`)
      writeFileSync(file, JSON.stringify(passingGateRequest({ mode })))
      const result = await cli(["gate", "evaluate", "--url", server.url, "--file", file], { env: { RELEASEPASSPORT_TOKEN: token } })
      expect(result.code, `${mode}: ${result.stdout}${result.stderr}`).toBe(2)
      expect(result.stdout).toContain("verdict=error")
    }
  })

  it("replaces the stopped thread: the next evaluations are stopped the same way", async () => {
    const answers = await Promise.all([gate(), gate(), gate()])
    for (const answer of answers) expect(answer.json).toMatchObject({ verdict: "error", allowed: false })
    expect(server.output()).toMatch(/policy thread replaced/)
  })
})

describe("waiting behind other evaluations does not count against the budget", () => {
  let dir: string
  let server: RunningServer
  let token: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rp-queue-"))
    const database = `sqlite:${path.join(dir, "rp.db")}`
    token = (await createToken(database, "--scope", "gate:evaluate")).value
    // One thread and a policy that takes ~0.2 s: 12 requests at once queue for ~2.4 s.
    server = await startServer({
      database,
      args: [
        "--policy-bundle", path.join(REPO, "packages/core/test/fixtures/policies/slow.tar.gz"),
        "--policy-budget-ms", "1500",
        "--policy-threads", "1"
      ]
    })
  })
  afterAll(async () => {
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it("every queued evaluation is judged on its own time and passes", async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () =>
      rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(passingGateRequest()), { authorization: `Bearer ${token}` })))
    expect(answers.map((a) => a.json.verdict)).toEqual(Array(12).fill("pass"))
  })
})
