import { sql } from "kysely"
import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/**
 * Policy bundles per workspace. `policy_bundles` keeps every uploaded bundle (validated before
 * it was stored), identified by its digest within the workspace. `policy_pointers` holds one
 * row per workspace that ever chose a bundle: which one decides and which is in shadow; replicas
 * poll it, so it stays one small row per workspace. `policy_changes` records every move of a
 * pointer (who, when, from which digest to which).
 */
export const policyBundles = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    const ts = sql.raw(t.timestamp)
    await db.schema
      .createTable("policy_bundles")
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("digest", "text", (c) => c.notNull())
      .addColumn("revision", "text", (c) => c.notNull())
      .addColumn("size_bytes", "integer", (c) => c.notNull())
      .addColumn("bytes", sql.raw(t.binary), (c) => c.notNull())
      .addColumn("uploaded_by", "text", (c) => c.notNull())
      .addColumn("uploaded_at", ts, (c) => c.notNull())
      .addPrimaryKeyConstraint("policy_bundles_pk", ["workspace_id", "digest"])
      .execute()
    await db.schema
      .createTable("policy_pointers")
      .addColumn("workspace_id", "text", (c) => c.primaryKey().references("workspaces.id"))
      .addColumn("active_digest", "text")
      .addColumn("candidate_digest", "text")
      .addColumn("changed_at", ts, (c) => c.notNull())
      .execute()
    await db.schema
      .createTable("policy_changes")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("from_digest", "text")
      .addColumn("to_digest", "text")
      .addColumn("changed_by", "text", (c) => c.notNull())
      .addColumn("changed_at", ts, (c) => c.notNull())
      .execute()
    await db.schema.createIndex("policy_changes_workspace").on("policy_changes").columns(["workspace_id", "changed_at", "id"]).execute()
  }
})
