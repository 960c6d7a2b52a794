import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it, vi } from "vitest"
import { LogBatch, loggingLayer } from "../src/logging.ts"

const token = "ghp_" + "Zq7Wx2".repeat(6)
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe("server logs", () => {
  afterEach(() => vi.restoreAllMocks())

  it("go to stderr, sanitized like evidence: no token or password reaches a log line", async () => {
    const chunks: Array<string> = []
    const log = vi.spyOn(console, "log")
    await Effect.runPromise(
      Effect.logError(`upstream said: bad credentials for https://ci:s3cret-pass@git.example.com (token ${token})`).pipe(
        Effect.provide(loggingLayer((chunk) => chunks.push(chunk)))
      )
    )
    await nextTurn()
    expect(log).not.toHaveBeenCalled()
    expect(chunks).toHaveLength(1)
    const lines = chunks[0]!.split("\n")
    expect(lines).toHaveLength(2) // one line and its newline
    expect(lines[0]).toContain("level=ERROR")
    expect(lines[0]).toContain("[REDACTED:github_token]")
    expect(lines[0]).not.toContain(token)
    expect(lines[0]).not.toContain("s3cret-pass")
  })

  it("the lines of one turn are one write, in order, each sanitized on its own", async () => {
    const chunks: Array<string> = []
    await Effect.runPromise(
      Effect.gen(function*() {
        yield* Effect.logInfo("first: nothing secret here")
        yield* Effect.logWarning(`second: ${token}`)
        yield* Effect.logInfo("third: password=hunter2-but-longer")
      }).pipe(Effect.provide(loggingLayer((chunk) => chunks.push(chunk))))
    )
    expect(chunks).toHaveLength(0) // not before the turn ends
    await nextTurn()
    expect(chunks).toHaveLength(1)
    const lines = chunks[0]!.trimEnd().split("\n")
    expect(lines.map((line) => /message="?(\w+):/.exec(line)?.[1])).toEqual(["first", "second", "third"])
    expect(lines[0]).toContain("nothing secret here")
    expect(lines[1]).toContain("[REDACTED:github_token]")
    expect(chunks[0]).not.toContain(token)
    expect(chunks[0]).not.toContain("hunter2-but-longer")
  })

  it("a batch is flushed once per turn and an empty flush writes nothing", async () => {
    const chunks: Array<string> = []
    const batch = new LogBatch((chunk) => chunks.push(chunk))
    batch.flush()
    expect(chunks).toEqual([])
    batch.add("a=1")
    batch.add("b=2")
    await nextTurn()
    batch.add("c=3")
    await nextTurn()
    expect(chunks).toEqual(["a=1\nb=2\n", "c=3\n"])
  })

  it("a line logged just before process.exit still reaches stderr, sanitized", () => {
    // A real process: the batch's exit flush is what writes the line, nothing else would.
    const logging = fileURLToPath(new URL("../src/logging.ts", import.meta.url))
    const script = `import { Effect } from "effect"
import { loggingLayer } from ${JSON.stringify(logging)}
await Effect.runPromise(Effect.logError("last words ${token}").pipe(Effect.provide(loggingLayer())))
process.exit(3)`
    const child = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
      timeout: 30_000
    })
    expect(child.status, child.stderr).toBe(3)
    expect(child.stderr).toMatch(/level=ERROR .*last words \[REDACTED:github_token\]/)
    expect(child.stderr).not.toContain(token)
  })
})
