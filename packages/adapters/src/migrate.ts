import { Migrator } from "kysely/migration"
import { migrationProvider } from "./migrations/index.ts"
import type { SqlDatabase } from "./SqlTraits.ts"

export interface MigrationReport {
  readonly applied: ReadonlyArray<string>
  readonly failed?: { readonly migration: string | undefined; readonly message: string }
}

/**
 * Brings the schema up to date. Safe when several replicas start at once: Kysely's
 * migrator holds a database lock (an advisory lock on PostgreSQL) while it runs.
 * Reports the outcome as a value; it does not throw for a failed migration.
 */
export const migrateToLatest = async (database: SqlDatabase<any>): Promise<MigrationReport> => {
  const migrator = new Migrator({
    db: database.db,
    provider: migrationProvider(database.traits.columnTypes)
  })
  const { error, results = [] } = await migrator.migrateToLatest()
  const applied = results.filter((r) => r.status === "Success").map((r) => r.migrationName)
  if (error === undefined) return { applied }
  return {
    applied,
    failed: {
      migration: results.find((r) => r.status === "Error")?.migrationName,
      message: error instanceof Error ? error.message : String(error)
    }
  }
}
