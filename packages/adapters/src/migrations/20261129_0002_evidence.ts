import type { Kysely } from "kysely"
import { sql } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/**
 * Evidence: one row per version of an item (identity: workspace + source + external id +
 * type). A new version is written only when the content changes; `is_latest` marks the one
 * policies see. Idempotency keys remember the first answer to a keyed request.
 */
export const evidence = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    const ts = sql.raw(t.timestamp)
    const json = sql.raw(t.json)

    await db.schema
      .createTable("evidence")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("passport_id", "text", (c) => c.notNull().references("passports.id"))
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("external_id", "text", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("is_latest", "integer", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("summary", "text", (c) => c.notNull())
      .addColumn("url", "text")
      .addColumn("details", json)
      .addColumn("private", "integer", (c) => c.notNull())
      .addColumn("artifact_digest", "text", (c) => c.notNull())
      .addColumn("source_sha", "text", (c) => c.notNull())
      // Set when the item names another digest / source sha than its passport: kept, flagged,
      // and a blocker for the policies; the passport's own identity is never overwritten.
      .addColumn("digest_mismatch", "integer", (c) => c.notNull())
      .addColumn("sha_mismatch", "integer", (c) => c.notNull())
      .addColumn("content_hash", "text", (c) => c.notNull())
      .addColumn("redactions", "integer", (c) => c.notNull())
      .addColumn("observed_at", ts, (c) => c.notNull())
      .addColumn("received_at", ts, (c) => c.notNull())
      .addColumn("token_id", "text")
      .addUniqueConstraint("evidence_identity_version", ["workspace_id", "source", "external_id", "type", "version"])
      .execute()
    await db.schema.createIndex("evidence_passport_latest").on("evidence").columns(["passport_id", "is_latest"]).execute()
    await db.schema.createIndex("evidence_passport_received").on("evidence").columns(["passport_id", "received_at"])
      .execute()
    await db.schema.createIndex("evidence_identity_latest").on("evidence").columns([
      "workspace_id",
      "source",
      "external_id",
      "type",
      "is_latest"
    ]).execute()

    await db.schema
      .createTable("idempotency_keys")
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("route", "text", (c) => c.notNull())
      .addColumn("idempotency_key", "text", (c) => c.notNull())
      .addColumn("request_hash", "text", (c) => c.notNull())
      .addColumn("response", json)
      .addColumn("created_at", ts, (c) => c.notNull())
      .addPrimaryKeyConstraint("idempotency_keys_pk", ["workspace_id", "route", "idempotency_key"])
      .execute()
    await db.schema.createIndex("idempotency_keys_created").on("idempotency_keys").columns(["workspace_id", "created_at"])
      .execute()
  }
})
