import type { SqlDatabase, Tables } from "@releasepassport/adapters"

/** Row counts of every table: "nothing was written" is these being equal before and after. */
export const rowCounts = async (database: SqlDatabase<Tables>): Promise<Record<string, number>> => {
  const tables = (await database.db.introspection.getTables()).map((t) => t.name).filter((n) => !n.startsWith("kysely_"))
  const counts: Record<string, number> = {}
  for (const table of tables.sort()) {
    const row = await database.db.selectFrom(table as keyof Tables).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()
    counts[table] = Number(row.n)
  }
  return counts
}
