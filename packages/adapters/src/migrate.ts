import { Migrator } from "kysely/migration"
import { migrationProvider } from "./migrations/index.ts"
import type { SqlDatabase } from "./SqlTraits.ts"

export interface MigrationReport {
  readonly applied: ReadonlyArray<string>
  readonly failed?: {
    readonly migration: string | undefined
    readonly message: string
    /** The database could not be reached, or went away: the failed migration was rolled back; retry once it is back. */
    readonly unavailable: boolean
  }
}

/**
 * Brings the schema up to date. Safe when several replicas start at once: Kysely's
 * migrator holds a database lock (a session advisory lock on PostgreSQL, database-wide)
 * while it applies migrations, each in a transaction; the others wait, then find nothing to do.
 * Runs without the request-path query timeout, so a long migration or a wait on the lock
 * is not cut short. Reports the outcome as a value; it does not throw for a failed migration.
 */
export const migrateToLatest = (database: SqlDatabase<any>): Promise<MigrationReport> =>
  database.withoutTimeouts(async (db) => {
    let schema: string | undefined
    try {
      schema = await database.traits.migrationTableSchema(db)
    } catch (error) {
      return failure([], undefined, error, database)
    }
    const migrator = new Migrator({
      db,
      provider: migrationProvider(database.traits.columnTypes),
      ...(schema !== undefined ? { migrationTableSchema: schema } : {})
    })
    const { error, results = [] } = await migrator.migrateToLatest()
    const applied = results.filter((r) => r.status === "Success").map((r) => r.migrationName)
    if (error === undefined) return { applied }
    return failure(applied, results.find((r) => r.status === "Error")?.migrationName, error, database)
  })

const failure = (
  applied: ReadonlyArray<string>,
  migration: string | undefined,
  error: unknown,
  database: SqlDatabase<any>
): MigrationReport => ({
  applied,
  failed: {
    migration,
    message: error instanceof Error ? error.message : String(error),
    unavailable: database.traits.isUnavailable(error)
  }
})
