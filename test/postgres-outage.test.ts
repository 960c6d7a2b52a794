import { openDatabase } from "@releasepassport/adapters"
import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, cli, passingGateRequest, rowCounts, startServer, startTcpProxy } from "@releasepassport/testing"
import type { RunningServer, TcpProxy, TestDatabase } from "@releasepassport/testing"

/**
 * A real server process on a real PostgreSQL, with a TCP proxy between them that the test
 * cuts (refused, like a crash or restart) or blackholes (silent, like a partition) and then
 * restores. While the database is gone, requests answer 503 store.unavailable quickly and the
 * process stays up; when it is back they succeed again without a restart; and nothing is ever
 * half-written.
 */

// Short, so the blackhole cases stay quick; the default is 5000.
const DATABASE_TIMEOUT_MS = 1000
// A refused connection fails at once, long before any timeout.
const REFUSED_ANSWER_BOUND_MS = DATABASE_TIMEOUT_MS
// A silent database costs a request one timeout, never two in a row (the connection that timed
// out is closed, so the rollback after it fails at once instead of waiting again), plus slack.
const SILENT_ANSWER_BOUND_MS = DATABASE_TIMEOUT_MS + 800
// Put in the URL the server gets when it has no password of its own (trust authentication
// ignores it): whichever password the URL carries must never be printed.
const MARKER_PASSWORD = "outage-test-secret-pw"

const postgres = (await adapterChoices()).find((choice) => choice.adapter === "postgres")

interface Answer {
  readonly status: number
  readonly contentType: string
  readonly json: any
  readonly ms: number
}

/** One HTTP call, bounded, so a hang fails the test with a clear message instead of a timeout. */
const call = async (url: string, init: RequestInit = {}): Promise<Answer> => {
  const started = performance.now()
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) })
  const text = await response.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", json, ms: performance.now() - started }
}

describe.skipIf(postgres === undefined || postgres.skip !== undefined)("PostgreSQL outage: a real server through a TCP proxy", () => {
  let testDb: TestDatabase
  let proxy: TcpProxy
  let server: RunningServer
  let direct: SqlDatabase<Tables>
  let token: string
  let proxiedUrl: string
  let password: string
  let releasePrefix: string

  beforeAll(async () => {
    testDb = await postgres!.create()
    const target = new URL(testDb.url)
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    const proxied = new URL(testDb.url)
    proxied.hostname = "127.0.0.1"
    proxied.port = String(proxy.port)
    if (proxied.password === "") proxied.password = MARKER_PASSWORD
    password = decodeURIComponent(proxied.password)
    proxiedUrl = proxied.toString()

    const migrated = await cli(["migrate", "--database", testDb.url])
    expect(migrated.code, migrated.stderr).toBe(0)
    const created = await cli(["token", "create", "--database", testDb.url, "--scope", "gate:evaluate", "--scope", "evidence:ingest", "--name", "outage"])
    expect(created.code, created.stderr).toBe(0)
    token = created.stdout.trim()
    server = await startServer({ database: proxiedUrl, args: ["--database-timeout-ms", String(DATABASE_TIMEOUT_MS)] })
    direct = await openDatabase(testDb.url)
    releasePrefix = `outage-${Date.now()}-`
  })
  // A failed test must not leave the database away for the next one.
  afterEach(async () => {
    await proxy?.restore()
  })
  afterAll(async () => {
    await server?.stop()
    await proxy?.close()
    await direct?.close()
    await testDb?.drop()
  })

  let sequence = 0
  const gate = () => {
    const request = passingGateRequest()
    return call(`${server.url}/releasepassport/v1/gate/evaluate`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ ...request, release: { ...request.release, releaseId: `${releasePrefix}${sequence++}` } })
    })
  }
  const ingest = () => {
    const request = passingGateRequest()
    return call(`${server.url}/releasepassport/v1/evidence/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        source: "github_actions",
        externalId: `run-${sequence}`,
        service: { name: request.service.name, namespace: request.service.namespace },
        release: { releaseId: `${releasePrefix}${sequence++}`, sourceSha: request.release.sourceSha },
        artifact: { digest: request.artifact.digest },
        evidence: [{ type: "smoke", status: "passed", summary: "smoke ok" }]
      })
    })
  }
  const readyz = () => call(`${server.url}/releasepassport/v1/readyz`)
  const healthz = () => call(`${server.url}/releasepassport/v1/healthz`)

  const expectUnavailable = (answer: Answer, boundMs: number) => {
    expect(answer.status, JSON.stringify(answer.json)).toBe(503)
    expect(answer.contentType).toContain("application/problem+json")
    expect(answer.json).toMatchObject({ status: 503, code: "store.unavailable" })
    expect(answer.ms).toBeLessThan(boundMs)
  }
  const expectAlive = () => {
    expect(server.process.exitCode).toBeNull()
    expect(server.process.signalCode).toBeNull()
  }
  /** Polls until a gate request succeeds again, without restarting anything. */
  const expectRecovery = async () => {
    const deadline = Date.now() + 10_000
    let last: Answer | undefined
    while (Date.now() < deadline) {
      last = await gate()
      if (last.status === 200) break
      expect(last.status, JSON.stringify(last.json)).toBe(503)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(last?.status, JSON.stringify(last?.json)).toBe(200)
    expect(last?.json).toMatchObject({ verdict: "pass", allowed: true })
    const ingested = await ingest()
    expect(ingested.status, JSON.stringify(ingested.json)).toBe(200)
    expect((await readyz()).status).toBe(200)
  }

  it("the gate and evidence ingestion work through the proxy", async () => {
    const answers = await Promise.all([...Array.from({ length: 4 }, () => gate()), ingest()])
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.json)).toBe(200)
    expect((await readyz()).status).toBe(200)
    // Pooled connections exist now: the outages below hit open connections as well as new ones.
    expect(proxy.openConnections()).toBeGreaterThan(0)
  })

  it("database refused (crash, restart): 503 store.unavailable at once, nothing written, then recovery", async () => {
    const before = await rowCounts(direct)
    await proxy.cut()
    const answers = await Promise.all([...Array.from({ length: 4 }, () => gate()), ingest(), ingest()])
    for (const answer of answers) expectUnavailable(answer, REFUSED_ANSWER_BOUND_MS)
    expectUnavailable(await readyz(), REFUSED_ANSWER_BOUND_MS)
    // Liveness does not depend on the database: restarting the process would not help.
    expect((await healthz()).status).toBe(200)
    expectAlive()
    expect(await rowCounts(direct)).toEqual(before)

    await proxy.restore()
    await expectRecovery()
    expectAlive()
  })

  it("database silent (partition, frozen host): 503 within the configured timeout, then recovery", async () => {
    // Warm the pool so some requests wait on connections that are already open (bounded by the
    // query timeout) and others on new ones (bounded by the connection timeout).
    await Promise.all(Array.from({ length: 4 }, () => gate()))
    const before = await rowCounts(direct)
    proxy.blackhole()
    const answers = await Promise.all([...Array.from({ length: 4 }, () => gate()), ingest(), ingest()])
    for (const answer of answers) expectUnavailable(answer, SILENT_ANSWER_BOUND_MS)
    expectUnavailable(await readyz(), SILENT_ANSWER_BOUND_MS)
    // Still unavailable, still bounded, once the pool has given up on every old connection.
    expectUnavailable(await gate(), SILENT_ANSWER_BOUND_MS)
    expectAlive()

    await proxy.restore()
    expect(await rowCounts(direct)).toEqual(before)
    await expectRecovery()
    expectAlive()
  })

  for (const outage of ["cut", "blackhole"] as const) {
    it(`${outage} in the middle of concurrent writes: every answer is 200 or 503, nothing half-written`, async () => {
      releasePrefix = `outage-${outage}-${Date.now()}-`
      const workers = 8
      const successes: Array<{ passportId: string; evaluationId: string }> = []
      const statuses = new Map<number, number>()
      let unavailable = 0
      let stop = false
      const worker = async () => {
        // Each worker stops after its second 503: by then the outage has surely begun for it.
        let seen503 = 0
        while (!stop && seen503 < 2) {
          const answer = await gate()
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
          if (answer.status === 200) {
            successes.push({ passportId: answer.json.passportId, evaluationId: answer.json.evaluationId })
          } else {
            expectUnavailable(answer, outage === "cut" ? REFUSED_ANSWER_BOUND_MS : SILENT_ANSWER_BOUND_MS)
            unavailable++
            seen503++
          }
        }
      }
      const running = Promise.all(Array.from({ length: workers }, worker))
      await new Promise((resolve) => setTimeout(resolve, 400))
      const successesBeforeOutage = successes.length
      if (outage === "cut") await proxy.cut()
      else proxy.blackhole()
      const safety = setTimeout(() => (stop = true), 20_000)
      await running
      clearTimeout(safety)
      expect([...statuses.keys()].filter((status) => status !== 200 && status !== 503), "only 200 and 503").toEqual([])
      expect(successesBeforeOutage).toBeGreaterThan(0)
      expect(unavailable).toBeGreaterThanOrEqual(workers * 2)
      expectAlive()

      await proxy.restore()

      // Every evaluation belongs to a passport that has a stamp for its environment, every
      // passport of this test has at least one evaluation: a transaction either wrote all of
      // its rows or none.
      const passports = await direct.db.selectFrom("passports").select("id")
        .where("release_id", "like", `${releasePrefix}%`).execute()
      const passportIds = passports.map((p) => p.id)
      const evaluations = await direct.db.selectFrom("gate_evaluations").select(["id", "passport_id"])
        .where("passport_id", "in", passportIds).execute()
      const stamps = await direct.db.selectFrom("passport_stamps").select(["passport_id", "evaluation_id"])
        .where("passport_id", "in", passportIds).execute()
      const evaluated = new Set(evaluations.map((e) => e.passport_id))
      expect(passportIds.filter((id) => !evaluated.has(id)), "passports without an evaluation").toEqual([])
      const stamped = new Set(stamps.map((s) => s.passport_id))
      expect(passportIds.filter((id) => !stamped.has(id)), "passports without a stamp").toEqual([])
      const stored = new Set(evaluations.map((e) => e.id))
      expect(successes.filter((s) => !stored.has(s.evaluationId)), "answered 200 but not stored").toEqual([])
      // A commit can reach the database just before the outage while its answer does not come
      // back: at most one such request per worker is stored although its client saw a 503.
      const answered = new Set(successes.map((s) => s.evaluationId))
      const storedUnanswered = evaluations.filter((e) => !answered.has(e.id))
      expect(storedUnanswered.length).toBeLessThanOrEqual(workers)

      await expectRecovery()
      expectAlive()
    }, 60_000)
  }

  it("never prints the database password, and logs no crash", () => {
    const output = server.output()
    expect(output).not.toContain(password)
    expect(output).not.toMatch(/uncaught|unhandled/i)
    expectAlive()
  })

  it("will not start while the database is down: one clear line, non-zero exit, no password", async () => {
    await proxy.cut()
    try {
      const started = performance.now()
      const result = await cli(["serve", "--port", "0", "--database", proxiedUrl], { timeoutMs: 20_000 })
      expect(result.code).not.toBe(0)
      expect(performance.now() - started).toBeLessThan(15_000)
      const output = result.stdout + result.stderr
      expect(output).toContain("cannot reach the database")
      expect(output).not.toContain("listening on")
      expect(output).not.toContain(password)
      expect(output).not.toMatch(/\n\s+at /)
    } finally {
      await proxy.restore()
    }
  })
})
