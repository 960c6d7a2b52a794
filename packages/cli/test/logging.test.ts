import { Effect } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import { loggingLayer } from "../src/logging.ts"

describe("server logs", () => {
  afterEach(() => vi.restoreAllMocks())

  it("go to stderr, sanitized like evidence: no token or password reaches a log line", async () => {
    const lines: Array<string> = []
    vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)))
    const log = vi.spyOn(console, "log")
    const token = "ghp_" + "Zq7Wx2".repeat(6)
    await Effect.runPromise(
      Effect.logError(`upstream said: bad credentials for https://ci:s3cret-pass@git.example.com (token ${token})`).pipe(
        Effect.provide(loggingLayer())
      )
    )
    expect(log).not.toHaveBeenCalled()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain("level=ERROR")
    expect(lines[0]).toContain("[REDACTED:github_token]")
    expect(lines[0]).not.toContain(token)
    expect(lines[0]).not.toContain("s3cret-pass")
  })
})
