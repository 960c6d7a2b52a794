import type { Kysely } from "kysely"
import { sql } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/**
 * Connectors: every evidence source of a workspace, declared ahead of time by an admin or
 * first seen in a batch. Their health is derived from what arrives: the last accepted and
 * last batch, and refused requests (kept a week, for the 24-hour count).
 */
export const connectors = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    const ts = sql.raw(t.timestamp)
    await db.schema
      .createTable("connectors")
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("display_name", "text")
      .addColumn("expected_interval_seconds", "integer")
      .addColumn("environments", "text", (c) => c.notNull())
      .addColumn("declared", "integer", (c) => c.notNull())
      .addColumn("last_seen_at", ts)
      .addColumn("last_batch_at", ts)
      .addColumn("last_batch_outcome", "text")
      .addColumn("last_batch_detail", "text")
      .addColumn("rejected_total", "integer", (c) => c.notNull())
      .addColumn("created_at", ts, (c) => c.notNull())
      .addColumn("updated_at", ts, (c) => c.notNull())
      .addPrimaryKeyConstraint("connectors_pk", ["workspace_id", "source"])
      .execute()
    await db.schema
      .createTable("connector_rejections")
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("code", "text", (c) => c.notNull())
      .addColumn("rejected_at", ts, (c) => c.notNull())
      .execute()
    await db.schema.createIndex("connector_rejections_source").on("connector_rejections").columns([
      "workspace_id",
      "source",
      "rejected_at"
    ]).execute()
    // Items per source in the last 24 hours, for every connector of a workspace at once.
    await db.schema.createIndex("evidence_workspace_source_received").on("evidence").columns([
      "workspace_id",
      "source",
      "received_at"
    ]).execute()
  }
})
