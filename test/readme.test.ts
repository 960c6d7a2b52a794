import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, BIN, REPO, startServer } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"

/**
 * The README (and docs/*.md) as a test: every ```sh runnable block, in order, in one bash with
 * `set -euo pipefail`, against a fresh server, as a reader would paste them. A documented
 * example that stops working fails here.
 */
const FENCE = /^```sh runnable\n([\s\S]*?)^```$/gm

export const runnableBlocks = (markdown: string): Array<string> => [...markdown.matchAll(FENCE)].map((match) => match[1]!)

const documents = [
  path.join(REPO, "README.md"),
  ...readdirSync(path.join(REPO, "docs")).filter((name) => name.endsWith(".md")).sort().map((name) => path.join(REPO, "docs", name))
]

const sqlite = (await adapterChoices()).find((choice) => choice.adapter === "sqlite")!

describe("the README's runnable examples", () => {
  let testDb: TestDatabase
  let server: RunningServer
  let work: string

  beforeAll(async () => {
    testDb = await sqlite.create()
    server = await startServer({ database: testDb.url })
    // A reader's working directory: `npx releasepassport` finds the built command here, as in a
    // checkout (and never asks the registry), and files the examples write land here.
    work = mkdtempSync(path.join(tmpdir(), "releasepassport-readme-"))
    mkdirSync(path.join(work, "node_modules", ".bin"), { recursive: true })
    symlinkSync(BIN, path.join(work, "node_modules", ".bin", "releasepassport"))
    writeFileSync(path.join(work, "package.json"), JSON.stringify({ name: "readme-reader", private: true }))
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    await testDb?.drop()
    if (work !== undefined) rmSync(work, { recursive: true, force: true })
  })

  it("finds the runnable blocks (a renamed fence would silently test nothing)", () => {
    expect(runnableBlocks(readFileSync(documents[0]!, "utf8")).length).toBeGreaterThanOrEqual(4)
  })

  it("runs every runnable block in order, green", async () => {
    const script = documents.flatMap((file) =>
      runnableBlocks(readFileSync(file, "utf8")).map((block, i) => `echo "== ${path.basename(file)} block ${i + 1}" >&2\n${block}`)
    ).join("\n")
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn("bash", ["-c", `set -euo pipefail\n${script}`], {
        cwd: work,
        env: {
          ...process.env,
          PATH: `${path.dirname(process.execPath)}:${process.env["PATH"] ?? ""}`,
          RELEASEPASSPORT_URL: server.url,
          RELEASEPASSPORT_DATABASE_URL: testDb.url,
          RELEASEPASSPORT_TOKEN: undefined,
          npm_config_offline: "true"
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
      const timer = setTimeout(() => child.kill("SIGKILL"), 240_000)
      child.on("close", (code) => {
        clearTimeout(timer)
        resolve({ code, stdout, stderr })
      })
    })
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0)
    // The documented shadow example answers with its real verdict; the pipeline example passes.
    expect(result.stdout).toContain(`"code":"artifact.digest_invalid"`)
    expect(result.stdout).toMatch(/ALLOWED {2}verdict=pass {2}mode=enforce/)
    expect(result.stdout).toContain(`"externalId":"run-123456"`)
  }, 300_000)
})
