import { spawn } from "node:child_process"
import { writeFileSync } from "node:fs"
import net from "node:net"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, BIN, cli, createToken, passingGateRequest, REPO } from "@releasepassport/testing"
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

    it("gate evaluate --timeout 1: gives up after one attempt (a retry after a timeout could record a second evaluation), exit 2", async () => {
      const started = Date.now()
      const result = await cli(["gate", "evaluate", "--url", url, "--file", requestFile, "--timeout", "1", "--retries", "3"], {
        env: { RELEASEPASSPORT_TOKEN: token }
      })
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("no answer from")
      expect(result.stderr).not.toContain("retrying")
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
