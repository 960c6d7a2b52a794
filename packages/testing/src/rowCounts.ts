import type { SqlDatabase, Tables } from "@releasepassport/adapters"

/**
 * The tables of this database. On PostgreSQL the introspection reads every schema, and other
 * test runs create and drop theirs meanwhile (a race that fails with "schema does not exist"),
 * so only the catalog rows of the schema on the search path are read.
 */
export const tableNames = async (database: SqlDatabase<Tables>): Promise<Array<string>> => {
  if (database.traits.columnTypes.timestamp !== "timestamptz") {
    return (await database.db.introspection.getTables()).map((t) => t.name).filter((n) => !n.startsWith("kysely_")).sort()
  }
  // The catalog is not part of the application's table types.
  const db = database.db as unknown as { selectFrom: (table: string) => any }
  const rows: Array<{ tablename: string }> = await db.selectFrom("pg_catalog.pg_tables").select("tablename")
    .where("schemaname", "=", (eb: any) => eb.fn("current_schema", [])).execute()
  return rows.map((r) => r.tablename).filter((n) => !n.startsWith("kysely_")).sort()
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
