import { sql } from "kysely"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { openSqlite } from "../src/sqlite/SqliteDatabase.ts"

const dirs: Array<string> = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
const fileIn = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-checkpoints-"))
  dirs.push(dir)
  return path.join(dir, "rp.db")
}

const autocheckpoint = async (db: any) =>
  (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)).rows[0]?.wal_autocheckpoint

/** About 2 MB through the WAL, in 200 commits, as a busy server writes. */
const writeMuch = async (db: any) => {
  await sql`create table filler (id integer primary key, body text not null)`.execute(db)
  for (let i = 0; i < 200; i++) {
    await db.transaction().execute((trx: any) => sql`insert into filler (body) values (${"x".repeat(10_000)})`.execute(trx))
  }
}

describe("SQLite WAL checkpoints", () => {
  it("a server's connection never checkpoints in a commit; its own thread moves the WAL into the file", async () => {
    const filename = fileIn()
    const database = await openSqlite<any>({ filename, backgroundCheckpoints: true })
    try {
      expect(await autocheckpoint(database.db)).toBe(0)
      const before = statSync(filename).size
      await writeMuch(database.db)
      // Nothing here checkpoints: the file grows only when the checkpoint thread copies the frames.
      const deadline = Date.now() + 5000
      while (statSync(filename).size < before + 1_500_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(statSync(filename).size).toBeGreaterThanOrEqual(before + 1_500_000)
      expect((await sql<{ n: number }>`select count(*) as n from filler`.execute(database.db)).rows[0]?.n).toBe(200)
    } finally {
      await database.close()
    }
    // Closed, thread and all: the file opens again with every row.
    const again = await openSqlite<any>({ filename })
    try {
      expect((await sql<{ n: number }>`select count(*) as n from filler`.execute(again.db)).rows[0]?.n).toBe(200)
    } finally {
      await again.close()
    }
  })

  it("other connections (the CLI's) keep SQLite's own checkpoints in commits", async () => {
    const database = await openSqlite<any>({ filename: fileIn() })
    try {
      expect(await autocheckpoint(database.db)).toBe(1000)
    } finally {
      await database.close()
    }
  })
})
