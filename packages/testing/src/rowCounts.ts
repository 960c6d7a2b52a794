import type { SqlDatabase, Tables } from "@releasepassport/adapters"

/**
 * The tables of this database. On PostgreSQL the introspection lists every schema's tables,
 * including other test runs' (which come and go), so only the schema on the search path counts.
 */
export const tableNames = async (database: SqlDatabase<Tables>): Promise<Array<string>> => {
  const current = database.traits.columnTypes.timestamp === "timestamptz"
    ? (await database.db.selectNoFrom((eb) => eb.fn<string>("current_schema", []).as("s")).executeTakeFirstOrThrow()).s
    : undefined
  return (await database.db.introspection.getTables())
    .filter((t) => current === undefined || t.schema === current)
    .map((t) => t.name).filter((n) => !n.startsWith("kysely_")).sort()
}

/** Row counts of every table: "nothing was written" is these being equal before and after. */
export const rowCounts = async (database: SqlDatabase<Tables>): Promise<Record<string, number>> => {
  const counts: Record<string, number> = {}
  for (const table of await tableNames(database)) {
    const row = await database.db.selectFrom(table as keyof Tables).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()
    counts[table] = Number(row.n)
  }
  return counts
}
