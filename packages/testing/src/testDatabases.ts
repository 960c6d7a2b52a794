import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import pg from "pg"

/**
 * The databases every store test and black-box test runs against: SQLite in a temp dir,
 * and PostgreSQL on a real server in a fresh schema. `ADAPTERS=sqlite,postgres` filters.
 * Without a reachable PostgreSQL the suites say plainly that they skipped it; with
 * `CI=true` that is a failure instead, so CI cannot go green on SQLite alone.
 */
export interface TestDatabase {
  readonly adapter: "sqlite" | "postgres"
  /** The URL a server or CLI is given (`--database`). */
  readonly url: string
  readonly drop: () => Promise<void>
}

export const POSTGRES_URL = process.env["RELEASEPASSPORT_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

const wanted = (process.env["ADAPTERS"] ?? "sqlite,postgres").split(",").map((s) => s.trim()).filter(Boolean)

let postgresReachable: Promise<string | undefined> | undefined
/** undefined when reachable, else why not. */
const checkPostgres = () =>
  (postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 })
    client.on("error", () => undefined)
    try {
      await client.connect()
      await client.query("select 1")
      return undefined
    } catch (error) {
      return error instanceof Error ? error.message : String(error)
    } finally {
      await client.end().catch(() => undefined)
    }
  })())

export interface AdapterChoice {
  readonly adapter: "sqlite" | "postgres"
  /** Why this adapter is skipped, or undefined when it runs. */
  readonly skip: string | undefined
  readonly create: () => Promise<TestDatabase>
}

const withSearchPath = (url: string, schema: string) => {
  const parsed = new URL(url)
  parsed.searchParams.set("options", `-c search_path=${schema}`)
  return parsed.toString()
}

const sqlite = (): Promise<TestDatabase> => {
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-test-"))
  return Promise.resolve({
    adapter: "sqlite",
    url: `sqlite:${path.join(dir, "releasepassport.db")}`,
    drop: async () => rmSync(dir, { recursive: true, force: true })
  })
}

const postgres = async (): Promise<TestDatabase> => {
  const schema = `rp_test_${randomBytes(6).toString("hex")}`
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  try {
    await admin.query(`create schema ${schema}`)
  } finally {
    await admin.end()
  }
  return {
    adapter: "postgres",
    url: withSearchPath(POSTGRES_URL, schema),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL })
      await client.connect()
      try {
        await client.query(`drop schema if exists ${schema} cascade`)
      } finally {
        await client.end()
      }
    }
  }
}

export const adapterChoices = async (): Promise<ReadonlyArray<AdapterChoice>> => {
  const choices: Array<AdapterChoice> = []
  if (wanted.includes("sqlite")) choices.push({ adapter: "sqlite", skip: undefined, create: sqlite })
  if (wanted.includes("postgres")) {
    const unreachable = await checkPostgres()
    if (unreachable !== undefined && process.env["CI"] === "true") {
      throw new Error(`PostgreSQL at ${POSTGRES_URL} is unreachable in CI (${unreachable}); CI must not skip it`)
    }
    if (unreachable !== undefined) {
      console.warn(`\n*** SKIPPING PostgreSQL: ${POSTGRES_URL} is unreachable (${unreachable}).`)
      console.warn("*** Set RELEASEPASSPORT_TEST_POSTGRES_URL, or ADAPTERS=sqlite to silence this.\n")
    }
    choices.push({ adapter: "postgres", skip: unreachable, create: postgres })
  }
  return choices
}
