import { SessionStore } from "@releasepassport/core"
import type { Session } from "@releasepassport/core"
import { Effect } from "effect"
import type { SessionRow } from "../schema.ts"
import { newId } from "./ids.ts"
import type { SqlRunner } from "./SqlRunner.ts"

export const makeSessionStore = (sql: SqlRunner): SessionStore["Service"] => {
  const { readTimestamp } = sql.traits
  const toSession = (row: SessionRow): Session => ({
    id: row.id,
    userId: row.user_id,
    createdAt: readTimestamp(row.created_at),
    lastSeenAt: readTimestamp(row.last_seen_at),
    revokedAt: row.revoked_at === null ? null : readTimestamp(row.revoked_at)
  })
  return SessionStore.of({
    create: ({ userId, digest, now }) => {
      const nowIso = now.toISOString()
      const row: SessionRow = {
        id: newId("ses"),
        digest,
        user_id: userId,
        created_at: nowIso,
        last_seen_at: nowIso,
        revoked_at: null
      }
      return sql.query((db) => db.insertInto("sessions").values(row).execute()).pipe(Effect.as(toSession(row)))
    },
    findByDigest: (digest) =>
      sql.query((db) => db.selectFrom("sessions").selectAll().where("digest", "=", digest).executeTakeFirst()).pipe(
        Effect.map((row) => (row === undefined ? undefined : { session: toSession(row), digest: row.digest }))
      ),
    touch: ({ id, now, minIntervalMs }) =>
      sql.query((db) =>
        db.updateTable("sessions").set({ last_seen_at: now.toISOString() }).where("id", "=", id)
          .where("revoked_at", "is", null)
          .where("last_seen_at", "<=", new Date(now.getTime() - minIntervalMs).toISOString())
          .execute()
      ).pipe(Effect.asVoid),
    revoke: ({ id, now }) =>
      sql.query((db) =>
        db.updateTable("sessions").set({ revoked_at: now.toISOString() }).where("id", "=", id)
          .where("revoked_at", "is", null).executeTakeFirst()
      ).pipe(Effect.map((result) => Number(result.numUpdatedRows) === 1)),
    revokeAllForUser: ({ userId, now }) =>
      sql.query((db) =>
        db.updateTable("sessions").set({ revoked_at: now.toISOString() }).where("user_id", "=", userId)
          .where("revoked_at", "is", null).executeTakeFirst()
      ).pipe(Effect.map((result) => Number(result.numUpdatedRows))),
    prune: ({ idleBefore, createdBefore }) =>
      sql.query((db) =>
        db.deleteFrom("sessions").where((eb) =>
          eb.or([
            eb("revoked_at", "is not", null),
            eb("last_seen_at", "<", idleBefore.toISOString()),
            eb("created_at", "<", createdBefore.toISOString())
          ])
        ).executeTakeFirst()
      ).pipe(Effect.map((result) => Number(result.numDeletedRows)))
  })
}
