import type { EvaluationVerdict, EvidenceFacts, Passport, PassportIdentity } from "@releasepassport/core"
import { Effect } from "effect"
import type { Kysely, QueryCreator, Transaction } from "kysely"
import type { EvidenceRow, GateEvaluationRow, PassportRow, Tables } from "../schema.ts"
import type { SqlTraits } from "../SqlTraits.ts"
import { newId } from "./ids.ts"
import type { SqlRunner } from "./SqlRunner.ts"

/** The verdict columns of a `gate_evaluations` row, read once for the passport store and reports alike. */
export type EvaluationVerdictColumns = Pick<
  GateEvaluationRow,
  "passport_id" | "environment" | "mode" | "verdict" | "allowed" | "would_block" | "blockers" | "warnings" | "policy_revision" | "bundle_digest" | "evaluated_at"
>

export const toEvaluationVerdict = (traits: SqlTraits, row: EvaluationVerdictColumns): EvaluationVerdict => ({
  passportId: row.passport_id,
  environment: row.environment,
  mode: row.mode as EvaluationVerdict["mode"],
  verdict: row.verdict as EvaluationVerdict["verdict"],
  // Number(): a flag read through a join can come back as a string from PostgreSQL.
  allowed: Number(row.allowed) === 1,
  wouldBlock: Number(row.would_block) === 1,
  blockers: traits.readJson(row.blockers) as EvaluationVerdict["blockers"],
  warnings: traits.readJson(row.warnings) as EvaluationVerdict["warnings"],
  policyRevision: row.policy_revision,
  bundleDigest: row.bundle_digest,
  evaluatedAt: traits.readTimestamp(row.evaluated_at)
})

export const toPassport = (traits: SqlTraits, row: PassportRow): Passport => ({
  id: row.id,
  workspaceId: row.workspace_id,
  releaseId: row.release_id,
  artifactDigest: row.artifact_digest,
  sourceSha: row.source_sha,
  service: { namespace: row.service_namespace, name: row.service_name },
  createdAt: traits.readTimestamp(row.created_at),
  updatedAt: traits.readTimestamp(row.updated_at)
})

/** The release's passport, by the identity the unique constraint holds. */
export const selectByIdentity = (db: Kysely<Tables>, identity: Omit<PassportIdentity, "artifactDigest" | "sourceSha" | "now">) =>
  db.selectFrom("passports").selectAll()
    .where("workspace_id", "=", identity.workspaceId)
    .where("service_namespace", "=", identity.service.namespace)
    .where("service_name", "=", identity.service.name)
    .where("release_id", "=", identity.releaseId)

/**
 * Finds or creates the release's passport inside a transaction, without a read-then-write
 * race: the unique identity constraint decides who creates it, and everyone reads it back.
 * With `lockKey`, the transaction also takes that lock (`SqlTraits.lockForTransaction`) before
 * this returns: where the database can, in the statement that reads the passport back.
 */
export const findOrCreatePassport = (
  sql: SqlRunner,
  trx: Transaction<Tables>,
  identity: PassportIdentity,
  id = newId("pp"),
  lockKey?: string
) =>
  Effect.gen(function*() {
    const nowIso = identity.now.toISOString()
    yield* sql.attempt(() =>
      trx.insertInto("passports").values({
        id,
        workspace_id: identity.workspaceId,
        service_namespace: identity.service.namespace,
        service_name: identity.service.name,
        release_id: identity.releaseId,
        artifact_digest: identity.artifactDigest,
        source_sha: identity.sourceSha,
        created_at: nowIso,
        updated_at: nowIso
      }).onConflict((oc) => oc.columns(["workspace_id", "service_namespace", "service_name", "release_id"]).doNothing())
        .execute()
    )
    const lock = lockKey === undefined ? undefined : sql.traits.lockExpression?.(lockKey)
    // The identity is unique and the row was just made sure of: one row, so the lock is taken once.
    const row = yield* sql.attempt(() =>
      selectByIdentity(trx, identity).$if(lock !== undefined, (query) => query.select(lock!.as("locked"))).executeTakeFirstOrThrow()
    )
    if (lockKey !== undefined && lock === undefined) yield* sql.attempt(() => sql.traits.lockForTransaction(trx, lockKey))
    return toPassport(sql.traits, row)
  })

/** Moves a passport's `updated_at` forward (never back): the statement, for a CTE of another. */
export const touchPassportQuery = (db: QueryCreator<Tables>, passportId: string, now: Date) =>
  db.updateTable("passports").set({ updated_at: now.toISOString() }).where("id", "=", passportId)
    .where("updated_at", "<", now.toISOString())

/** Moves a passport's `updated_at` forward (never back). */
export const touchPassport = (sql: SqlRunner, trx: Transaction<Tables>, passportId: string, now: Date) =>
  sql.attempt(() => touchPassportQuery(trx, passportId, now).execute())

/** The evidence columns a policy decides on: what the gate reads of each latest item, nothing more. */
export const EVIDENCE_FACT_COLUMNS = [
  "id", "source", "type", "status", "summary", "artifact_digest", "source_sha", "observed_at", "received_at"
] as const satisfies ReadonlyArray<keyof EvidenceRow>

export const toEvidenceFacts = (traits: SqlTraits, row: Pick<EvidenceRow, (typeof EVIDENCE_FACT_COLUMNS)[number]>): EvidenceFacts => ({
  id: row.id,
  source: row.source,
  type: row.type,
  status: row.status as EvidenceFacts["status"],
  summary: row.summary,
  artifactDigest: row.artifact_digest,
  sourceSha: row.source_sha,
  observedAt: traits.readTimestamp(row.observed_at),
  receivedAt: traits.readTimestamp(row.received_at)
})
