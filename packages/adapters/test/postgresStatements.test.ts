import { sql } from "kysely"
import type { Kysely } from "kysely"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { openPostgres, StatementNames } from "../src/postgres/PostgresDatabase.ts"
import type { SqlDatabase } from "../src/SqlTraits.ts"
import { adapterChoices } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

describe("statement names", () => {
  it("one name per text, up to the capacity; renewed names are new ones; disabled means none", () => {
    const names = new StatementNames(2)
    const a = names.nameOf("select $1")
    expect(a).toBeDefined()
    expect(names.nameOf("select $1")).toBe(a)
    const b = names.nameOf("select $1, $2")
    expect(b).not.toBe(a)
    expect(names.nameOf("select $1, $2, $3")).toBeUndefined()
    names.renew()
    const renewed = names.nameOf("select $1")
    expect(renewed).toBeDefined()
    expect([a, b]).not.toContain(renewed)
    names.disable()
    expect(names.nameOf("select $1")).toBeUndefined()
    expect(names.enabled).toBe(false)
  })
})

const postgres = (await adapterChoices()).find((choice) => choice.adapter === "postgres")!

/** The statements the pool's one connection has prepared (a query without parameters: unnamed). */
const prepared = async (db: Kysely<unknown>) =>
  (await sql<{ name: string }>`select name from pg_prepared_statements order by name`.execute(db)).rows.map((row) => row.name)

describe.skipIf(postgres.skip !== undefined)("PostgreSQL statements", () => {
  let testDb: TestDatabase
  const opened: Array<SqlDatabase<unknown>> = []
  const open = async (options: { readonly preparedStatements?: boolean } = {}) => {
    const database = await openPostgres<unknown>({ connectionString: testDb.url, maxConnections: 1, ...options })
    opened.push(database)
    return database
  }
  /** Another session, as a migration on another replica would be. */
  const elsewhere = async (statement: string) => {
    const client = new pg.Client({ connectionString: testDb.url })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }

  beforeAll(async () => {
    testDb = await postgres.create()
  })
  afterAll(async () => {
    for (const database of opened) await database.close()
    await testDb.drop()
  })

  it("a statement with parameters is prepared once per connection and then reused", async () => {
    const { db } = await open()
    const before = await prepared(db)
    for (const value of [1, 2, 3]) {
      expect((await sql<{ v: number }>`select ${value}::int + 1 as v`.execute(db)).rows).toEqual([{ v: value + 1 }])
    }
    const after = await prepared(db)
    expect(after.length).toBe(before.length + 1)
  })

  it("unnamed when turned off: nothing is prepared", async () => {
    const { db } = await open({ preparedStatements: false })
    for (const value of [1, 2]) await sql`select ${value}::int as v`.execute(db)
    expect(await prepared(db)).toEqual([])
  })

  it("a table that gains a column under a prepared select * is read again, outside a transaction at once", async () => {
    await elsewhere("create table stale_plan (id int primary key, a text)")
    await elsewhere("insert into stale_plan values (1, 'one')")
    const { db } = await open()
    const read = () => sql<Record<string, unknown>>`select * from stale_plan where id = ${1}`.execute(db)
    expect((await read()).rows).toEqual([{ id: 1, a: "one" }])
    await elsewhere("alter table stale_plan add column b text default 'new'")
    // PostgreSQL refuses the old statement (its result columns changed); it is renamed and sent again.
    expect((await read()).rows).toEqual([{ id: 1, a: "one", b: "new" }])

    await elsewhere("alter table stale_plan add column c int default 3")
    // Inside a transaction the refusal aborted it: that transaction fails, the next one reads.
    await expect(db.transaction().execute((trx) => sql`select * from stale_plan where id = ${1}`.execute(trx)))
      .rejects.toThrow(/cached plan must not change result type/)
    const next = await db.transaction().execute((trx) => sql<Record<string, unknown>>`select * from stale_plan where id = ${1}`.execute(trx))
    expect(next.rows).toEqual([{ id: 1, a: "one", b: "new", c: 3 }])
  })

  it("a statement the connection lost (as behind a pooler) turns naming off and the query still answers", async () => {
    const { db } = await open()
    const read = () => sql<{ v: number }>`select ${7}::int * 6 as v`.execute(db)
    expect((await read()).rows).toEqual([{ v: 42 }])
    expect((await prepared(db)).length).toBeGreaterThan(0)
    // The server forgets it while the client still thinks it is there: the next Bind is refused (26000).
    await sql`deallocate all`.execute(db)
    expect((await read()).rows).toEqual([{ v: 42 }])
    expect(await prepared(db)).toEqual([])
    await sql`select ${1}::int as other`.execute(db)
    expect(await prepared(db)).toEqual([])
  })
})
