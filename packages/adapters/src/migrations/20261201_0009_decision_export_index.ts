import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/**
 * Reports walk a workspace's evaluations in time order, a page at a time (keyset on
 * evaluated_at, id); without this index every page would scan and sort the workspace's
 * evaluations. The console's overview (counts per day, recent evaluations of a workspace) reads
 * through the same index.
 */
export const decisionExportIndex = (_t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.createIndex("gate_evaluations_workspace_evaluated").on("gate_evaluations")
      .columns(["workspace_id", "evaluated_at", "id"]).execute()
  }
})
