import { spawn } from "node:child_process"
import http from "node:http"
import net from "node:net"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { adapterChoices, BIN, cli, POSTGRES_URL, REPO } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

/**
 * A request that arrives while the server starts is answered (served, or 503 server.starting)
 * or refused; it is never left without an answer. Each probe has its own deadline, so a hang
 * shows as a probe that timed out, not as a test that never ends.
 */

const choices = await adapterChoices()
const sqlite = choices.find((choice) => choice.adapter === "sqlite")!
const postgres = choices.find((choice) => choice.adapter === "postgres")

const KYSELY_MIGRATION_LOCK = "3853314791062309107"

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = net.createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as net.AddressInfo).port
      probe.close(() => resolve(port))
    })
  })

type Probe =
  | { readonly kind: "answered"; readonly status: number; readonly code: string | undefined; readonly retryAfter: string | undefined }
  | { readonly kind: "refused" }
  | { readonly kind: "hung" }
  | { readonly kind: "other"; readonly error: string }

/** One GET on a fresh connection (no keep-alive pool), bounded by `deadlineMs`. */
const probe = (port: number, path: string, deadlineMs = 3000) =>
  new Promise<Probe>((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path, agent: false }, (response) => {
      let body = ""
      response.on("data", (chunk: Buffer) => (body += chunk.toString()))
      response.on("end", () => {
        clearTimeout(timer)
        let code: string | undefined
        try {
          code = JSON.parse(body).code
        } catch {
          code = undefined
        }
        resolve({ kind: "answered", status: response.statusCode ?? 0, code, retryAfter: response.headers["retry-after"] })
      })
    })
    const timer = setTimeout(() => {
      request.destroy()
      resolve({ kind: "hung" })
    }, deadlineMs)
    request.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      resolve(error.code === "ECONNREFUSED" ? { kind: "refused" } : { kind: "other", error: `${error.code}: ${error.message}` })
    })
  })

/** `releasepassport serve` on a chosen port (startServer picks its own), stopped by the cleanups. */
const serveOn = (port: number, database: string, cleanups: Array<() => Promise<unknown>>) => {
  const child = spawn(process.execPath, [BIN, "serve", "--port", String(port), "--database", database], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const listening = new Promise<boolean>((resolve) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      if (/listening on/.test(output)) resolve(true)
    })
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.once("exit", () => resolve(false))
  })
  cleanups.push(() =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done(undefined)
      child.once("exit", done)
      child.kill("SIGTERM")
    })
  )
  return { listening, output: () => output }
}

const acceptable = (result: Probe) =>
  result.kind === "refused" ||
  (result.kind === "answered" && (result.status === 200 || (result.status === 503 && result.code === "server.starting")))

describe("requests during start-up", () => {
  const cleanups: Array<() => Promise<unknown>> = []
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  it("SQLite: probes from spawn until listening are all answered or refused, never left hanging", async () => {
    const db = await sqlite.create()
    cleanups.push(() => db.drop())
    const port = await freePort()
    const server = serveOn(port, db.url, cleanups)
    let listening = false
    void server.listening.then((value) => (listening = value))
    const results: Array<Probe> = []
    const deadline = Date.now() + 30_000
    // Probes overlap (a new one every 5 ms, each on its own connection), so some land in every
    // phase: before listen, between listen and the application, and after.
    const inFlight: Array<Promise<void>> = []
    while (!listening && Date.now() < deadline) {
      inFlight.push(probe(port, "/releasepassport/v1/healthz").then((result) => void results.push(result)))
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await Promise.all(inFlight)
    expect(listening, server.output()).toBe(true)
    expect(results.length).toBeGreaterThan(10)
    expect(results.filter((result) => !acceptable(result))).toEqual([])
    const after = await probe(port, "/releasepassport/v1/healthz")
    expect(after).toMatchObject({ kind: "answered", status: 200 })
  }, 60_000)

  it.skipIf(postgres === undefined || postgres.skip !== undefined)(
    "PostgreSQL: while the migration waits on its lock the listener answers 503 server.starting, then serves",
    async () => {
      const db: TestDatabase = await postgres!.create()
      cleanups.push(() => db.drop())
      // Holding Kysely's migration lock keeps the server between "bound" and "built" for as
      // long as the test likes: the window in which requests used to hang.
      const holder = new pg.Client({ connectionString: POSTGRES_URL })
      holder.on("error", () => undefined)
      await holder.connect()
      cleanups.push(() => holder.end())
      await holder.query(`select pg_advisory_lock(${KYSELY_MIGRATION_LOCK})`)
      const port = await freePort()
      const server = serveOn(port, db.url, cleanups)
      let bound: Probe = { kind: "refused" }
      const deadline = Date.now() + 20_000
      while (bound.kind === "refused" && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        bound = await probe(port, "/releasepassport/v1/healthz")
      }
      expect(bound).toEqual({ kind: "answered", status: 503, code: "server.starting", retryAfter: "1" })
      // Every kind of request, not only health checks, while it still waits.
      const during = await Promise.all([
        probe(port, "/releasepassport/v1/readyz"),
        probe(port, "/releasepassport/v1/openapi.json"),
        probe(port, "/nowhere")
      ])
      for (const result of during) expect(result).toMatchObject({ kind: "answered", status: 503, code: "server.starting" })
      await holder.query(`select pg_advisory_unlock(${KYSELY_MIGRATION_LOCK})`)
      expect(await server.listening, server.output()).toBe(true)
      expect(await probe(port, "/releasepassport/v1/healthz")).toMatchObject({ kind: "answered", status: 200 })
    },
    60_000
  )
})

describe("start failures", () => {
  it("EADDRINUSE: one clear line on stderr, no stack trace, exit 2", async () => {
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const port = (blocker.address() as net.AddressInfo).port
    try {
      const db = await sqlite.create()
      const result = await cli(["serve", "--port", String(port), "--database", db.url])
      await db.drop()
      expect(result.code).toBe(2)
      const lines = result.stderr.trim().split("\n")
      expect(lines, result.stderr).toHaveLength(1)
      expect(lines[0]).toBe(`releasepassport: cannot listen on 127.0.0.1:${port}: the address is already in use (is another server running? choose another --port)`)
      expect(result.stderr).not.toMatch(/\bat \S+ \(|node:internal/)
    } finally {
      blocker.close()
    }
  }, 30_000)

  it("a database that cannot be opened: one line, exit 2", async () => {
    const result = await cli(["serve", "--port", "0", "--database", "sqlite:/nonexistent-dir/for/sure/rp.db"])
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split("\n"), result.stderr).toHaveLength(1)
    expect(result.stderr).toMatch(/^releasepassport: /)
  }, 30_000)
})
