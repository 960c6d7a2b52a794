import { WorkspaceSlugTaken, WorkspaceStore } from "@releasepassport/core"
import type { Workspace } from "@releasepassport/core"
import { Effect } from "effect"
import type { WorkspaceRow } from "../schema.ts"
import { newId } from "./ids.ts"
import type { SqlRunner } from "./SqlRunner.ts"

export const makeWorkspaceStore = (sql: SqlRunner): WorkspaceStore["Service"] => {
  const toWorkspace = (row: WorkspaceRow): Workspace => ({
    id: row.id,
    slug: row.slug,
    name: row.name,
    createdAt: sql.traits.readTimestamp(row.created_at)
  })
  return WorkspaceStore.of({
    create: ({ slug, name, now }) => {
      const row: WorkspaceRow = { id: newId("ws"), slug, name, created_at: now.toISOString() }
      return sql.query((db) =>
        db.insertInto("workspaces").values(row).onConflict((oc) => oc.column("slug").doNothing()).executeTakeFirst()
      ).pipe(
        Effect.flatMap((result) =>
          Number(result.numInsertedOrUpdatedRows ?? 0) === 1
            ? Effect.succeed(toWorkspace(row))
            : Effect.fail(new WorkspaceSlugTaken({ slug }))
        )
      )
    },
    findBySlug: (slug) =>
      sql.query((db) => db.selectFrom("workspaces").selectAll().where("slug", "=", slug).executeTakeFirst()).pipe(
        Effect.map((row) => (row === undefined ? undefined : toWorkspace(row)))
      ),
    findById: (id) =>
      sql.query((db) => db.selectFrom("workspaces").selectAll().where("id", "=", id).executeTakeFirst()).pipe(
        Effect.map((row) => (row === undefined ? undefined : toWorkspace(row)))
      ),
    list: sql.query((db) => db.selectFrom("workspaces").selectAll().orderBy("slug").execute()).pipe(
      Effect.map((rows) => rows.map(toWorkspace))
    )
  })
}
