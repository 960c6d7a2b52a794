import type { SqlDatabase, Tables } from "@releasepassport/adapters"

/** Row counts of every table: "nothing was written" is these being equal before and after. */
export const rowCounts = async (database: SqlDatabase<Tables>): Promise<Record<string, number>> => {
  // PostgreSQL lists the tables of every schema; only this database's own (the search path's) count.
  const own = await database.traits.migrationTableSchema(database.db)
  const tables = (await database.db.introspection.getTables())
    .filter((t) => own === undefined || t.schema === undefined || t.schema === own)
    .map((t) => t.name).filter((n) => !n.startsWith("kysely_"))
  const counts: Record<string, number> = {}
  for (const table of tables.sort()) {
    const row = await database.db.selectFrom(table as keyof Tables).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()
    counts[table] = Number(row.n)
  }
  return counts
}
