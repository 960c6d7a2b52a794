import { PassportStore } from "@releasepassport/core"
import type { GateEvaluation, Passport, RecordGateEvaluation } from "@releasepassport/core"
import { Effect } from "effect"
import type { GateEvaluationRow, PassportRow } from "../schema.ts"
import { newId } from "./ids.ts"
import type { SqlRunner } from "./SqlRunner.ts"

export const makePassportStore = (sql: SqlRunner): PassportStore["Service"] => {
  const { readTimestamp } = sql.traits

  const toPassport = (row: PassportRow): Passport => ({
    id: row.id,
    workspaceId: row.workspace_id,
    releaseId: row.release_id,
    artifactDigest: row.artifact_digest,
    sourceSha: row.source_sha,
    service: { namespace: row.service_namespace, name: row.service_name },
    createdAt: readTimestamp(row.created_at),
    updatedAt: readTimestamp(row.updated_at)
  })

  const recordGateEvaluation = <E>(input: RecordGateEvaluation<E>) =>
    sql.transaction((trx) =>
      Effect.gen(function*() {
        const nowIso = input.now.toISOString()

        // Find or create without a read-then-write race: the unique identity constraint decides.
        yield* sql.attempt(() =>
          trx.insertInto("passports").values({
            id: newId("pp"),
            workspace_id: input.workspaceId,
            service_namespace: input.service.namespace,
            service_name: input.service.name,
            release_id: input.releaseId,
            artifact_digest: input.artifactDigest,
            source_sha: input.sourceSha,
            created_at: nowIso,
            updated_at: nowIso
          }).onConflict((oc) =>
            oc.columns(["workspace_id", "service_namespace", "service_name", "release_id"]).doNothing()
          ).execute()
        )
        const passportRow: PassportRow = yield* sql.attempt(() =>
          trx.selectFrom("passports").selectAll()
            .where("workspace_id", "=", input.workspaceId)
            .where("service_namespace", "=", input.service.namespace)
            .where("service_name", "=", input.service.name)
            .where("release_id", "=", input.releaseId)
            .executeTakeFirstOrThrow()
        )
        const passport = toPassport(passportRow)

        const verdict = yield* input.decide({
          passport: {
            id: passport.id,
            releaseId: passport.releaseId,
            artifactDigest: passport.artifactDigest,
            sourceSha: passport.sourceSha,
            service: passport.service
          },
          evidence: []
        })

        const row: GateEvaluationRow = {
          id: newId("ge"),
          workspace_id: input.workspaceId,
          passport_id: passport.id,
          environment: input.environment,
          mode: verdict.mode,
          verdict: verdict.verdict,
          allowed: verdict.allowed ? 1 : 0,
          would_block: verdict.wouldBlock ? 1 : 0,
          blockers: JSON.stringify(verdict.blockers),
          warnings: JSON.stringify(verdict.warnings),
          policy_revision: verdict.policy.revision,
          bundle_digest: verdict.policy.bundleDigest,
          request: JSON.stringify(input.request),
          token_id: input.tokenId,
          evaluated_at: verdict.evaluatedAt,
          duration_ms: verdict.durationMs
        }
        yield* sql.attempt(() => trx.insertInto("gate_evaluations").values(row).execute())
        const stamp = {
          passport_id: passport.id,
          environment: input.environment,
          evaluation_id: row.id,
          verdict: verdict.verdict,
          mode: verdict.mode,
          blocker_count: verdict.blockers.length,
          evaluated_at: verdict.evaluatedAt
        }
        yield* sql.attempt(() =>
          trx.insertInto("passport_stamps").values(stamp).onConflict((oc) =>
            oc.columns(["passport_id", "environment"]).doUpdateSet({
              evaluation_id: stamp.evaluation_id,
              verdict: stamp.verdict,
              mode: stamp.mode,
              blocker_count: stamp.blocker_count,
              evaluated_at: stamp.evaluated_at
            }).where("passport_stamps.evaluated_at", "<=", stamp.evaluated_at)
          ).execute()
        )
        yield* sql.attempt(() =>
          trx.updateTable("passports").set({ updated_at: nowIso }).where("id", "=", passport.id)
            .where("updated_at", "<", nowIso).execute()
        )

        const evaluation: GateEvaluation = {
          id: row.id,
          passportId: passport.id,
          environment: input.environment,
          mode: verdict.mode,
          verdict: verdict.verdict,
          allowed: verdict.allowed,
          wouldBlock: verdict.wouldBlock,
          blockers: verdict.blockers,
          warnings: verdict.warnings,
          policyRevision: verdict.policy.revision,
          bundleDigest: verdict.policy.bundleDigest,
          evaluatedAt: verdict.evaluatedAt,
          durationMs: verdict.durationMs
        }
        return { passport: { ...passport, updatedAt: nowIso > passport.updatedAt ? nowIso : passport.updatedAt }, evaluation }
      })
    )

  return PassportStore.of({ recordGateEvaluation })
}
