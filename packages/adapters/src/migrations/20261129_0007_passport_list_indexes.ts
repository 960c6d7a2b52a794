import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/**
 * The console filters passports by namespace or service most of all; without these the list
 * walks every passport of the workspace in update order to find a sparse namespace's rows
 * (bench:reads: the filtered page cost ~9x the session check on SQLite).
 */
export const passportListIndexes = (_t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.createIndex("passports_workspace_namespace_updated").on("passports")
      .columns(["workspace_id", "service_namespace", "updated_at", "id"]).execute()
    await db.schema.createIndex("passports_workspace_service_updated").on("passports")
      .columns(["workspace_id", "service_name", "updated_at", "id"]).execute()
  }
})
