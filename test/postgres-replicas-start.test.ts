import { openDatabase } from "@releasepassport/adapters"
import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import { sql } from "kysely"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { adapterChoices, cli, passingGateRequest, POSTGRES_URL, startServer } from "@releasepassport/testing"
import type { CliResult, RunningServer, TestDatabase } from "@releasepassport/testing"

/**
 * Several replicas starting at once on one fresh PostgreSQL schema: three `migrate` and three
 * `serve` processes together. Kysely's migrator serializes them with an advisory lock; the
 * schema must come out complete and exactly once. A neighbouring schema in the same database,
 * already migrated, makes sure the migrator looks at our schema and not at someone else's
 * bookkeeping tables (it did: a second schema in one database could not be migrated at all).
 */

const postgres = (await adapterChoices()).find((choice) => choice.adapter === "postgres")

// The key of Kysely's PostgreSQL migration lock (pg_advisory_lock, database-wide), from
// kysely/dist/dialect/postgres/postgres-adapter.js. The test holds it while the six processes
// start, so that all of them reach it together however the machine schedules them; if Kysely
// ever changes the key, the wait for six waiters below fails and says so.
const KYSELY_MIGRATION_LOCK = "3853314791062309107"

const schemaOf = (url: string) => /search_path=(\w+)/.exec(decodeURIComponent(new URL(url).searchParams.get("options") ?? ""))?.[1]

const tablesIn = async (database: SqlDatabase<Tables>, schema: string) =>
  (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${schema} order by 1`
    .execute(database.db)).rows.map((row) => row.name)

const migrationsIn = async (database: SqlDatabase<Tables>, schema: string) =>
  (await sql<{ name: string }>`select name from ${sql.id(schema, "kysely_migration")} order by name`.execute(database.db)).rows
    .map((row) => row.name)

describe.skipIf(postgres === undefined || postgres.skip !== undefined)("replicas starting at once on one PostgreSQL", () => {
  const databases: Array<TestDatabase> = []
  const servers: Array<RunningServer> = []
  let direct: SqlDatabase<Tables> | undefined

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
    await direct?.close()
    for (const database of databases) await database.drop()
  })

  it("3 migrate and 3 serve processes together: all succeed, the schema is complete once, one default workspace", async () => {
    const neighbour = await postgres!.create()
    databases.push(neighbour)
    const fresh = await postgres!.create()
    databases.push(fresh)
    const neighbourMigrated = await cli(["migrate", "--database", neighbour.url])
    expect(neighbourMigrated.code, neighbourMigrated.stderr).toBe(0)

    const holder = new pg.Client({ connectionString: POSTGRES_URL })
    holder.on("error", () => undefined)
    await holder.connect()
    let started: Array<PromiseSettledResult<CliResult | RunningServer>>
    let endedEarly = 0
    let waitingAtOnce = 0
    try {
      await holder.query(`select pg_advisory_lock(${KYSELY_MIGRATION_LOCK})`)
      let settled = 0
      const starting = Promise.allSettled(
        [
          ...Array.from({ length: 3 }, () => cli(["migrate", "--database", fresh.url], { timeoutMs: 60_000 })),
          ...Array.from({ length: 3 }, () => startServer({ database: fresh.url }))
        ].map((promise) => promise.finally(() => settled++))
      )
      // Every process has created or found the bookkeeping tables (concurrently, unlocked in
      // Kysely) and now waits on the lock; or one has already failed, which the checks below report.
      let waiting = 0
      const deadline = Date.now() + 45_000
      while (waiting < 6 && settled === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        const { rows } = await holder.query<{ n: string }>(
          `select count(*) as n from pg_locks where locktype = 'advisory' and not granted
             and ((classid::bigint << 32) | objid::bigint) = ${KYSELY_MIGRATION_LOCK}`
        )
        waiting = Number(rows[0]?.n ?? 0)
      }
      endedEarly = settled
      waitingAtOnce = waiting
      await holder.query(`select pg_advisory_unlock(${KYSELY_MIGRATION_LOCK})`)
      started = await starting
    } finally {
      await holder.end()
    }
    for (const outcome of started) {
      if (outcome.status === "fulfilled" && "url" in outcome.value) servers.push(outcome.value)
    }
    expect(endedEarly, "a process ended before reaching the migration lock").toBe(0)
    expect(waitingAtOnce, "all six processes waiting on Kysely's migration lock at once").toBeGreaterThanOrEqual(6)
    for (const outcome of started) {
      expect(outcome.status, outcome.status === "rejected" ? String(outcome.reason) : "").toBe("fulfilled")
    }
    const migrations = started.slice(0, 3).map((outcome) => (outcome as PromiseFulfilledResult<CliResult>).value)
    for (const result of migrations) expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(servers).toHaveLength(3)

    // Exactly one process applied the migrations; the others waited on the lock and found
    // nothing left to do.
    const outputs = [...migrations.map((result) => result.stdout + result.stderr), ...servers.map((server) => server.output())]
    const appliers = outputs.filter((output) => /applied( migrations:)? \d{8}_/.test(output))
    expect(appliers, outputs.join("\n---\n")).toHaveLength(1)

    direct = await openDatabase(fresh.url)
    const freshSchema = schemaOf(fresh.url)!
    const neighbourSchema = schemaOf(neighbour.url)!
    expect(await tablesIn(direct, freshSchema)).toEqual(await tablesIn(direct, neighbourSchema))
    const applied = await migrationsIn(direct, freshSchema)
    expect(applied.length).toBeGreaterThan(0)
    expect(applied).toEqual(await migrationsIn(direct, neighbourSchema))
    const workspaces = await direct.db.selectFrom("workspaces").select(["id", "slug"]).execute()
    expect(workspaces).toEqual([{ id: "ws_default", slug: "default" }])

    // And every replica serves.
    const created = await cli(["token", "create", "--database", fresh.url, "--scope", "gate:evaluate", "--name", "replicas"])
    expect(created.code, created.stderr).toBe(0)
    const token = created.stdout.trim()
    for (const server of servers) {
      const response = await fetch(`${server.url}/releasepassport/v1/gate/evaluate`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(passingGateRequest()),
        signal: AbortSignal.timeout(10_000)
      })
      expect(response.status, await response.clone().text()).toBe(200)
      expect(await response.json()).toMatchObject({ verdict: "pass" })
    }
  }, 90_000)
})
