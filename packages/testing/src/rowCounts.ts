import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import { sql } from "kysely"

/**
 * Row counts of every table: "nothing was written" is these being equal before and after.
 * Only the tables of the database's own schema: on a PostgreSQL shared by several test runs,
 * Kysely's introspection lists every schema's tables, including tables this build has never heard of.
 */
export const rowCounts = async (database: SqlDatabase<Tables>): Promise<Record<string, number>> => {
  const all = await database.db.introspection.getTables()
  const current = all.some((t) => t.schema !== undefined)
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db)).rows[0]?.schema
    : undefined
  const tables = all
    .filter((t) => current === undefined || t.schema === undefined || t.schema === current)
    .map((t) => t.name)
    .filter((n) => !n.startsWith("kysely_"))
  const counts: Record<string, number> = {}
  for (const table of tables.sort()) {
    const row = await database.db.selectFrom(table as keyof Tables).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()
    counts[table] = Number(row.n)
  }
  return counts
}
