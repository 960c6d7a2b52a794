import { UserEmailTaken, UserStore } from "@releasepassport/core"
import type { Membership, Role, User } from "@releasepassport/core"
import { Effect } from "effect"
import type { UserRow } from "../schema.ts"
import { newId } from "./ids.ts"
import type { SqlRunner } from "./SqlRunner.ts"

/** The columns a `User` is made of: the password hash is selected only by `findCredentials`. */
const USER_COLUMNS = ["users.id", "users.email", "users.display_name", "users.created_at", "users.updated_at"] as const

export const makeUserStore = (sql: SqlRunner): UserStore["Service"] => {
  const { readTimestamp } = sql.traits
  const toUser = (row: Omit<UserRow, "password_hash">): User => ({
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    createdAt: readTimestamp(row.created_at),
    updatedAt: readTimestamp(row.updated_at)
  })

  const findOne = (column: "id" | "email", value: string) =>
    sql.query((db) => db.selectFrom("users").select(USER_COLUMNS).where(column, "=", value).executeTakeFirst()).pipe(
      Effect.map((row) => (row === undefined ? undefined : toUser(row)))
    )

  return UserStore.of({
    create: ({ email, displayName, passwordHash, membership, now }) => {
      const nowIso = now.toISOString()
      const row: UserRow = {
        id: newId("usr"),
        email,
        display_name: displayName,
        password_hash: passwordHash,
        created_at: nowIso,
        updated_at: nowIso
      }
      return sql.transaction((trx) =>
        Effect.gen(function*() {
          const inserted = yield* sql.attempt(() =>
            trx.insertInto("users").values(row).onConflict((oc) => oc.column("email").doNothing()).executeTakeFirst()
          )
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) return yield* new UserEmailTaken({ email })
          yield* sql.attempt(() =>
            trx.insertInto("memberships").values({
              workspace_id: membership.workspaceId,
              user_id: row.id,
              role: membership.role,
              created_at: nowIso,
              updated_at: nowIso
            }).execute()
          )
          return toUser(row)
        })
      )
    },
    findById: (id) => findOne("id", id),
    findByEmail: (email) => findOne("email", email),
    findCredentials: (email) =>
      sql.query((db) => db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst()).pipe(
        Effect.map((row) => (row === undefined ? undefined : { user: toUser(row), passwordHash: row.password_hash }))
      ),
    setPasswordHash: ({ userId, passwordHash, now }) =>
      sql.query((db) =>
        db.updateTable("users").set({ password_hash: passwordHash, updated_at: now.toISOString() }).where("id", "=", userId)
          .execute()
      ).pipe(Effect.asVoid),
    setMembership: ({ userId, workspaceId, role, now }) =>
      sql.transaction((trx) =>
        Effect.gen(function*() {
          const nowIso = now.toISOString()
          const existing = yield* sql.attempt(() =>
            trx.selectFrom("memberships").select("role").where("workspace_id", "=", workspaceId)
              .where("user_id", "=", userId).executeTakeFirst()
          )
          if (existing?.role === role) return "unchanged" as const
          // An upsert, so that two admins adding the same person at once cannot collide.
          yield* sql.attempt(() =>
            trx.insertInto("memberships").values({
              workspace_id: workspaceId,
              user_id: userId,
              role,
              created_at: nowIso,
              updated_at: nowIso
            }).onConflict((oc) => oc.columns(["workspace_id", "user_id"]).doUpdateSet({ role, updated_at: nowIso }))
              .execute()
          )
          return existing === undefined ? "added" as const : "changed" as const
        })
      ),
    removeMembership: ({ userId, workspaceId }) =>
      sql.query((db) =>
        db.deleteFrom("memberships").where("workspace_id", "=", workspaceId).where("user_id", "=", userId)
          .executeTakeFirst()
      ).pipe(Effect.map((result) => Number(result.numDeletedRows) === 1)),
    memberships: (userId) =>
      sql.query((db) =>
        db.selectFrom("memberships").innerJoin("workspaces", "workspaces.id", "memberships.workspace_id")
          .select([
            "memberships.role",
            "workspaces.id",
            "workspaces.slug",
            "workspaces.name",
            "workspaces.created_at"
          ]).where("memberships.user_id", "=", userId).orderBy("workspaces.slug").execute()
      ).pipe(Effect.map((rows) =>
        rows.map((row): Membership => ({
          role: row.role as Role,
          workspace: { id: row.id, slug: row.slug, name: row.name, createdAt: readTimestamp(row.created_at) }
        }))
      )),
    members: (workspaceId) =>
      sql.query((db) =>
        db.selectFrom("memberships").innerJoin("users", "users.id", "memberships.user_id")
          .select([...USER_COLUMNS, "memberships.role"]).where("memberships.workspace_id", "=", workspaceId)
          .orderBy("users.email").execute()
      ).pipe(Effect.map((rows) => rows.map((row) => ({ user: toUser(row), role: row.role as Role }))))
  })
}
