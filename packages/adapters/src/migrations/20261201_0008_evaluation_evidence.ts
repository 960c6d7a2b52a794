import { sql } from "kysely"
import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/**
 * The gate now reads its facts, evaluates outside any transaction, then records. An evidence
 * write can land in between, so each evaluation keeps the ids of the evidence versions it was
 * decided on: the passport then shows which evidence a verdict saw and which came after.
 * Null for evaluations recorded before this migration.
 */
export const evaluationEvidence = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable("gate_evaluations").addColumn("evidence_ids", sql.raw(t.json)).execute()
  }
})
