import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"
import { sql } from "kysely"
import type { ColumnTypes } from "./ColumnTypes.ts"

/** Workspaces, API tokens, passports and every gate evaluation. */
export const gate = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    const ts = sql.raw(t.timestamp)
    const json = sql.raw(t.json)

    await db.schema
      .createTable("workspaces")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("slug", "text", (c) => c.notNull().unique())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("created_at", ts, (c) => c.notNull())
      .execute()

    // Every installation starts with one workspace, so a token can be made right after migrate.
    await db.insertInto("workspaces").values({
      id: "ws_default",
      slug: "default",
      name: "Default",
      created_at: new Date().toISOString()
    }).execute()

    await db.schema
      .createTable("api_tokens")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("digest", "text", (c) => c.notNull().unique())
      .addColumn("scopes", "text", (c) => c.notNull())
      .addColumn("created_at", ts, (c) => c.notNull())
      .addColumn("expires_at", ts, (c) => c.notNull())
      .addColumn("revoked_at", ts)
      .addColumn("last_used_at", ts)
      .execute()
    await db.schema.createIndex("api_tokens_workspace").on("api_tokens").column("workspace_id").execute()

    await db.schema
      .createTable("passports")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("service_namespace", "text", (c) => c.notNull())
      .addColumn("service_name", "text", (c) => c.notNull())
      .addColumn("release_id", "text", (c) => c.notNull())
      .addColumn("artifact_digest", "text", (c) => c.notNull())
      .addColumn("source_sha", "text", (c) => c.notNull())
      .addColumn("created_at", ts, (c) => c.notNull())
      .addColumn("updated_at", ts, (c) => c.notNull())
      // Passport identity: one per workspace + service + release.
      .addUniqueConstraint("passports_identity", ["workspace_id", "service_namespace", "service_name", "release_id"])
      .execute()
    await db.schema.createIndex("passports_workspace_updated").on("passports").columns([
      "workspace_id",
      "updated_at",
      "id"
    ]).execute()

    await db.schema
      .createTable("gate_evaluations")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("passport_id", "text", (c) => c.notNull().references("passports.id"))
      .addColumn("environment", "text", (c) => c.notNull())
      .addColumn("mode", "text", (c) => c.notNull())
      .addColumn("verdict", "text", (c) => c.notNull())
      .addColumn("allowed", "integer", (c) => c.notNull())
      .addColumn("would_block", "integer", (c) => c.notNull())
      .addColumn("blockers", json, (c) => c.notNull())
      .addColumn("warnings", json, (c) => c.notNull())
      .addColumn("policy_revision", "text", (c) => c.notNull())
      .addColumn("bundle_digest", "text", (c) => c.notNull())
      .addColumn("request", json, (c) => c.notNull())
      .addColumn("token_id", "text")
      .addColumn("evaluated_at", ts, (c) => c.notNull())
      .addColumn("duration_ms", "real", (c) => c.notNull())
      .execute()
    await db.schema.createIndex("gate_evaluations_passport").on("gate_evaluations").columns([
      "passport_id",
      "evaluated_at"
    ]).execute()

    // The latest verdict per environment ("stamp"), kept so lists need not scan evaluations.
    await db.schema
      .createTable("passport_stamps")
      .addColumn("passport_id", "text", (c) => c.notNull().references("passports.id"))
      .addColumn("environment", "text", (c) => c.notNull())
      .addColumn("evaluation_id", "text", (c) => c.notNull())
      .addColumn("verdict", "text", (c) => c.notNull())
      .addColumn("mode", "text", (c) => c.notNull())
      .addColumn("blocker_count", "integer", (c) => c.notNull())
      .addColumn("evaluated_at", ts, (c) => c.notNull())
      .addPrimaryKeyConstraint("passport_stamps_pk", ["passport_id", "environment"])
      .execute()
  }
})
