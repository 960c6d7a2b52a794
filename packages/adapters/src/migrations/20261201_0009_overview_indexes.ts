import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/**
 * The console's overview counts a workspace's evaluations per day and lists its newest ones;
 * without this index both walk every evaluation of the installation.
 */
export const overviewIndexes = (_t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.createIndex("gate_evaluations_workspace_evaluated").on("gate_evaluations")
      .columns(["workspace_id", "evaluated_at", "id"]).execute()
  }
})
