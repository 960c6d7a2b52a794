import net from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, cli, createToken, passingGateRequest, rawPost, signIn, startServer } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"

/**
 * RELEASEPASSPORT_LOG_FORMAT=json: every line the process writes is one JSON object (pino),
 * the start-up line and fatal errors included, with one access line per request.
 */
const JSON_LOGS = { RELEASEPASSPORT_LOG_FORMAT: "json" }
const PASSWORD = "correct horse battery staple"

interface LogLine {
  readonly level: string
  readonly time: string
  readonly message: string
  readonly [field: string]: unknown
}

const parseLines = (output: string): Array<LogLine> =>
  output.split("\n").filter((line) => line.trim() !== "").map((line) => {
    const parsed = JSON.parse(line) as LogLine
    expect(typeof parsed, line).toBe("object")
    expect(typeof parsed.level, line).toBe("string")
    expect(Number.isNaN(Date.parse(parsed.time)), line).toBe(false)
    expect(typeof parsed.message, line).toBe("string")
    return parsed
  })

const sqlite = (await adapterChoices()).find((choice) => choice.adapter === "sqlite")!

describe("JSON logs", () => {
  let testDb: TestDatabase
  let server: RunningServer
  let token: { value: string; id: string }

  beforeAll(async () => {
    testDb = await sqlite.create()
    token = await createToken(testDb.url, "--scope", "gate:evaluate", "--name", "ci")
    const user = await cli(["user", "create", "--database", testDb.url, "--email", "ops@example.com", "--workspace", "default", "--role", "viewer"], {
      input: `${PASSWORD}\n`
    })
    expect(user.code, user.stderr).toBe(0)
    server = await startServer({ database: testDb.url, env: JSON_LOGS })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    await testDb?.drop()
  })

  /** Waits until the server has written the access line of `requestId`. */
  const accessLine = async (requestId: string) => {
    const deadline = Date.now() + 5000
    for (;;) {
      const line = parseLines(server.output()).find((l) => l.message === "request" && l.requestId === requestId)
      if (line !== undefined || Date.now() > deadline) return line
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  it("every line is one JSON object, the listening line included", () => {
    const lines = parseLines(server.output())
    const listening = lines.find((line) => line.message.startsWith("releasepassport listening on "))
    expect(listening).toMatchObject({ level: "info", url: server.url })
  })

  it("an access line per request: the caller's well-formed request id, echoed; route, status, duration, token id; never the token", async () => {
    const answer = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(passingGateRequest()), {
      authorization: `Bearer ${token.value}`,
      "x-request-id": "deploy-42.step:7"
    })
    expect(answer.status, answer.text).toBe(200)
    expect(answer.headers.get("x-request-id")).toBe("deploy-42.step:7")
    const line = await accessLine("deploy-42.step:7")
    expect(line).toMatchObject({
      level: "info",
      method: "POST",
      route: "/releasepassport/v1/gate/evaluate",
      status: 200,
      tokenId: token.id
    })
    expect(typeof line!.durationMs).toBe("number")
    expect(server.output()).not.toContain(token.value)
  })

  it("a malformed request id is replaced by a generated one, which is echoed and logged; the path is logged as its route", async () => {
    const secretPath = `/releasepassport/v1/passports/ghp_${"a1B2".repeat(9)}`
    const response = await fetch(`${server.url}${secretPath}`, { headers: { "x-request-id": "no spaces allowed\tor tabs" } })
    const echoed = response.headers.get("x-request-id")
    expect(echoed).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    const line = await accessLine(echoed!)
    expect(line).toMatchObject({ method: "GET", route: "/releasepassport/v1/passports/:id", status: response.status })
    expect(server.output()).not.toContain("ghp_")
    expect(server.output()).not.toContain("no spaces allowed")
  })

  it("a signed-in user's requests carry the user id", async () => {
    const session = await signIn(server.url, "ops@example.com", PASSWORD)
    const response = await fetch(`${server.url}/releasepassport/v1/auth/session`, {
      headers: { cookie: `releasepassport_session=${session.cookie}`, "x-request-id": "console-1" }
    })
    expect(response.status).toBe(200)
    const line = await accessLine("console-1")
    expect(line).toMatchObject({ route: "/releasepassport/v1/auth/session", status: 200 })
    expect(line!.userId).toMatch(/^usr_/)
    expect(server.output()).not.toContain(session.cookie)
    expect(server.output()).not.toContain(PASSWORD)
  })

  it("a fatal start error is one JSON line too (EADDRINUSE), exit 2", async () => {
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const port = (blocker.address() as net.AddressInfo).port
    try {
      const result = await cli(["serve", "--port", String(port), "--database", testDb.url], { env: JSON_LOGS })
      expect(result.code).toBe(2)
      expect(result.stdout).toBe("")
      const lines = parseLines(result.stderr)
      expect(lines.at(-1)).toMatchObject({ level: "fatal", message: expect.stringContaining("the address is already in use") })
    } finally {
      blocker.close()
    }
  }, 30_000)

  it("usage errors are JSON lines with the hint", async () => {
    const result = await cli(["gate", "evaluate", "--no-such-flag"], { env: JSON_LOGS })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    const [line, ...rest] = parseLines(result.stderr)
    expect(rest).toEqual([])
    expect(line).toMatchObject({ level: "error", hint: "Run 'releasepassport gate evaluate --help' for usage." })
  })
})
