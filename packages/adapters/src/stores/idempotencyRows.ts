import { IdempotencyKeyReused } from "@releasepassport/core"
import type { IdempotencyClaim } from "@releasepassport/core"
import { Effect } from "effect"
import type { Kysely, Transaction } from "kysely"
import type { Tables } from "../schema.ts"
import type { SqlRunner } from "./SqlRunner.ts"

/**
 * The `Idempotency-Key` rows every keyed route shares (`idempotency_keys`, scoped by workspace
 * and route). A store claims the key first thing in its write transaction, writes, and stores
 * its answer before committing, so the answer is visible exactly when the writes are.
 */
export interface IdempotentScope {
  readonly workspaceId: string
  readonly now: Date
}

const windowStart = (scope: IdempotentScope, claim: IdempotencyClaim) => new Date(scope.now.getTime() - claim.windowMs).toISOString()

const selectKey = (db: Kysely<Tables> | Transaction<Tables>, scope: IdempotentScope, claim: IdempotencyClaim) =>
  db.selectFrom("idempotency_keys").select(["request_hash", "response"]).where("workspace_id", "=", scope.workspaceId)
    .where("route", "=", claim.route).where("idempotency_key", "=", claim.key)

/**
 * Claims the key inside `trx`: undefined when this request is the first (the caller writes,
 * then `rememberAnswer`), the first answer when it is a replay, `IdempotencyKeyReused` when the
 * key was claimed for another request. Keys of the workspace older than the window go first.
 */
export const claimIdempotencyKey = (sql: SqlRunner, trx: Transaction<Tables>, scope: IdempotentScope, claim: IdempotencyClaim) =>
  Effect.gen(function*() {
    yield* sql.attempt(() =>
      trx.deleteFrom("idempotency_keys").where("workspace_id", "=", scope.workspaceId)
        .where("created_at", "<", windowStart(scope, claim)).execute()
    )
    // A concurrent request with the same key waits here for the first one to commit.
    const claimed = yield* sql.attempt(() =>
      trx.insertInto("idempotency_keys").values({
        workspace_id: scope.workspaceId,
        route: claim.route,
        idempotency_key: claim.key,
        request_hash: claim.requestHash,
        response: null,
        created_at: scope.now.toISOString()
      }).onConflict((oc) => oc.columns(["workspace_id", "route", "idempotency_key"]).doNothing()).executeTakeFirst()
    )
    if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 1) return undefined
    const existing = yield* sql.attempt(() => selectKey(trx, scope, claim).executeTakeFirstOrThrow())
    if (existing.request_hash !== claim.requestHash) return yield* new IdempotencyKeyReused({ key: claim.key })
    return { answer: sql.traits.readJson(existing.response) }
  })

/** Stores the first answer under the key this transaction claimed. */
export const rememberAnswer = (sql: SqlRunner, trx: Transaction<Tables>, scope: IdempotentScope, claim: IdempotencyClaim, answer: unknown) =>
  sql.attempt(() =>
    trx.updateTable("idempotency_keys").set({ response: JSON.stringify(answer) })
      .where("workspace_id", "=", scope.workspaceId).where("route", "=", claim.route)
      .where("idempotency_key", "=", claim.key).execute()
  ).pipe(Effect.asVoid)

/** Gives back a key this transaction claimed but wrote nothing under (the attempt is retried). */
export const releaseClaim = (sql: SqlRunner, trx: Transaction<Tables>, scope: IdempotentScope, claim: IdempotencyClaim) =>
  sql.attempt(() =>
    trx.deleteFrom("idempotency_keys").where("workspace_id", "=", scope.workspaceId).where("route", "=", claim.route)
      .where("idempotency_key", "=", claim.key).execute()
  ).pipe(Effect.asVoid)

/**
 * Reads only, outside any transaction: the committed first answer to a key within its window
 * (undefined when there is none), or `IdempotencyKeyReused` for another request's key.
 */
export const readAnswer = (sql: SqlRunner, scope: IdempotentScope, claim: IdempotencyClaim) =>
  Effect.gen(function*() {
    const existing = yield* sql.query((db) => selectKey(db, scope, claim).where("created_at", ">=", windowStart(scope, claim)).executeTakeFirst())
    if (existing === undefined) return undefined
    if (existing.request_hash !== claim.requestHash) return yield* new IdempotencyKeyReused({ key: claim.key })
    // (An answer is stored in the transaction that claimed the key, so a committed row has one.)
    return existing.response === null ? undefined : { answer: sql.traits.readJson(existing.response) }
  })
