import { openDatabase } from "@releasepassport/adapters"
import { spawn } from "node:child_process"
import { writeFileSync } from "node:fs"
import http from "node:http"
import net from "node:net"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, BIN, cli, createToken, passingGateRequest, REPO, startServer } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

/** The pipeline commands' --timeout and retries, against a real server that is late, and a peer that never answers. */
const sqlite = (await adapterChoices()).find((choice) => choice.adapter === "sqlite")!

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = net.createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as net.AddressInfo).port
      probe.close(() => resolve(port))
    })
  })

/** What the proxy does with the nth gate request: pass it on, pass it on and hold the answer back, or answer 502 itself. */
type Plan = (n: number) => "forward" | "hold" | "bad-gateway"

/**
 * A reverse proxy on loopback in front of a real server that misbehaves on gate requests as
 * planned, and remembers each one's Idempotency-Key. "hold" forwards the request (the server
 * records it) and keeps the answer back longer than the CLI waits: a timeout after the fact.
 */
const startFlakyProxy = async (target: string, plan: Plan) => {
  const keys: Array<string | undefined> = []
  const hop = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"])
  const proxy = http.createServer(async (request, response) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const gate = request.url?.endsWith("/gate/evaluate") === true
    const action = gate ? plan(keys.push(request.headers["idempotency-key"] as string | undefined)) : "forward"
    if (action === "bad-gateway") {
      response.writeHead(502, { "content-type": "text/plain" }).end("bad gateway")
      return
    }
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !hop.has(name))) as Record<string, string>
    const upstream = await fetch(`${target}${request.url}`, {
      method: request.method!,
      headers,
      ...(request.method === "GET" ? {} : { body: Buffer.concat(chunks) })
    })
    const body = Buffer.from(await upstream.arrayBuffer())
    if (action === "hold") await new Promise((resolve) => setTimeout(resolve, 3000))
    if (response.destroyed) return
    response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" }).end(body)
  })
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    keys,
    close: () => new Promise((done) => proxy.close(done).closeAllConnections())
  }
}

describe("pipeline commands: --timeout and retries", () => {
  let testDb: TestDatabase
  let token: string
  let requestFile: string
  const cleanups: Array<() => Promise<unknown> | void> = []

  beforeAll(async () => {
    testDb = await sqlite.create()
    token = (await createToken(testDb.url, "--scope", "gate:evaluate", "--scope", "evidence:ingest", "--name", "ci")).value
    requestFile = path.join(path.dirname(testDb.url.slice("sqlite:".length)), "gate.json")
    writeFileSync(requestFile, JSON.stringify(passingGateRequest()))
  }, 60_000)
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
    await testDb?.drop()
  })

  it("gate evaluate retries while the server is not there yet, then gets its verdict", async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const evaluating = cli(["gate", "evaluate", "--url", url, "--file", requestFile, "--retries", "6"], {
      env: { RELEASEPASSPORT_TOKEN: token },
      timeoutMs: 90_000
    })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const server = spawn(process.execPath, [BIN, "serve", "--port", String(port), "--database", testDb.url], { cwd: REPO, stdio: "ignore" })
    cleanups.push(() => new Promise((done) => (server.exitCode !== null ? done(undefined) : (server.once("exit", done), server.kill("SIGTERM")))))
    const result = await evaluating
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^ALLOWED/)
    expect(result.stderr).toMatch(/attempt 1 failed: cannot reach http:\/\/127\.0\.0\.1:\d+; retrying in/)
  }, 120_000)

  describe("a peer that accepts connections and never answers", () => {
    let url: string
    beforeAll(async () => {
      const sockets = new Set<net.Socket>()
      const silent = net.createServer((socket) => {
        sockets.add(socket)
        socket.on("error", () => undefined)
      })
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
      url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`
      cleanups.push(() => {
        for (const socket of sockets) socket.destroy()
        return new Promise((done) => silent.close(done))
      })
    })

    it("gate evaluate --timeout 1 --retries 1: retries (it carries an Idempotency-Key), then exit 2", async () => {
      const started = Date.now()
      const result = await cli(["gate", "evaluate", "--url", url, "--file", requestFile, "--timeout", "1", "--retries", "1"], {
        env: { RELEASEPASSPORT_TOKEN: token }
      })
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/attempt 1 failed: no answer from .* in time; retrying in/)
      expect(result.stderr).toContain("(after 2 attempts)")
      expect(Date.now() - started).toBeLessThan(15_000)
    }, 30_000)

    it("evidence ingest --timeout 1 --retries 1: retries (it carries an Idempotency-Key), then exit 2", async () => {
      const result = await cli([
        "evidence", "ingest", "--url", url, "--timeout", "1", "--retries", "1",
        "--source", "ci", "--external-id", "run-1", "--service", "svc", "--namespace", "ns", "--release-id", "r1",
        "--source-sha", "9f3c8b7", "--digest", `sha256:${"ab".repeat(32)}`, "--type", "tests", "--status", "passed"
      ], { env: { RELEASEPASSPORT_TOKEN: token } })
      expect(result.code, result.stderr).toBe(2)
      expect(result.stderr).toMatch(/attempt 1 failed: no answer from .* in time; retrying in/)
      expect(result.stderr).toContain("(after 2 attempts)")
    }, 30_000)
  })

  describe("a gate retry against a real server, through a proxy that fails the first attempt", () => {
    let server: Awaited<ReturnType<typeof startServer>>
    let database: Awaited<ReturnType<typeof openDatabase>>
    beforeAll(async () => {
      server = await startServer({ database: testDb.url })
      database = await openDatabase(testDb.url)
      cleanups.push(() => server.stop(), () => database.close())
    }, 60_000)

    /** Runs `gate evaluate --json` through a proxy with `plan`; its answer, and the passport's evaluations. */
    const gateThrough = async (plan: Plan, extra: ReadonlyArray<string> = []) => {
      const proxy = await startFlakyProxy(server.url, plan)
      cleanups.push(() => proxy.close())
      const file = path.join(path.dirname(testDb.url.slice("sqlite:".length)), `gate-${proxy.keys.length}-${Date.now()}.json`)
      writeFileSync(file, JSON.stringify(passingGateRequest()))
      const result = await cli(["gate", "evaluate", "--url", proxy.url, "--file", file, "--timeout", "1", "--retries", "3", "--json", ...extra], {
        env: { RELEASEPASSPORT_TOKEN: token },
        timeoutMs: 60_000
      })
      expect(result.code, result.stderr).toBe(0)
      const answer = JSON.parse(result.stdout)
      const evaluations = await database.db.selectFrom("gate_evaluations").select("id").where("passport_id", "=", answer.passportId).execute()
      return { result, answer, evaluations, keys: proxy.keys }
    }

    it("after a timeout (the first attempt was recorded): one evaluation, and the answer is that one", async () => {
      const { result, answer, evaluations, keys } = await gateThrough((n) => (n === 1 ? "hold" : "forward"))
      expect(result.stderr).toMatch(/attempt 1 failed: no answer from .* in time; retrying in/)
      expect(evaluations).toEqual([{ id: answer.evaluationId }])
      expect(keys.length).toBeGreaterThanOrEqual(2)
      expect(new Set(keys).size).toBe(1)
      expect(keys[0]).toMatch(/^rp-cli-[0-9a-f-]{36}$/)
    }, 90_000)

    it("after a 502 from the proxy, with the caller's --idempotency-key on every attempt", async () => {
      const { result, answer, evaluations, keys } = await gateThrough((n) => (n === 1 ? "bad-gateway" : "forward"), ["--idempotency-key", "deploy-42-staging"])
      expect(result.stderr).toMatch(/attempt 1 failed: 502: unexpected answer from .*; retrying in/)
      expect(evaluations).toEqual([{ id: answer.evaluationId }])
      expect(keys).toEqual(["deploy-42-staging", "deploy-42-staging"])
    }, 90_000)
  })

  it("a bad --timeout is a usage error: one line and the hint on stderr, exit 2", async () => {
    const result = await cli(["gate", "evaluate", "--url", "http://127.0.0.1:1", "--file", requestFile, "--timeout", "soon"], {
      env: { RELEASEPASSPORT_TOKEN: token }
    })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    const lines = result.stderr.trim().split("\n")
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^releasepassport gate evaluate: .*timeout/)
    expect(lines[1]).toBe("Run 'releasepassport gate evaluate --help' for usage.")
  })
})
