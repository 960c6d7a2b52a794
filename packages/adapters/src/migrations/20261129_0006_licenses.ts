import type { Kysely } from "kysely"
import { sql } from "kysely"
import type { Migration } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"

/**
 * Installed licenses, one row per installation: the newest is in force, older ones stay as
 * history. The document is the signed license as installed; the other columns were read
 * from it at installation, for listing only (the status always verifies the document again).
 */
export const licenses = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    const ts = sql.raw(t.timestamp)
    await db.schema
      .createTable("licenses")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("license_id", "text", (c) => c.notNull())
      .addColumn("customer", "text", (c) => c.notNull())
      .addColumn("plan", "text", (c) => c.notNull())
      .addColumn("expires_at", ts, (c) => c.notNull())
      .addColumn("document", "text", (c) => c.notNull())
      .addColumn("installed_at", ts, (c) => c.notNull())
      .execute()
    await db.schema.createIndex("licenses_installed").on("licenses").columns(["installed_at", "id"]).execute()
  }
})
