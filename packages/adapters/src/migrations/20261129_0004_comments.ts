import type { Kysely } from "kysely"
import { sql } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/** The team's comments on a passport. Deleting keeps the row (audit) and hides it. */
export const comments = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    const ts = sql.raw(t.timestamp)
    await db.schema
      .createTable("comments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("passport_id", "text", (c) => c.notNull().references("passports.id"))
      .addColumn("author_id", "text", (c) => c.notNull().references("users.id"))
      .addColumn("body", "text", (c) => c.notNull())
      .addColumn("created_at", ts, (c) => c.notNull())
      .addColumn("deleted_at", ts)
      .execute()
    await db.schema.createIndex("comments_passport").on("comments").columns(["passport_id", "created_at"]).execute()
  }
})
