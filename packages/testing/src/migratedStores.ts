import { makeStores, migrateToLatest, openDatabase } from "@releasepassport/adapters"
import type { SqlDatabase, Stores, Tables } from "@releasepassport/adapters"
import type { AdapterChoice, TestDatabase } from "./testDatabases.ts"

export interface MigratedStores {
  readonly testDb: TestDatabase
  readonly database: SqlDatabase<Tables>
  readonly stores: Stores
}

/** A fresh database of the chosen adapter, migrated, with every store over it. */
export const openMigratedStores = async (choice: AdapterChoice): Promise<MigratedStores> => {
  const testDb = await choice.create()
  const database = await openDatabase(testDb.url)
  const report = await migrateToLatest(database)
  if (report.failed !== undefined) throw new Error(`migration failed on ${choice.adapter}: ${report.failed.message}`)
  return { testDb, database, stores: makeStores(database) }
}

export const closeMigratedStores = async (opened: Partial<MigratedStores>): Promise<void> => {
  await opened.database?.close()
  await opened.testDb?.drop()
}
