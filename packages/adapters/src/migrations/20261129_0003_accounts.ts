import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"
import { sql } from "kysely"
import type { ColumnTypes } from "./ColumnTypes.ts"

/** Console accounts: users, their workspace roles, sessions, and failed sign-in counts. */
export const accounts = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    const ts = sql.raw(t.timestamp)

    await db.schema
      .createTable("users")
      .addColumn("id", "text", (c) => c.primaryKey())
      // Stored normalized (trimmed, lower case), so uniqueness is case-insensitive.
      .addColumn("email", "text", (c) => c.notNull().unique())
      .addColumn("display_name", "text", (c) => c.notNull())
      // Self-describing: algorithm, parameters, salt and hash in one string.
      .addColumn("password_hash", "text", (c) => c.notNull())
      .addColumn("created_at", ts, (c) => c.notNull())
      .addColumn("updated_at", ts, (c) => c.notNull())
      .execute()

    await db.schema
      .createTable("memberships")
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("created_at", ts, (c) => c.notNull())
      .addColumn("updated_at", ts, (c) => c.notNull())
      .addPrimaryKeyConstraint("memberships_pk", ["workspace_id", "user_id"])
      .addCheckConstraint("memberships_role", sql`role in ('owner', 'admin', 'member', 'viewer')`)
      .execute()
    await db.schema.createIndex("memberships_user").on("memberships").column("user_id").execute()

    await db.schema
      .createTable("sessions")
      .addColumn("id", "text", (c) => c.primaryKey())
      // sha256 hex of the cookie value; the value itself is never stored.
      .addColumn("digest", "text", (c) => c.notNull().unique())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
      .addColumn("created_at", ts, (c) => c.notNull())
      .addColumn("last_seen_at", ts, (c) => c.notNull())
      .addColumn("revoked_at", ts)
      .execute()
    await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute()

    // One row per throttled key ("account:<sha256 of email>", "address:<ip or /64>").
    await db.schema
      .createTable("login_throttles")
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("failures", "integer", (c) => c.notNull())
      .addColumn("window_started_at", ts, (c) => c.notNull())
      .addColumn("locked_until", ts)
      .execute()
  }
})
