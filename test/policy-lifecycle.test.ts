import { createTarGzip } from "nanotar"
import pg from "pg"
import { readFileSync } from "node:fs"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, cli, createToken, passingGateRequest, rawPost, readAnswer, REPO, startServer } from "@releasepassport/testing"
import type { RawAnswer, RunningServer, TestDatabase } from "@releasepassport/testing"

/**
 * The policy lifecycle across replicas: a workspace uploads its own bundle and activates it on
 * one server; both servers sharing one PostgreSQL switch to it without a restart, another
 * workspace keeps the server's default, and broken bundles are refused while the active bundle
 * keeps deciding. The bundle is the shipped policies plus one rule (`freeze.rego`: releases
 * named `frozen-*` are blocked), so the verdict alone says which bundle decided.
 */
const postgres = (await adapterChoices()).find((choice) => choice.adapter === "postgres")

const fixture = (file: string) => readFileSync(path.join(REPO, file))
const FREEZE = fixture("test/fixtures/policies/freeze.tar.gz")
const broken = (name: string) => fixture(`packages/core/test/fixtures/policies/${name}.tar.gz`)
// Longer than this whole file takes: every switch on the other replica below comes from
// PostgreSQL's NOTIFY, none from the poll (which stays as the fallback).
const POLL_MS = 600_000
const NOTIFIED_WITHIN_MS = 5_000

describe.skipIf(postgres === undefined || postgres.skip !== undefined)("policy bundles per workspace, on two replicas of one PostgreSQL", () => {
  let testDb: TestDatabase
  const servers: Array<RunningServer> = []
  let alphaGate: string
  let alphaPolicy: string
  let betaGate: string
  let betaPolicy: string
  let freezeDigest: string
  let defaultRevision: string

  beforeAll(async () => {
    testDb = await postgres!.create()
    for (const slug of ["alpha", "beta"]) {
      const created = await cli(["workspace", "create", "--database", testDb.url, "--slug", slug, "--name", slug])
      expect(created.code, created.stderr).toBe(0)
    }
    alphaGate = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "gate:evaluate")).value
    alphaPolicy = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "policy:write")).value
    betaGate = (await createToken(testDb.url, "--workspace", "beta", "--scope", "gate:evaluate")).value
    betaPolicy = (await createToken(testDb.url, "--workspace", "beta", "--scope", "policy:write")).value
    for (let i = 0; i < 2; i++) {
      // A roomy budget: the out-of-memory fixture must reach its memory limit before the deadline
      // even on a loaded machine (it takes about 0.3 s alone); the runaway one overruns any budget.
      servers.push(await startServer({ database: testDb.url, args: ["--policy-poll-ms", String(POLL_MS), "--policy-budget-ms", "2000"] }))
    }
  }, 60_000)
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
    await testDb?.drop()
  })

  const gate = (server: RunningServer, token: string, releaseId: string) =>
    rawPost(
      `${server.url}/releasepassport/v1/gate/evaluate`,
      JSON.stringify(passingGateRequest({ release: { releaseId, sourceSha: "9f3c8b7", renderedManifestPath: "rendered/app.yaml" } })),
      { authorization: `Bearer ${token}` }
    )
  let release = 0
  const frozen = () => `frozen-${Date.now()}-${release++}`

  const upload = async (server: RunningServer, token: string, bytes: Uint8Array, contentType = "application/gzip"): Promise<RawAnswer> =>
    readAnswer(await fetch(`${server.url}/releasepassport/v1/policies/bundles`, {
      method: "PUT",
      body: new Uint8Array(bytes),
      headers: { authorization: `Bearer ${token}`, "content-type": contentType }
    }))
  const activate = (server: RunningServer, token: string, digest: string) =>
    rawPost(`${server.url}/releasepassport/v1/policies/bundles/${encodeURIComponent(digest)}/activate`, "", { authorization: `Bearer ${token}` })
  const overview = async (server: RunningServer, token: string) =>
    readAnswer(await fetch(`${server.url}/releasepassport/v1/policies`, { headers: { authorization: `Bearer ${token}` } }))

  it("before any upload, every workspace decides with the server's default bundle", async () => {
    for (const server of servers) {
      const answer = await gate(server, alphaGate, frozen())
      expect(answer.status, answer.text).toBe(200)
      expect(answer.json.verdict).toBe("pass")
      defaultRevision = answer.json.policy.revision
    }
    expect(defaultRevision).toMatch(/^src-/)
    const listed = await overview(servers[0]!, alphaPolicy)
    expect(listed.json).toEqual({ active: null, candidate: null, bundles: [], history: [], loadProblems: [] })
  })

  it("an upload is validated and stored, not activated", async () => {
    const answer = await upload(servers[0]!, alphaPolicy, FREEZE)
    expect(answer.status, answer.text).toBe(200)
    expect(answer.json).toEqual({
      created: true,
      bundle: {
        digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        revision: expect.stringMatching(/^freeze-/),
        sizeBytes: FREEZE.byteLength,
        uploadedBy: expect.stringMatching(/^token:tok_/),
        uploadedAt: expect.any(String),
        active: false,
        candidate: false
      }
    })
    freezeDigest = answer.json.bundle.digest
    // The same bytes again (as application/octet-stream, what curl --data-binary sends) keep the first upload.
    const again = await upload(servers[1]!, alphaPolicy, FREEZE, "application/octet-stream")
    expect(again.status, again.text).toBe(200)
    expect(again.json).toEqual({ created: false, bundle: answer.json.bundle })
    expect((await gate(servers[1]!, alphaGate, frozen())).json.verdict).toBe("pass")
  })

  it("activation on one replica: it decides with the new bundle at once, the other as soon as it is notified, no restart", async () => {
    const switched = await activate(servers[0]!, alphaPolicy, freezeDigest)
    expect(switched.status, switched.text).toBe(200)
    expect(switched.json.change).toEqual({
      kind: "active",
      fromDigest: null,
      toDigest: freezeDigest,
      changedBy: expect.stringMatching(/^token:tok_/),
      changedAt: expect.any(String)
    })
    const here = await gate(servers[0]!, alphaGate, frozen())
    expect(here.json.verdict).toBe("fail")
    expect(here.json.blockers.map((blocker: { code: string }) => blocker.code)).toEqual(["release.frozen"])
    expect(here.json.policy).toMatchObject({ revision: expect.stringMatching(/^freeze-/), bundleDigest: freezeDigest })

    const started = Date.now()
    let there: RawAnswer
    do {
      there = await gate(servers[1]!, alphaGate, frozen())
      if (there.json.verdict === "fail") break
      await new Promise((resolve) => setTimeout(resolve, 100))
    } while (Date.now() - started < 10_000)
    expect(there.json.policy.bundleDigest, "the second replica never switched").toBe(freezeDigest)
    expect(there.json.blockers.map((blocker: { code: string }) => blocker.code)).toEqual(["release.frozen"])
    // Notified (LISTEN/NOTIFY), not polled: the poll interval is far longer than this.
    expect(Date.now() - started).toBeLessThan(NOTIFIED_WITHIN_MS)
    // A release the rule does not name still passes under the new bundle.
    const other = await gate(servers[1]!, alphaGate, `rel-${Date.now()}`)
    expect(other.json).toMatchObject({ verdict: "pass", policy: { bundleDigest: freezeDigest } })

    const listed = await overview(servers[1]!, alphaPolicy)
    expect(listed.json).toMatchObject({ active: freezeDigest, candidate: null, bundles: [{ digest: freezeDigest, active: true }] })
    expect(listed.json.history).toEqual([switched.json.change])
  })

  it("workspace A's bundle never decides for workspace B, on either replica, and B cannot touch it", async () => {
    for (const server of servers) {
      const answer = await gate(server, betaGate, frozen())
      expect(answer.json).toMatchObject({ verdict: "pass", policy: { revision: defaultRevision } })
    }
    const foreign = await activate(servers[0]!, betaPolicy, freezeDigest)
    expect(foreign.status, foreign.text).toBe(404)
    expect(foreign.json.code).toBe("policy.bundle_not_found")
    expect((await overview(servers[0]!, betaPolicy)).json).toEqual({ active: null, candidate: null, bundles: [], history: [], loadProblems: [] })
  })


  it("a candidate is evaluated in shadow on every gate, on both replicas: recorded, answered, never deciding", async () => {
    const uploaded = await upload(servers[0]!, betaPolicy, FREEZE)
    expect(uploaded.status, uploaded.text).toBe(200)
    // Same bytes as alpha's: the same digest, but beta's own upload (bundles are per workspace).
    expect(uploaded.json).toMatchObject({ created: true, bundle: { digest: freezeDigest, active: false } })
    const shadowed = await rawPost(
      `${servers[0]!.url}/releasepassport/v1/policies/bundles/${encodeURIComponent(freezeDigest)}/candidate`,
      "",
      { authorization: `Bearer ${betaPolicy}` }
    )
    expect(shadowed.status, shadowed.text).toBe(200)
    expect(shadowed.json.change).toMatchObject({ kind: "candidate", fromDigest: null, toDigest: freezeDigest })

    for (const server of servers) {
      const started = Date.now()
      let answer: RawAnswer
      do {
        answer = await gate(server, betaGate, frozen())
        if (answer.json.candidate !== undefined) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      } while (Date.now() - started < 10_000)
      expect(Date.now() - started, "the candidate reached this replica by notification").toBeLessThan(NOTIFIED_WITHIN_MS)
      // The active (default) bundle decides; the candidate says what it would have done.
      expect(answer.json).toMatchObject({ verdict: "pass", allowed: true, blockers: [], policy: { revision: defaultRevision } })
      expect(answer.json.candidate).toEqual({
        verdict: "fail",
        blockers: [expect.objectContaining({ code: "release.frozen", policy: "gate/release" })],
        warnings: [],
        revision: expect.stringMatching(/^freeze-/),
        bundleDigest: freezeDigest
      })
      const client = new pg.Client({ connectionString: testDb.url })
      await client.connect()
      try {
        const { rows } = await client.query("select verdict, candidate from gate_evaluations where id = $1", [answer.json.evaluationId])
        expect(rows).toEqual([{ verdict: "pass", candidate: answer.json.candidate }])
      } finally {
        await client.end()
      }
    }
    // Alpha has no candidate: its answers carry none.
    expect((await gate(servers[1]!, alphaGate, frozen())).json.candidate).toBeUndefined()
  })

  it("the candidate report lists exactly the evaluations where the candidate disagrees, by rule", async () => {
    // The window starts after the previous test's evaluations (same machine, same clock).
    await new Promise((resolve) => setTimeout(resolve, 20))
    const since = new Date().toISOString()
    const answers: Array<{ readonly evaluationId: string; readonly frozen: boolean }> = []
    for (const [i, server] of servers.entries()) {
      for (const isFrozen of [true, false, true]) {
        const answer = await gate(server, betaGate, isFrozen ? frozen() : `rel-${Date.now()}-${i}`)
        expect(answer.json.candidate, answer.text).toBeDefined()
        answers.push({ evaluationId: answer.json.evaluationId, frozen: isFrozen })
      }
    }
    const disagreeing = answers.filter((answer) => answer.frozen)
    const report = await readAnswer(await fetch(
      `${servers[1]!.url}/releasepassport/v1/reports/candidate?since=${encodeURIComponent(since)}`,
      { headers: { authorization: `Bearer ${betaPolicy}` } }
    ))
    expect(report.status, report.text).toBe(200)
    expect(report.json).toMatchObject({
      since,
      evaluations: answers.length,
      truncated: false,
      disagreements: disagreeing.length,
      verdictFlips: [{ from: "pass", to: "fail", evaluations: disagreeing.length }],
      newBlockers: [{ code: "release.frozen", evaluations: disagreeing.length }],
      removedBlockers: []
    })
    expect(report.json.examples.map((example: { evaluationId: string }) => example.evaluationId).sort())
      .toEqual(disagreeing.map((answer) => answer.evaluationId).sort())
    // Alpha has no candidate: nothing to report. A since that is not a date-time: 422.
    const alpha = await readAnswer(await fetch(`${servers[0]!.url}/releasepassport/v1/reports/candidate`, { headers: { authorization: `Bearer ${alphaPolicy}` } }))
    expect(alpha.json).toMatchObject({ evaluations: 0, disagreements: 0, examples: [] })
    const bad = await readAnswer(await fetch(`${servers[0]!.url}/releasepassport/v1/reports/candidate?since=yesterday`, { headers: { authorization: `Bearer ${alphaPolicy}` } }))
    expect(bad.status).toBe(422)
  })

  it("replay of a bundle that adds a deny rule reports exactly the past evaluations it would now block", async () => {
    await new Promise((resolve) => setTimeout(resolve, 20))
    const since = new Date().toISOString()
    const past: Array<{ readonly evaluationId: string; readonly frozen: boolean }> = []
    for (const isFrozen of [true, false, false, true, true]) {
      const answer = await gate(servers[past.length % 2]!, betaGate, isFrozen ? frozen() : `rel-${Date.now()}-${past.length}`)
      expect(answer.json.verdict, answer.text).toBe("pass")
      past.push({ evaluationId: answer.json.evaluationId, frozen: isFrozen })
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
    const until = new Date().toISOString()
    const replay = (body: object) =>
      rawPost(`${servers[0]!.url}/releasepassport/v1/policies/replay`, JSON.stringify(body), { authorization: `Bearer ${betaPolicy}` })

    const answer = await replay({ bundleDigest: freezeDigest, since, until })
    expect(answer.status, answer.text).toBe(200)
    const blocked = past.filter((evaluation) => evaluation.frozen)
    expect(answer.json).toMatchObject({
      bundle: { digest: freezeDigest, revision: expect.stringMatching(/^freeze-/) },
      since,
      until,
      replayed: past.length,
      evaluations: past.length,
      stoppedEarly: false,
      truncated: false,
      disagreements: blocked.length,
      verdictFlips: [{ from: "pass", to: "fail", evaluations: blocked.length }],
      newBlockers: [{ code: "release.frozen", evaluations: blocked.length }],
      removedBlockers: []
    })
    expect(answer.json.examples.map((example: { evaluationId: string }) => example.evaluationId).sort())
      .toEqual(blocked.map((evaluation) => evaluation.evaluationId).sort())

    // Another environment: nothing in the window. Alpha's bundle is not beta's to replay: 404.
    expect((await replay({ bundleDigest: freezeDigest, since, until, environment: "production" })).json).toMatchObject({ replayed: 0, disagreements: 0 })
    const foreign = await rawPost(`${servers[0]!.url}/releasepassport/v1/policies/replay`, JSON.stringify({ bundleDigest: `sha256:${"1".repeat(64)}`, since, until }), { authorization: `Bearer ${betaPolicy}` })
    expect(foreign.status).toBe(404)
    expect((await replay({ bundleDigest: freezeDigest, since: until, until: since })).status).toBe(422)
  })

  const bundleWithout = async (name: string) => {
    const bytes = await createTarGzip([{ name: "data.json", data: new TextEncoder().encode("{}") }])
    return { name, bytes }
  }

  it("broken bundles are refused with a clear problem, nothing is stored, and the active bundle keeps deciding", async () => {
    const cases: Array<{ readonly name: string; readonly bytes: Uint8Array; readonly check: string }> = [
      { name: "not a tar.gz", bytes: new TextEncoder().encode("this is not a bundle"), check: "bundle" },
      { ...(await bundleWithout("no policy.wasm")), check: "bundle" },
      { name: "no decision for real requests", bytes: broken("undefined"), check: "decision" },
      { name: "a decision that is not {deny, warn}", bytes: broken("malformed"), check: "decision" },
      { name: "runs out of memory (traps)", bytes: broken("hungry"), check: "trap" },
      { name: "runs for hours (over the budget)", bytes: broken("runaway"), check: "budget" }
    ]
    for (const { name, bytes, check } of cases) {
      const answer = await upload(servers[1]!, alphaPolicy, bytes)
      expect(answer.status, `${name}: ${answer.text}`).toBe(422)
      expect(answer.headers.get("content-type")).toContain("application/problem+json")
      expect(answer.json.code, name).toBe("policy.bundle_invalid")
      expect(answer.json.detail, name).toContain(`(${check})`)
      expect(answer.json.errors, name).toEqual([{ path: ["payload"], message: expect.stringMatching(new RegExp(`^${check}: `)) }])
    }
    const listed = await overview(servers[0]!, alphaPolicy)
    expect(listed.json.bundles.map((bundle: { digest: string }) => bundle.digest)).toEqual([freezeDigest])
    for (const server of servers) {
      expect((await gate(server, alphaGate, frozen())).json.blockers.map((blocker: { code: string }) => blocker.code)).toEqual(["release.frozen"])
      const ready = await readAnswer(await fetch(`${server.url}/releasepassport/v1/readyz`))
      expect(ready.status).toBe(200)
      expect(ready.json.policy.workspaceProblems).toEqual([])
    }
  }, 60_000)

  it("refuses a body over 10 MiB (413), a token without policy:write (403), an unknown digest (404)", async () => {
    const huge = await upload(servers[0]!, alphaPolicy, new Uint8Array(10 * 1024 * 1024 + 1))
    expect(huge.status).toBe(413)
    expect(huge.json.code).toBe("request.too_large")
    const unscoped = await upload(servers[0]!, alphaGate, FREEZE)
    expect(unscoped.status).toBe(403)
    expect(unscoped.json.code).toBe("auth.scope_missing")
    const unknown = await activate(servers[0]!, alphaPolicy, `sha256:${"0".repeat(64)}`)
    expect(unknown.status).toBe(404)
    expect(unknown.json.code).toBe("policy.bundle_not_found")
    expect((await overview(servers[0]!, alphaPolicy)).json.history).toHaveLength(1)
  })

  it("a replica whose LISTEN connection is cut reconnects, catches up on what it missed, and is notified again", async () => {
    const SHIPPED = fixture("policies/bundle/bundle.tar.gz")
    const shipped = await upload(servers[0]!, alphaPolicy, SHIPPED)
    expect(shipped.status, shipped.text).toBeLessThan(300)
    const shippedDigest: string = shipped.json.bundle.digest
    const listener = `releasepassport-listen:${servers[1]!.process.pid}`
    const admin = new pg.Client({ connectionString: testDb.url })
    await admin.connect()
    const listeners = async () =>
      (await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [listener])).rows.map((row) => row.pid)
    const decidedBy = async (digest: string, what: string) => {
      const started = Date.now()
      let answer: RawAnswer
      do {
        answer = await gate(servers[1]!, alphaGate, frozen())
        if (answer.json.policy?.bundleDigest === digest) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      } while (Date.now() - started < 10_000)
      expect(answer.json.policy.bundleDigest, what).toBe(digest)
      // Not the poll: its interval is far longer than this whole file.
      expect(Date.now() - started, what).toBeLessThan(NOTIFIED_WITHIN_MS)
    }
    try {
      const [old] = await listeners()
      expect(old, `no ${listener} in pg_stat_activity`).toBeDefined()
      expect((await admin.query("SELECT pg_terminate_backend($1) AS cut", [old])).rows).toEqual([{ cut: true }])
      // Switched while the listener is down: the notification is lost, the catch-up on reconnect is not.
      expect((await activate(servers[0]!, alphaPolicy, shippedDigest)).status).toBe(200)
      await decidedBy(shippedDigest, "the switch made while the listener was down")
      await expect.poll(async () => (await listeners()).filter((pid) => pid !== old).length, { timeout: 10_000 }).toBe(1)
      expect(servers[1]!.output()).toContain("listening for releasepassport_policy_changes stopped")

      // And the new connection hears the next switch.
      expect((await activate(servers[0]!, alphaPolicy, freezeDigest)).status).toBe(200)
      await decidedBy(freezeDigest, "the switch made after the listener came back")
    } finally {
      await admin.end()
    }
  }, 60_000)
})
