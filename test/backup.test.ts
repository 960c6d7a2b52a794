import { openDatabase } from "@releasepassport/adapters"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, BASE, cli, createToken, passingGateRequest, rawPost, rowCounts, startServer } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"

/**
 * `releasepassport backup --to FILE`: SQLite's online backup, taken while the server keeps
 * answering gates, and a server started on the copy serves the same data (the restore).
 */
const choices = await adapterChoices()
const sqlite = choices.find((c) => c.adapter === "sqlite")!
const postgres = choices.find((c) => c.adapter === "postgres")

describe.skipIf(sqlite === undefined)("backup (sqlite)", () => {
  let testDb: TestDatabase
  let server: RunningServer
  let dir: string
  let token: string
  const gate = (url: string) => rawPost(`${url}${BASE}/gate/evaluate`, JSON.stringify(passingGateRequest()), { authorization: `Bearer ${token}` })

  beforeAll(async () => {
    testDb = await sqlite.create()
    dir = mkdtempSync(path.join(tmpdir(), "releasepassport-backup-"))
    expect((await cli(["migrate", "--database", testDb.url])).code).toBe(0)
    token = (await createToken(testDb.url, "--workspace", "default", "--scope", "gate:evaluate")).value
    server = await startServer({ database: testDb.url })
    for (let i = 0; i < 20; i++) expect((await gate(server.url)).status).toBe(200)
  })
  afterAll(async () => {
    await server?.stop()
    await testDb?.drop()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("copies a consistent database while gates keep being written, and the copy serves", async () => {
    const file = path.join(dir, "copy.db")
    // Writes in flight during the copy: the copy is one state, before or after each of them.
    let writing = true
    const writer = (async () => {
      let n = 0
      while (writing) {
        expect((await gate(server.url)).status).toBe(200)
        n++
      }
      return n
    })()
    const result = await cli(["backup", "--database", testDb.url, "--to", file])
    writing = false
    const written = await writer
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/copied \d+ pages to/)

    const copy = await openDatabase(`sqlite:${file}`)
    const original = await openDatabase(testDb.url)
    try {
      const copied = await rowCounts(copy)
      const now = await rowCounts(original)
      expect(copied["gate_evaluations"]).toBeGreaterThanOrEqual(20)
      expect(copied["gate_evaluations"]).toBeLessThanOrEqual(now["gate_evaluations"]!)
      expect(now["gate_evaluations"]).toBe(20 + written)
      // Consistent: every evaluation's passport is in the copy too.
      expect(copied["passport_stamps"]).toBeLessThanOrEqual(copied["gate_evaluations"]!)
      expect(copied["passports"]).toBe(copied["passport_stamps"])
    } finally {
      await copy.close()
      await original.close()
    }

    // The restore: serve the copy. The token issued before the copy works on it.
    const restored = await startServer({ database: `sqlite:${file}` })
    try {
      expect((await gate(restored.url)).status).toBe(200)
    } finally {
      await restored.stop()
    }
  }, 60_000)

  it("never overwrites an existing file", async () => {
    const file = path.join(dir, "taken.db")
    writeFileSync(file, "keep me")
    const result = await cli(["backup", "--database", testDb.url, "--to", file])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("already exists")
  })
})

describe.skipIf(postgres === undefined || postgres.skip !== undefined)("backup (postgres)", () => {
  it("prints the pg_dump steps instead of pretending", async () => {
    const testDb = await postgres!.create()
    try {
      const result = await cli(["backup", "--database", testDb.url, "--to", path.join(tmpdir(), `never-${Date.now()}.db`)])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("pg_dump --format=custom")
      expect(result.stderr).toContain("pg_restore")
    } finally {
      await testDb.drop()
    }
  })
})
