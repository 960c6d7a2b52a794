import { CommentStore } from "@releasepassport/core"
import type { Comment } from "@releasepassport/core"
import { Effect } from "effect"
import { newId } from "./ids.ts"
import type { SqlRunner } from "./SqlRunner.ts"

export const makeCommentStore = (sql: SqlRunner): CommentStore["Service"] => {
  const { readTimestamp } = sql.traits
  const toComment = (row: {
    id: string
    passport_id: string
    body: string
    created_at: string | Date
    author_id: string
    display_name: string
  }): Comment => ({
    id: row.id,
    passportId: row.passport_id,
    body: row.body,
    author: { id: row.author_id, displayName: row.display_name },
    createdAt: readTimestamp(row.created_at)
  })
  const visible = (db: SqlRunner["db"], input: { readonly workspaceId: string; readonly passportId: string }) =>
    db.selectFrom("comments").innerJoin("users", "users.id", "comments.author_id")
      .select(["comments.id", "comments.passport_id", "comments.body", "comments.created_at", "comments.author_id", "users.display_name"])
      .where("comments.workspace_id", "=", input.workspaceId).where("comments.passport_id", "=", input.passportId)
      .where("comments.deleted_at", "is", null)

  return CommentStore.of({
    add: (input) => {
      const id = newId("cmt")
      return sql.query((db) =>
        db.insertInto("comments").values({
          id,
          workspace_id: input.workspaceId,
          passport_id: input.passportId,
          author_id: input.authorId,
          body: input.body,
          created_at: input.now.toISOString(),
          deleted_at: null
        }).execute()
      ).pipe(
        Effect.flatMap(() => sql.query((db) => visible(db, input).where("comments.id", "=", id).executeTakeFirstOrThrow())),
        Effect.map(toComment)
      )
    },
    list: (input) =>
      sql.query((db) => visible(db, input).orderBy("comments.created_at").orderBy("comments.id").execute()).pipe(
        Effect.map((rows) => rows.map(toComment))
      ),
    find: (input) =>
      sql.query((db) => visible(db, input).where("comments.id", "=", input.id).executeTakeFirst()).pipe(
        Effect.map((row) => (row === undefined ? undefined : toComment(row)))
      ),
    remove: (input) =>
      sql.query((db) =>
        db.updateTable("comments").set({ deleted_at: input.now.toISOString() }).where("id", "=", input.id)
          .where("workspace_id", "=", input.workspaceId).where("passport_id", "=", input.passportId)
          .where("deleted_at", "is", null).executeTakeFirst()
      ).pipe(Effect.map((result) => Number(result.numUpdatedRows) === 1))
  })
}
