import { TOKEN_TOUCH_INTERVAL_MS, TokenStore } from "@releasepassport/core"
import type { ApiToken, TokenScope } from "@releasepassport/core"
import { Effect } from "effect"
import type { ApiTokenRow } from "../schema.ts"
import { compileOnce } from "./CompiledStatement.ts"
import { newId } from "./ids.ts"
import type { SqlRunner } from "./SqlRunner.ts"

export const makeTokenStore = (sql: SqlRunner): TokenStore["Service"] => {
  const { readTimestamp } = sql.traits
  const toToken = (row: ApiTokenRow): ApiToken => ({
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Array<TokenScope>,
    createdAt: readTimestamp(row.created_at),
    expiresAt: readTimestamp(row.expires_at),
    revokedAt: row.revoked_at === null ? null : readTimestamp(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : readTimestamp(row.last_used_at)
  })
  // Read by every request with a bearer token: compiled once (see CompiledStatement.ts).
  const byDigest = compileOnce(sql.db, ["digest"], (db, slot) => db.selectFrom("api_tokens").selectAll().where("digest", "=", slot.digest))
  return TokenStore.of({
    create: (input) => {
      const row: ApiTokenRow = {
        id: newId("tok"),
        workspace_id: input.workspaceId,
        name: input.name,
        digest: input.digest,
        scopes: JSON.stringify([...input.scopes].sort()),
        created_at: input.now.toISOString(),
        expires_at: input.expiresAt.toISOString(),
        revoked_at: null,
        last_used_at: null
      }
      return sql.query((db) => db.insertInto("api_tokens").values(row).execute()).pipe(Effect.as(toToken(row)))
    },
    findByDigest: (digest) =>
      sql.query((db) => byDigest.run(db, { digest })).pipe(
        Effect.map(({ rows: [row] }) => (row === undefined ? undefined : { token: toToken(row), digest: row.digest }))
      ),
    list: (workspaceId) =>
      sql.query((db) =>
        db.selectFrom("api_tokens").selectAll().where("workspace_id", "=", workspaceId).orderBy("created_at", "desc")
          .orderBy("id", "desc").execute()
      ).pipe(Effect.map((rows) => rows.map(toToken))),
    revoke: ({ workspaceId, id, now }) =>
      sql.query((db) =>
        db.updateTable("api_tokens").set({ revoked_at: now.toISOString() }).where("id", "=", id)
          .where("workspace_id", "=", workspaceId).where("revoked_at", "is", null).executeTakeFirst()
      ).pipe(Effect.map((result) => Number(result.numUpdatedRows) === 1)),
    touch: (id, now) =>
      sql.query((db) =>
        db.updateTable("api_tokens").set({ last_used_at: now.toISOString() }).where("id", "=", id).where((eb) =>
          eb.or([
            eb("last_used_at", "is", null),
            eb("last_used_at", "<", new Date(now.getTime() - TOKEN_TOUCH_INTERVAL_MS).toISOString())
          ])
        ).execute()
      ).pipe(Effect.asVoid)
  })
}
