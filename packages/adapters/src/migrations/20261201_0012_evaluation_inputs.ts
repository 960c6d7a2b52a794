import { sql } from "kysely"
import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/**
 * Each evaluation keeps the exact policy input it was decided on (built from sanitized evidence,
 * so it holds nothing the passport does not), so a past decision can be replayed faithfully
 * against another bundle. Null for evaluations recorded before this migration (not replayable).
 */
export const evaluationInputs = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable("gate_evaluations").addColumn("policy_input", sql.raw(t.json)).execute()
  }
})
