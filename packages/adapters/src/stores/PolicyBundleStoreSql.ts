import { PolicyBundleStore } from "@releasepassport/core"
import type { PolicyChange, ReplayableEvaluation, ShadowedEvaluation, StoredPolicyBundle, WorkspacePolicyPointers } from "@releasepassport/core"
import { Effect } from "effect"
import type { Kysely } from "kysely"
import type { GateEvaluationRow, PolicyBundleRow, PolicyChangeRow, PolicyPointerRow, Tables } from "../schema.ts"
import { POLICY_CHANGES_CHANNEL } from "../SqlTraits.ts"
import { newId } from "./ids.ts"
import type { SqlRunner } from "./SqlRunner.ts"

const FACTS = ["workspace_id", "digest", "revision", "size_bytes", "uploaded_by", "uploaded_at"] as const
const DECIDED = ["id", "passport_id", "environment", "evaluated_at", "verdict", "blockers", "policy_revision"] as const
const REPLAYABLE = [...DECIDED, "policy_input"] as const
const SHADOWED = [...DECIDED, "candidate"] as const

export const makePolicyBundleStore = (sql: SqlRunner): PolicyBundleStore["Service"] => {
  const { readTimestamp } = sql.traits
  const toStored = (row: Omit<PolicyBundleRow, "bytes">): StoredPolicyBundle => ({
    workspaceId: row.workspace_id,
    digest: row.digest,
    revision: row.revision,
    sizeBytes: Number(row.size_bytes),
    uploadedBy: row.uploaded_by,
    uploadedAt: readTimestamp(row.uploaded_at)
  })
  const toChange = (row: PolicyChangeRow): PolicyChange => ({
    kind: row.kind,
    fromDigest: row.from_digest,
    toDigest: row.to_digest,
    changedBy: row.changed_by,
    changedAt: readTimestamp(row.changed_at)
  })
  const toPointers = (workspaceId: string, row: Pick<PolicyPointerRow, "active_digest" | "candidate_digest"> | undefined): WorkspacePolicyPointers => ({
    workspaceId,
    activeDigest: row?.active_digest ?? undefined,
    candidateDigest: row?.candidate_digest ?? undefined
  })

  /** What the active policy decided: shared by the shadowed and the replayable views of a row. */
  const toDecided = (row: Pick<GateEvaluationRow, (typeof DECIDED)[number]>) => ({
    evaluationId: row.id,
    passportId: row.passport_id,
    environment: row.environment,
    evaluatedAt: readTimestamp(row.evaluated_at),
    verdict: row.verdict as ReplayableEvaluation["verdict"],
    blockers: sql.traits.readJson(row.blockers) as ReplayableEvaluation["blockers"],
    revision: row.policy_revision
  })
  const toReplayable = (row: Pick<GateEvaluationRow, (typeof REPLAYABLE)[number]>): ReplayableEvaluation => ({
    ...toDecided(row),
    policyInput: sql.traits.readJson(row.policy_input) as ReplayableEvaluation["policyInput"]
  })
  const toShadowed = (row: Pick<GateEvaluationRow, (typeof SHADOWED)[number]>): ShadowedEvaluation => ({
    ...toDecided(row),
    candidate: sql.traits.readJson(row.candidate) as ShadowedEvaluation["candidate"]
  })

  const replayableIn = (
    db: Kysely<Tables>,
    window: { readonly workspaceId: string; readonly since: Date; readonly until: Date; readonly environment?: string | undefined }
  ) => {
    const query = db.selectFrom("gate_evaluations")
      .where("workspace_id", "=", window.workspaceId)
      .where("evaluated_at", ">=", window.since.toISOString())
      .where("evaluated_at", "<", window.until.toISOString())
      .where("policy_input", "is not", null)
    return window.environment === undefined ? query : query.where("environment", "=", window.environment)
  }

  return PolicyBundleStore.of({
    save: (input) =>
      Effect.gen(function*() {
        const inserted = yield* sql.query((db) =>
          db.insertInto("policy_bundles").values({
            workspace_id: input.workspaceId,
            digest: input.digest,
            revision: input.revision,
            size_bytes: input.bytes.byteLength,
            bytes: input.bytes,
            uploaded_by: input.uploadedBy,
            uploaded_at: input.now.toISOString()
          }).onConflict((oc) => oc.columns(["workspace_id", "digest"]).doNothing()).executeTakeFirst()
        )
        const row = yield* sql.query((db) =>
          db.selectFrom("policy_bundles").select(FACTS)
            .where("workspace_id", "=", input.workspaceId).where("digest", "=", input.digest)
            .executeTakeFirstOrThrow()
        )
        return { bundle: toStored(row), created: Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0 }
      }),
    bytes: ({ workspaceId, digest }) =>
      sql.query((db) =>
        db.selectFrom("policy_bundles").select("bytes")
          .where("workspace_id", "=", workspaceId).where("digest", "=", digest).executeTakeFirst()
      ).pipe(Effect.map((row) => (row === undefined ? undefined : new Uint8Array(row.bytes)))),
    list: (workspaceId) =>
      sql.query((db) =>
        db.selectFrom("policy_bundles").select(FACTS).where("workspace_id", "=", workspaceId)
          .orderBy("uploaded_at", "desc").orderBy("digest").execute()
      ).pipe(Effect.map((rows) => rows.map(toStored))),
    history: ({ workspaceId, limit }) =>
      sql.query((db) =>
        db.selectFrom("policy_changes").selectAll().where("workspace_id", "=", workspaceId)
          .orderBy("changed_at", "desc").orderBy("id", "desc").limit(limit).execute()
      ).pipe(Effect.map((rows) => rows.map(toChange))),
    shadowedEvaluations: ({ workspaceId, since, limit }) =>
      sql.query((db) =>
        db.selectFrom("gate_evaluations")
          .select(SHADOWED)
          .where("workspace_id", "=", workspaceId)
          .where("evaluated_at", ">=", since.toISOString())
          .where("candidate", "is not", null)
          .orderBy("evaluated_at", "desc").orderBy("id", "desc")
          .limit(limit)
          .execute()
      ).pipe(Effect.map((rows) => rows.map(toShadowed))),
    replayableEvaluations: ({ workspaceId, since, until, environment, limit, offset }) =>
      sql.query((db) =>
        replayableIn(db, { workspaceId, since, until, environment })
          .select(REPLAYABLE)
          .orderBy("evaluated_at", "asc").orderBy("id", "asc").limit(limit).offset(offset ?? 0).execute()
      ).pipe(Effect.map((rows) => rows.map(toReplayable))),
    countReplayable: (window) =>
      sql.query((db) =>
        replayableIn(db, window).select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow()
      ).pipe(Effect.map((row) => Number(row.n))),
    latestReplayable: ({ workspaceId, passportId }) =>
      sql.query((db) =>
        db.selectFrom("gate_evaluations")
          .select(REPLAYABLE)
          .where("workspace_id", "=", workspaceId)
          .where("passport_id", "=", passportId)
          .where("policy_input", "is not", null)
          .orderBy("evaluated_at", "desc").orderBy("id", "desc").limit(1).executeTakeFirst()
      ).pipe(Effect.map((row) => (row === undefined ? undefined : toReplayable(row)))),
    pointers: (workspaceId) =>
      sql.query((db) =>
        db.selectFrom("policy_pointers").select(["active_digest", "candidate_digest"])
          .where("workspace_id", "=", workspaceId).executeTakeFirst()
      ).pipe(Effect.map((row) => toPointers(workspaceId, row))),
    allPointers: sql.query((db) =>
      db.selectFrom("policy_pointers").select(["workspace_id", "active_digest", "candidate_digest"]).execute()
    ).pipe(Effect.map((rows) => rows.map((row) => toPointers(row.workspace_id, row)))),
    point: (input) =>
      sql.transaction((trx) =>
        Effect.gen(function*() {
          // Two admins switching at once take turns, so each change records the digest it replaced.
          yield* sql.attempt(() => sql.traits.lockForTransaction(trx, `policy\n${input.workspaceId}`))
          if (input.digest !== null) {
            const digest = input.digest
            const exists = yield* sql.attempt(() =>
              trx.selectFrom("policy_bundles").select("digest")
                .where("workspace_id", "=", input.workspaceId).where("digest", "=", digest).executeTakeFirst()
            )
            if (exists === undefined) return { _tag: "Missing" as const }
          }
          const current = yield* sql.attempt(() =>
            trx.selectFrom("policy_pointers").select(["active_digest", "candidate_digest"])
              .where("workspace_id", "=", input.workspaceId).executeTakeFirst()
          )
          const column = input.kind === "active" ? "active_digest" : "candidate_digest"
          const from = current?.[column] ?? null
          if (from === input.digest) return { _tag: "Unchanged" as const }
          const now = input.now.toISOString()
          yield* sql.attempt(() =>
            trx.insertInto("policy_pointers").values({
              workspace_id: input.workspaceId,
              active_digest: input.kind === "active" ? input.digest : null,
              candidate_digest: input.kind === "candidate" ? input.digest : null,
              changed_at: now
            }).onConflict((oc) => oc.column("workspace_id").doUpdateSet({ [column]: input.digest, changed_at: now })).execute()
          )
          const row: PolicyChangeRow = {
            id: newId("pch"),
            workspace_id: input.workspaceId,
            kind: input.kind,
            from_digest: from,
            to_digest: input.digest,
            changed_by: input.changedBy,
            changed_at: now
          }
          yield* sql.attempt(() => trx.insertInto("policy_changes").values(row).execute())
          // Sent on commit: replicas that listen switch at once instead of at their next poll.
          yield* sql.attempt(() => sql.traits.notify(trx, POLICY_CHANGES_CHANNEL, input.workspaceId))
          return { _tag: "Changed" as const, change: toChange(row) }
        })
      )
  })
}
