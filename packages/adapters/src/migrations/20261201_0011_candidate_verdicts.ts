import { sql } from "kysely"
import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/**
 * A workspace's candidate bundle is evaluated in shadow beside the active one on every gate:
 * its verdict, findings and revision are kept with the evaluation (null without a candidate),
 * so a team sees on real traffic what switching would change.
 */
export const candidateVerdicts = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable("gate_evaluations").addColumn("candidate", sql.raw(t.json)).execute()
  }
})
